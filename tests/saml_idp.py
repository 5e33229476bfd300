"""Helpers that drive a real SAML round trip between the portal and the dev IdP in tests."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

from django.test import Client

from portal.devidp.idp import DemoUser, UserDirectory
from portal.saml_config import SAML_APP_SLUG, saml_app_settings

DEMO_USERS = Path(__file__).resolve().parent.parent / "portal" / "devidp" / "demo_users.yaml"
SP_ENTITY_ID = "urn:ml-portal:sp"


def acs_url(base: str = "http://localhost") -> str:
    return f"{base}/accounts/saml/{SAML_APP_SLUG}/acs/"


def configure_portal_for(settings: Any, idp: Any, **overrides: Any) -> None:
    """Point the portal's SAML app at ``idp`` (what the PORTAL_SAML_IDP_* variables do)."""
    idp_settings = {"entity_id": idp.entity_id, "sso_url": idp.sso_url,
                    "x509cert": idp.certificate_pem}
    if getattr(idp, "slo_url", None):
        idp_settings["slo_url"] = idp.slo_url
    app_settings = {**saml_app_settings(idp_settings), **overrides}
    settings.SOCIALACCOUNT_PROVIDERS = {
        "saml": {
            "provider_class": "portal.sso.PortalSAMLProvider",
            "APPS": [{"client_id": SAML_APP_SLUG, "name": "Test SSO", "settings": app_settings}],
        }
    }


@dataclass
class SignInStart:
    request_id: str
    relay_state: str | None


class SamlBrowser:
    """A Django test client walking the SP-initiated flow, with the IdP answering in-process."""

    def __init__(self, client: Client, idp: Any, directory: UserDirectory | None = None) -> None:
        self.client = client
        client.defaults["HTTP_HOST"] = "localhost"  # browsers always send Host
        self.idp = idp
        self.directory = directory

    def start(self) -> SignInStart:
        response = self.client.post(f"/accounts/saml/{SAML_APP_SLUG}/login/")
        assert response.status_code == 302, response.content
        location = urlparse(response["Location"])
        assert f"{location.scheme}://{location.netloc}{location.path}" == self.idp.sso_url
        query = parse_qs(location.query)
        parsed = self.idp.parse_authn_request(query["SAMLRequest"][0])
        return SignInStart(request_id=parsed.id, relay_state=query.get("RelayState", [None])[0])

    def post_response(self, saml_response: str, relay_state: str | None = None) -> Any:
        data = {"SAMLResponse": saml_response}
        if relay_state:
            data["RelayState"] = relay_state
        return self.client.post(acs_url(), data, follow=True)

    def sign_in(self, uid: str, **response_kwargs: Any) -> Any:
        start = self.start()
        saml_response = self.idp.response(
            user=self.user(uid), in_response_to=start.request_id, **response_kwargs
        )
        return self.post_response(saml_response, start.relay_state)

    def user(self, uid: str) -> DemoUser:
        assert self.directory is not None
        return self.directory.users[uid]
