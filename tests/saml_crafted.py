"""A throw-away IdP that writes SAML messages by hand, so tests can shape them as hostile or as
Entra ID, Okta and ADFS send them (claim URIs, NameID formats, several audiences, re-wrapping).

Its RSA key is generated once per test session and never leaves the process.
"""

from __future__ import annotations

import base64
import datetime as dt
import uuid
import zlib
from dataclasses import dataclass, field
from urllib.parse import parse_qs, quote_plus, urlencode
from xml.sax.saxutils import escape, quoteattr

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import NameOID
from onelogin.saml2.utils import OneLogin_Saml2_Utils

from tests.saml_idp import SP_ENTITY_ID, acs_url

RSA_SHA256 = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"
SHA256 = "http://www.w3.org/2001/04/xmlenc#sha256"
UNSPECIFIED = "urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified"
EMAIL = "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress"
PERSISTENT = "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent"
BEARER = "urn:oasis:names:tc:SAML:2.0:cm:bearer"
NS = ('xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" '
      'xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion"')


def _instant(moment: dt.datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def new_keypair(common_name: str) -> tuple[str, str]:
    """(private key PEM, certificate PEM), self-signed, RSA-2048."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name)
        .public_key(key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1)).not_valid_after(now + dt.timedelta(days=30))
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(serialization.Encoding.PEM,
                                serialization.PrivateFormat.TraditionalOpenSSL,
                                serialization.NoEncryption()).decode()
    return key_pem, cert.public_bytes(serialization.Encoding.PEM).decode()


@dataclass
class Claims:
    """What one assertion says; every field can be bent by a test."""

    name_id: str
    attributes: dict[str, list[str]] = field(default_factory=dict)
    name_id_format: str = UNSPECIFIED
    in_response_to: str | None = None
    audiences: list[list[str]] = field(default_factory=lambda: [[SP_ENTITY_ID]])
    lifetime: dt.timedelta = dt.timedelta(minutes=5)
    # None: an assertion without an ID attribute (the SAML schema requires one).
    assertion_id: str | None = field(default_factory=lambda: "_a" + uuid.uuid4().hex)
    subject: bool = True
    recipient: str = field(default_factory=acs_url)


class CraftedIdP:
    """Entity id, SSO/SLO URLs and certificate the portal is told to trust."""

    def __init__(self, base_url: str = "https://idp.crafted.test") -> None:
        self.entity_id = f"{base_url}/metadata"
        self.sso_url = f"{base_url}/sso"
        self.slo_url = f"{base_url}/slo"
        self.key_pem, self.certificate_pem = new_keypair("throw-away test IdP")

    # --- sign-in -------------------------------------------------------------------------
    def parse_authn_request(self, saml_request: str) -> AuthnRequestSeen:
        xml = zlib.decompress(base64.b64decode(saml_request), -15).decode()
        request_id = xml.split(' ID="', 1)[1].split('"', 1)[0]
        return AuthnRequestSeen(id=request_id)

    def assertion(self, claims: Claims, *, signed: bool = True, key_pem: str = "",
                  cert_pem: str = "") -> str:
        now = dt.datetime.now(dt.UTC)
        until = _instant(now + claims.lifetime)
        irt = (f" InResponseTo={quoteattr(claims.in_response_to)}"
               if claims.in_response_to else "")
        subject = (
            f"<saml:Subject><saml:NameID Format={quoteattr(claims.name_id_format)}>"
            f"{escape(claims.name_id)}</saml:NameID>"
            f'<saml:SubjectConfirmation Method="{BEARER}">'
            f"<saml:SubjectConfirmationData NotOnOrAfter=\"{until}\" "
            f"Recipient={quoteattr(claims.recipient)}{irt}/>"
            "</saml:SubjectConfirmation></saml:Subject>"
        ) if claims.subject else ""
        restrictions = "".join(
            "<saml:AudienceRestriction>"
            + "".join(f"<saml:Audience>{escape(a)}</saml:Audience>" for a in audiences)
            + "</saml:AudienceRestriction>"
            for audiences in claims.audiences
        )
        attributes = "".join(
            f"<saml:Attribute Name={quoteattr(name)}>"
            + "".join(f"<saml:AttributeValue>{escape(v)}</saml:AttributeValue>" for v in values)
            + "</saml:Attribute>"
            for name, values in claims.attributes.items()
        )
        id_attribute = f' ID="{claims.assertion_id}"' if claims.assertion_id is not None else ""
        xml = (
            f'<saml:Assertion {NS}{id_attribute} Version="2.0" '
            f'IssueInstant="{_instant(now)}"><saml:Issuer>{escape(self.entity_id)}</saml:Issuer>'
            f"{subject}"
            f'<saml:Conditions NotBefore="{_instant(now - dt.timedelta(minutes=1))}" '
            f'NotOnOrAfter="{until}">{restrictions}</saml:Conditions>'
            f'<saml:AuthnStatement AuthnInstant="{_instant(now)}" SessionIndex="_s1">'
            "<saml:AuthnContext><saml:AuthnContextClassRef>"
            "urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport"
            "</saml:AuthnContextClassRef></saml:AuthnContext></saml:AuthnStatement>"
            f"<saml:AttributeStatement>{attributes}</saml:AttributeStatement>"
            "</saml:Assertion>"
        )
        if not signed:
            return xml
        signed_xml = OneLogin_Saml2_Utils.add_sign(
            xml, key_pem or self.key_pem, cert_pem or self.certificate_pem,
            sign_algorithm=RSA_SHA256, digest_algorithm=SHA256,
        )
        text = signed_xml.decode() if isinstance(signed_xml, bytes) else signed_xml
        return text.split("?>", 1)[-1] if text.startswith("<?xml") else text

    def response(self, assertions: str, *, in_response_to: str | None,
                 destination: str | None = None, prolog: str = "") -> str:
        """Wrap assertion XML into an unsigned Response (as Entra and Okta send by default)."""
        irt = f" InResponseTo={quoteattr(in_response_to)}" if in_response_to else ""
        xml = (
            f'{prolog}<samlp:Response {NS} ID="_r{uuid.uuid4().hex}" Version="2.0" '
            f'IssueInstant="{_instant(dt.datetime.now(dt.UTC))}" '
            f"Destination={quoteattr(destination or acs_url())}{irt}>"
            f"<saml:Issuer>{escape(self.entity_id)}</saml:Issuer>"
            '<samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/>'
            f"</samlp:Status>{assertions}</samlp:Response>"
        )
        return base64.b64encode(xml.encode()).decode()

    def signed_response(self, assertions: str, *, in_response_to: str | None) -> str:
        """Like ``response``, with the Response itself signed (its signature right after its
        Issuer, as ADFS sends by default), so the assertions inside need not be."""
        xml = base64.b64decode(self.response(assertions, in_response_to=in_response_to)).decode()
        signed = OneLogin_Saml2_Utils.add_sign(xml, self.key_pem, self.certificate_pem,
                                               sign_algorithm=RSA_SHA256, digest_algorithm=SHA256)
        text = signed.decode() if isinstance(signed, bytes) else signed
        return base64.b64encode(text.encode()).decode()

    def sign_in_response(self, claims: Claims) -> str:
        return self.response(self.assertion(claims), in_response_to=claims.in_response_to)

    # --- single logout (HTTP-Redirect binding) ------------------------------------------
    def logout_request_query(self, *, name_id: str, relay_state: str = "", signed: bool = True,
                             key_pem: str = "") -> dict[str, str]:
        xml = (
            f'<samlp:LogoutRequest {NS} ID="_l{uuid.uuid4().hex}" Version="2.0" '
            f'IssueInstant="{_instant(dt.datetime.now(dt.UTC))}">'
            f"<saml:Issuer>{escape(self.entity_id)}</saml:Issuer>"
            f"<saml:NameID>{escape(name_id)}</saml:NameID></samlp:LogoutRequest>"
        )
        return self._redirect_query("SAMLRequest", xml, relay_state, signed, key_pem)

    def logout_response_query(self, *, in_response_to: str, signed: bool = True,
                              key_pem: str = "", relay_state: str = "") -> dict[str, str]:
        xml = (
            f'<samlp:LogoutResponse {NS} ID="_lr{uuid.uuid4().hex}" Version="2.0" '
            f'IssueInstant="{_instant(dt.datetime.now(dt.UTC))}" '
            f'InResponseTo="{in_response_to}">'
            f"<saml:Issuer>{escape(self.entity_id)}</saml:Issuer>"
            '<samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/>'
            "</samlp:Status></samlp:LogoutResponse>"
        )
        return self._redirect_query("SAMLResponse", xml, relay_state, signed, key_pem)

    def _redirect_query(self, kind: str, xml: str, relay_state: str, signed: bool,
                        key_pem: str) -> dict[str, str]:
        encoded = base64.b64encode(zlib.compress(xml.encode())[2:-4]).decode()
        query = {kind: encoded}
        if relay_state:
            query["RelayState"] = relay_state
        if not signed:
            return query
        query["SigAlg"] = RSA_SHA256
        # The redirect binding signs the URL-encoded query in this order (SAML bindings §3.4.4.1).
        signed_part = "&".join(f"{k}={quote_plus(query[k])}"
                               for k in (kind, "RelayState", "SigAlg") if k in query)
        key = serialization.load_pem_private_key((key_pem or self.key_pem).encode(), None)
        signature = key.sign(signed_part.encode(), padding.PKCS1v15(),  # type: ignore[union-attr,call-arg]
                             hashes.SHA256())  # type: ignore[arg-type]
        query["Signature"] = base64.b64encode(signature).decode()
        return query


@dataclass
class AuthnRequestSeen:
    id: str


def query_string(query: dict[str, str]) -> str:
    return urlencode(query)


def relay_of(location: str) -> list[str]:
    return parse_qs(location.split("?", 1)[-1]).get("RelayState", [])
