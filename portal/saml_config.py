"""Build django-allauth's SAML app configuration from the environment.

The IdP is given either by metadata (``PORTAL_SAML_IDP_METADATA_URL`` or
``PORTAL_SAML_IDP_METADATA_FILE``) or by entity id, SSO URL and signing certificate. Signed
assertions with SHA-256 are required and IdP-initiated sign-in is refused whatever the IdP sends.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.exceptions import ImproperlyConfigured

from portal.env import env_int, env_mapping, env_str

SAML_APP_SLUG = "sso"
RSA_SHA256 = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"
SHA256 = "http://www.w3.org/2001/04/xmlenc#sha256"

# Portal field -> SAML attribute names (first present wins). Override with PORTAL_SAML_ATTRIBUTES.
DEFAULT_ATTRIBUTES = (
    "uid=uid,urn:oid:0.9.2342.19200300.100.1.1;"
    "email=mail,email,urn:oid:0.9.2342.19200300.100.1.3;"
    "first_name=givenName,urn:oid:2.5.4.42;"
    "last_name=sn,surname,urn:oid:2.5.4.4;"
    "department=department,urn:oid:2.5.4.11;"
    "cost_center=costCenter;"
    "manager=manager;"
    "groups=groups,memberOf;"
    "aws_role_id=awsRoleId"
)


def _read_cert(raw: str) -> str:
    lines = [line.strip() for line in raw.strip().splitlines()]
    return "".join(line for line in lines if line and not line.startswith("-----"))


def _idp_settings() -> dict[str, Any] | None:
    metadata_url = env_str("PORTAL_SAML_IDP_METADATA_URL")
    metadata_file = env_str("PORTAL_SAML_IDP_METADATA_FILE")
    entity_id = env_str("PORTAL_SAML_IDP_ENTITY_ID")
    if metadata_url:
        if not entity_id:
            raise ImproperlyConfigured(
                "PORTAL_SAML_IDP_ENTITY_ID must be set with PORTAL_SAML_IDP_METADATA_URL"
            )
        return {
            "metadata_url": metadata_url,
            "entity_id": entity_id,
            "metadata_request_timeout": env_int("PORTAL_SAML_METADATA_TIMEOUT", 10, minimum=1),
        }
    if metadata_file:
        from onelogin.saml2.idp_metadata_parser import OneLogin_Saml2_IdPMetadataParser

        path = Path(metadata_file)
        if not path.is_file():
            raise ImproperlyConfigured(f"PORTAL_SAML_IDP_METADATA_FILE: no file at {path}")
        parsed = OneLogin_Saml2_IdPMetadataParser.parse(
            path.read_text(), entity_id=entity_id or None
        )["idp"]
        return {
            "entity_id": parsed["entityId"],
            "sso_url": parsed["singleSignOnService"]["url"],
            "x509cert": parsed.get("x509cert") or parsed["x509certMulti"]["signing"][0],
        }
    if not entity_id:
        return None
    sso_url = env_str("PORTAL_SAML_IDP_SSO_URL")
    cert = env_str("PORTAL_SAML_IDP_X509CERT")
    cert_file = env_str("PORTAL_SAML_IDP_X509CERT_FILE")
    if cert_file:
        if not Path(cert_file).is_file():
            raise ImproperlyConfigured(f"PORTAL_SAML_IDP_X509CERT_FILE: no file at {cert_file}")
        cert = Path(cert_file).read_text()
    if not sso_url or not cert:
        raise ImproperlyConfigured(
            "PORTAL_SAML_IDP_ENTITY_ID needs PORTAL_SAML_IDP_SSO_URL and "
            "PORTAL_SAML_IDP_X509CERT (or PORTAL_SAML_IDP_X509CERT_FILE)"
        )
    return {"entity_id": entity_id, "sso_url": sso_url, "x509cert": _read_cert(cert)}


def saml_app_settings(idp: dict[str, Any]) -> dict[str, Any]:
    """The allauth SocialApp settings for one IdP; tests call it with their own IdP."""
    attributes = env_mapping("PORTAL_SAML_ATTRIBUTES", DEFAULT_ATTRIBUTES)
    return {
        "attribute_mapping": {"uid": attributes.get("uid", ["uid"]),
                              "email": attributes.get("email", ["mail"]),
                              "first_name": attributes.get("first_name", ["givenName"]),
                              "last_name": attributes.get("last_name", ["sn"])},
        "portal_attributes": attributes,
        "idp": idp,
        "sp": {"entity_id": env_str("PORTAL_SAML_SP_ENTITY_ID", "urn:ml-portal:sp")},
        "advanced": {
            "strict": True,
            "want_assertion_signed": True,
            "want_message_signed": False,
            "reject_idp_initiated_sso": True,
            "reject_deprecated_algorithm": True,
            "digest_algorithm": SHA256,
            "signature_algorithm": RSA_SHA256,
            "want_attribute_statement": True,
            "allow_repeat_attribute_name": True,
            "name_id_format": "urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified",
        },
    }


def saml_provider_settings() -> dict[str, Any]:
    """``SOCIALACCOUNT_PROVIDERS`` for settings.py: one SAML app when an IdP is configured."""
    idp = _idp_settings()
    apps = []
    if idp is not None:
        apps.append(
            {
                "client_id": SAML_APP_SLUG,
                "name": env_str("PORTAL_SAML_IDP_NAME", "Company SSO"),
                "settings": saml_app_settings(idp),
            }
        )
    return {"saml": {"provider_class": "portal.sso.PortalSAMLProvider", "APPS": apps}}
