"""Build django-allauth's SAML app configuration from the environment.

The IdP is given either by metadata (``PORTAL_SAML_IDP_METADATA_URL`` or
``PORTAL_SAML_IDP_METADATA_FILE``) or by entity id, SSO URL and signing certificate. Signed
assertions with SHA-256 are required and IdP-initiated sign-in is refused whatever the IdP sends.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.exceptions import ImproperlyConfigured

from portal.env import env_bool, env_int, env_str

SAML_APP_SLUG = "sso"
RSA_SHA256 = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"
SHA256 = "http://www.w3.org/2001/04/xmlenc#sha256"

# Portal field -> SAML attribute names (first present wins), per IdP family. PORTAL_SAML_PRESET
# picks one; PORTAL_SAML_ATTRIBUTES overrides the fields it names. A missing uid attribute falls
# back to the NameID (allauth's rule).
_CLAIMS = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/"
_MS_CLAIMS = "http://schemas.microsoft.com/ws/2008/06/identity/claims/"
ATTRIBUTE_FIELDS = ("uid", "email", "first_name", "last_name", "department", "cost_center",
                    "manager", "groups", "aws_role_id")
PRESETS: dict[str, dict[str, list[str]]] = {
    "ldap": {
        "uid": ["uid", "urn:oid:0.9.2342.19200300.100.1.1"],
        "email": ["mail", "email", "urn:oid:0.9.2342.19200300.100.1.3"],
        "first_name": ["givenName", "urn:oid:2.5.4.42"],
        "last_name": ["sn", "surname", "urn:oid:2.5.4.4"],
        "department": ["department", "urn:oid:2.5.4.11"],
        "cost_center": ["costCenter"],
        "manager": ["manager"],
        "groups": ["groups", "memberOf"],
        "aws_role_id": ["awsRoleId"],
    },
    # Entra ID sends claim URIs; "name" is the UPN. Groups arrive as object ids unless the app
    # registration emits sAMAccountName/cloud-only display names.
    "entra": {
        "uid": [_CLAIMS + "name", _CLAIMS + "upn"],
        "email": [_CLAIMS + "emailaddress"],
        "first_name": [_CLAIMS + "givenname"],
        "last_name": [_CLAIMS + "surname"],
        "department": ["department", _CLAIMS + "department"],
        "cost_center": ["costCenter", "employeeOrgData.costCenter"],
        "manager": ["manager"],
        "groups": [_MS_CLAIMS + "groups"],
        "aws_role_id": ["awsRoleId"],
    },
    # Okta: NameID is the Okta username; attribute statements carry the names admins give them.
    "okta": {
        "uid": ["uid", "login"],
        "email": ["email"],
        "first_name": ["firstName"],
        "last_name": ["lastName"],
        "department": ["department"],
        "cost_center": ["costCenter"],
        "manager": ["manager", "managerId"],
        "groups": ["groups"],
        "aws_role_id": ["awsRoleId"],
    },
    # ADFS claim rules: UPN (or DOMAIN\\user as windowsaccountname), Token-Groups as Group.
    "adfs": {
        "uid": [_CLAIMS + "upn", "http://schemas.microsoft.com/ws/2008/06/identity/claims/"
                "windowsaccountname"],
        "email": [_CLAIMS + "emailaddress"],
        "first_name": [_CLAIMS + "givenname"],
        "last_name": [_CLAIMS + "surname"],
        "department": ["department"],
        "cost_center": ["costCenter"],
        "manager": ["manager"],
        "groups": ["http://schemas.xmlsoap.org/claims/Group", _MS_CLAIMS + "role"],
        "aws_role_id": ["awsRoleId"],
    },
}
# ADFS (Active Directory) treats sAMAccountName and UPN case-insensitively: fold them there.
PRESET_UID_CASE = {"ldap": "exact", "entra": "exact", "okta": "exact", "adfs": "lower"}
UID_CASES = ("exact", "lower")
# Entra replaces the groups claim with this link when a user is in more than 150 groups.
ENTRA_GROUPS_OVERAGE_CLAIM = "http://schemas.microsoft.com/claims/groups.link"


def saml_preset() -> str:
    preset = env_str("PORTAL_SAML_PRESET", "ldap").strip().lower()
    if preset not in PRESETS:
        raise ImproperlyConfigured(
            f"PORTAL_SAML_PRESET must be one of {', '.join(PRESETS)}, got {preset!r}"
        )
    return preset


def saml_attribute_names(preset: str) -> dict[str, list[str]]:
    """The preset's attribute names with PORTAL_SAML_ATTRIBUTES's fields replacing theirs."""
    names = {field: list(values) for field, values in PRESETS[preset].items()}
    for pair in env_str("PORTAL_SAML_ATTRIBUTES").split(";"):
        if not pair.strip():
            continue
        field, sep, values = pair.partition("=")
        field = field.strip()
        attributes = [v.strip() for v in values.split(",") if v.strip()]
        if not sep or field not in ATTRIBUTE_FIELDS:
            raise ImproperlyConfigured(
                f"PORTAL_SAML_ATTRIBUTES: unknown field {field!r} in {pair.strip()!r}; "
                f"fields are {', '.join(ATTRIBUTE_FIELDS)}"
            )
        if not attributes:
            raise ImproperlyConfigured(
                f"PORTAL_SAML_ATTRIBUTES: {field} names no attribute; "
                "write field=attr1,attr2 or leave the field out"
            )
        names[field] = attributes
    return names


def saml_uid_case(preset: str) -> str:
    case = env_str("PORTAL_SAML_UID_CASE", PRESET_UID_CASE[preset]).strip().lower()
    if case not in UID_CASES:
        raise ImproperlyConfigured(f"PORTAL_SAML_UID_CASE must be exact or lower, got {case!r}")
    return case


def role_groups(default: str) -> dict[str, list[str]]:
    """PORTAL_ROLE_GROUPS: ``role=group|group;role2=...``; a group may be an LDAP DN (commas)."""
    result: dict[str, list[str]] = {}
    for pair in env_str("PORTAL_ROLE_GROUPS", default).split(";"):
        if not pair.strip():
            continue
        role, sep, values = pair.partition("=")
        if not sep or not role.strip():
            raise ImproperlyConfigured(
                f"PORTAL_ROLE_GROUPS must look like 'role=group1|group2;role2=group3', "
                f"got {pair!r}"
            )
        groups = [v.strip() for v in values.split("|") if v.strip()]
        for group in groups:
            if "," in group and "=" not in group:
                raise ImproperlyConfigured(
                    f"PORTAL_ROLE_GROUPS: separate groups with '|', not ',' (got {group!r}); "
                    "commas belong to DNs such as CN=admins,OU=Groups,DC=bank"
                )
        result.setdefault(role.strip(), []).extend(groups)
    return result


def _read_cert(raw: str) -> str:
    lines = [line.strip() for line in raw.strip().splitlines()]
    return "".join(line for line in lines if line and not line.startswith("-----"))


def _idp_settings() -> dict[str, Any] | None:
    metadata_url = env_str("PORTAL_SAML_IDP_METADATA_URL")
    metadata_file = env_str("PORTAL_SAML_IDP_METADATA_FILE")
    entity_id = env_str("PORTAL_SAML_IDP_ENTITY_ID")
    if metadata_url:
        if not metadata_url.startswith("https://") and not (
            metadata_url.startswith("http://") and env_bool("PORTAL_SAML_METADATA_ALLOW_HTTP")
        ):
            # Whoever can alter plain-HTTP metadata in transit chooses the certificate we trust.
            raise ImproperlyConfigured(
                "PORTAL_SAML_IDP_METADATA_URL must be https:// (set "
                "PORTAL_SAML_METADATA_ALLOW_HTTP=true to accept http:// on a trusted network)"
            )
        if not entity_id:
            raise ImproperlyConfigured(
                "PORTAL_SAML_IDP_ENTITY_ID must be set with PORTAL_SAML_IDP_METADATA_URL"
            )
        return {
            "metadata_url": metadata_url,
            "entity_id": entity_id,
            "metadata_request_timeout": env_int("PORTAL_SAML_METADATA_TIMEOUT", 10, minimum=1),
            # Refetched when this expires (so a rollover reaches us); the last good copy stays in
            # use while the URL is down, and /healthz says so.
            "metadata_cache_timeout": env_int("PORTAL_SAML_METADATA_REFRESH_SECONDS", 3600,
                                              minimum=60),
        }
    if metadata_file:
        from onelogin.saml2.idp_metadata_parser import OneLogin_Saml2_IdPMetadataParser

        path = Path(metadata_file)
        if not path.is_file():
            raise ImproperlyConfigured(f"PORTAL_SAML_IDP_METADATA_FILE: no file at {path}")
        parsed = OneLogin_Saml2_IdPMetadataParser.parse(
            path.read_text(), entity_id=entity_id or None
        )["idp"]
        # Every signing certificate counts: Entra and ADFS publish the next one before rollover.
        signing = parsed.get("x509certMulti", {}).get("signing") or [parsed.get("x509cert")]
        if not signing or not signing[0]:
            raise ImproperlyConfigured(
                f"PORTAL_SAML_IDP_METADATA_FILE: {path} names no signing certificate"
            )
        idp = {
            "entity_id": parsed["entityId"],
            "sso_url": parsed["singleSignOnService"]["url"],
            "x509cert": signing[0],
            "x509cert_multi": list(signing),
        }
        slo_url = parsed.get("singleLogoutService", {}).get("url")
        if slo_url:
            idp["slo_url"] = slo_url
        return idp
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
    idp = {"entity_id": entity_id, "sso_url": sso_url, "x509cert": _read_cert(cert)}
    slo_url = env_str("PORTAL_SAML_IDP_SLO_URL")
    if slo_url:
        idp["slo_url"] = slo_url
    return idp


def saml_app_settings(idp: dict[str, Any]) -> dict[str, Any]:
    """The allauth SocialApp settings for one IdP; tests call it with their own IdP."""
    preset = saml_preset()
    attributes = saml_attribute_names(preset)
    return {
        "attribute_mapping": {key: attributes[key]
                              for key in ("uid", "email", "first_name", "last_name")},
        "portal_attributes": attributes,
        "portal_preset": preset,
        "portal_uid_case": saml_uid_case(preset),
        "portal_metadata_valid_seconds": 86400 * env_int(
            "PORTAL_SAML_SP_METADATA_VALID_DAYS", 2, minimum=1),
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
