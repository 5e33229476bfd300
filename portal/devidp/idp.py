"""The dev IdP's SAML engine: keys, metadata, AuthnRequest parsing and signed responses."""

from __future__ import annotations

import base64
import datetime as dt
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from saml2 import BINDING_HTTP_POST, BINDING_HTTP_REDIRECT
from saml2.attribute_converter import AttributeConverter
from saml2.config import IdPConfig
from saml2.metadata import entity_descriptor
from saml2.saml import NAME_FORMAT_BASIC, NAMEID_FORMAT_UNSPECIFIED, NameID
from saml2.server import Server
from saml2.xmldsig import DIGEST_SHA256, SIG_RSA_SHA256

NON_ATTRIBUTE_KEYS = {"projects", "password"}
PASSWORD_PROTECTED_TRANSPORT = "urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport"


@dataclass
class DemoUser:
    uid: str
    attributes: dict[str, list[str]]
    projects: dict[str, str] = field(default_factory=dict)


@dataclass
class UserDirectory:
    password: str
    users: dict[str, DemoUser]

    @classmethod
    def load(cls, path: Path) -> UserDirectory:
        data = yaml.safe_load(path.read_text())
        users: dict[str, DemoUser] = {}
        for entry in data.get("users", []):
            uid = str(entry["uid"])
            attributes = {
                key: [str(v) for v in (value if isinstance(value, list) else [value])]
                for key, value in entry.items()
                if key not in NON_ATTRIBUTE_KEYS
            }
            users[uid] = DemoUser(uid=uid, attributes=attributes,
                                  projects=dict(entry.get("projects") or {}))
        return cls(password=str(data.get("password", "demo")), users=users)


def ensure_signing_key(state_dir: Path) -> tuple[Path, Path]:
    """Create a self-signed RSA-2048 certificate for the IdP once; reuse it afterwards."""
    state_dir.mkdir(parents=True, exist_ok=True)
    key_path, cert_path = state_dir / "idp.key", state_dir / "idp.crt"
    if key_path.exists() and cert_path.exists():
        return key_path, cert_path
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "ML portal development IdP")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=3650))
        .sign(key, hashes.SHA256())
    )
    tmp_key = key_path.with_suffix(".key.tmp")
    tmp_key.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.TraditionalOpenSSL,
            serialization.NoEncryption(),
        )
    )
    tmp_key.chmod(0o600)
    tmp_key.rename(key_path)
    tmp_cert = cert_path.with_suffix(".crt.tmp")
    tmp_cert.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    tmp_cert.rename(cert_path)  # written last: its presence means the IdP is ready
    return key_path, cert_path


def _sp_metadata(*, entity_id: str, acs_url: str) -> str:
    return (
        '<?xml version="1.0"?>'
        '<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" '
        f'entityID="{entity_id}">'
        '<md:SPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol" '
        'WantAssertionsSigned="true">'
        f'<md:AssertionConsumerService Binding="{BINDING_HTTP_POST}" Location="{acs_url}" '
        'index="1"/>'
        "</md:SPSSODescriptor></md:EntityDescriptor>"
    )


@dataclass
class ParsedAuthnRequest:
    id: str
    issuer: str
    acs_url: str


class DevIdP:
    """A pysaml2 IdP that trusts one portal (its SP entity id and ACS URL)."""

    def __init__(
        self,
        *,
        base_url: str,
        state_dir: Path,
        sp_entity_id: str,
        sp_acs_url: str,
        assertion_minutes: int = 5,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.entity_id = f"{self.base_url}/metadata"
        self.sso_url = f"{self.base_url}/sso/redirect"
        self.sp_entity_id = sp_entity_id
        self.sp_acs_url = sp_acs_url
        self.key_file, self.cert_file = ensure_signing_key(state_dir)
        xmlsec = shutil.which("xmlsec1")
        if xmlsec is None:
            raise RuntimeError("xmlsec1 is missing: install Debian's xmlsec1 package")
        config = IdPConfig()
        config.load(
            {
                "entityid": self.entity_id,
                "service": {
                    "idp": {
                        "name": "ML portal development IdP",
                        "endpoints": {
                            "single_sign_on_service": [
                                (self.sso_url, BINDING_HTTP_REDIRECT),
                            ],
                        },
                        "policy": {
                            "default": {
                                "lifetime": {"minutes": assertion_minutes},
                                "name_form": NAME_FORMAT_BASIC,
                            }
                        },
                        "name_id_format": [NAMEID_FORMAT_UNSPECIFIED],
                        "want_authn_requests_signed": False,
                    }
                },
                "key_file": str(self.key_file),
                "cert_file": str(self.cert_file),
                "xmlsec_binary": xmlsec,
                "metadata": {
                    "inline": [_sp_metadata(entity_id=sp_entity_id, acs_url=sp_acs_url)]
                },
            }
        )
        # Send attribute names as written in the user directory (uid, mail, groups, ...).
        passthrough = AttributeConverter(NAME_FORMAT_BASIC)
        passthrough._to = {}
        passthrough._fro = {}
        config.attribute_converters = [passthrough]
        self.server = Server(config=config)

    @property
    def certificate_pem(self) -> str:
        return self.cert_file.read_text()

    def metadata_xml(self) -> str:
        return str(entity_descriptor(self.server.config))

    def parse_authn_request(self, saml_request: str) -> ParsedAuthnRequest:
        parsed = self.server.parse_authn_request(saml_request, BINDING_HTTP_REDIRECT)
        message = parsed.message
        acs_url = message.assertion_consumer_service_url or self.sp_acs_url
        if acs_url != self.sp_acs_url:
            raise ValueError(f"Unknown assertion consumer service URL {acs_url!r}")
        return ParsedAuthnRequest(id=message.id, issuer=message.issuer.text, acs_url=acs_url)

    def response(
        self,
        *,
        user: DemoUser,
        in_response_to: str | None,
        destination: str | None = None,
        audience: str | None = None,
        sign_assertion: bool = True,
        lifetime_minutes: int | None = None,
        attributes: dict[str, list[str]] | None = None,
        sign_alg: str = SIG_RSA_SHA256,
        digest_alg: str = DIGEST_SHA256,
    ) -> str:
        """A base64 SAMLResponse for ``user``; tests bend the arguments to make bad ones."""
        policy: dict[str, Any] | None = None
        if lifetime_minutes is not None:
            from saml2.assertion import Policy

            policy = Policy(
                {"default": {"lifetime": {"minutes": lifetime_minutes},
                             "name_form": NAME_FORMAT_BASIC}},
                self.server.metadata,
            )
        xml = self.server.create_authn_response(
            identity=attributes if attributes is not None else user.attributes,
            in_response_to=in_response_to,
            destination=destination or self.sp_acs_url,
            sp_entity_id=audience or self.sp_entity_id,
            name_id=NameID(format=NAMEID_FORMAT_UNSPECIFIED, text=user.uid),
            authn={"class_ref": PASSWORD_PROTECTED_TRANSPORT},
            sign_assertion=sign_assertion,
            sign_response=False,
            sign_alg=sign_alg,
            digest_alg=digest_alg,
            **({"release_policy": policy} if policy is not None else {}),
        )
        return base64.b64encode(str(xml).encode()).decode()
