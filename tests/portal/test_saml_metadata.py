"""IdP metadata: every signing certificate trusted (rollover), the URL cached and refetched,
an outage shown on /healthz and on the sign-in page, never a 500; the SP metadata's validity."""

from __future__ import annotations

import io
import re
import urllib.error
from pathlib import Path
from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client
from onelogin.saml2 import idp_metadata_parser

from portal.models import AuditEvent
from portal.saml_config import saml_app_settings, saml_provider_settings
from portal.sso import metadata_cache_key
from tests.saml_crafted import Claims, CraftedIdP, new_keypair
from tests.saml_idp import SamlBrowser

METADATA_URL = "https://idp.crafted.test/federationmetadata.xml"


def metadata_xml(idp: CraftedIdP, *certificates: str) -> str:
    keys = "".join(
        '<md:KeyDescriptor use="signing"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>'
        + "".join(line for line in pem.splitlines() if "-----" not in line)
        + "</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>"
        for pem in certificates
    )
    return (
        '<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" '
        f'xmlns:ds="http://www.w3.org/2000/09/xmldsig#" entityID="{idp.entity_id}">'
        '<md:IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">'
        f"{keys}"
        '<md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" '
        f'Location="{idp.sso_url}"/></md:IDPSSODescriptor></md:EntityDescriptor>'
    )


def use_app(settings: Any, app_settings: dict[str, Any]) -> None:
    settings.SOCIALACCOUNT_PROVIDERS = {"saml": {
        "provider_class": "portal.sso.PortalSAMLProvider",
        "APPS": [{"client_id": "sso", "name": "Test SSO", "settings": app_settings}]}}


def sign_in(browser: SamlBrowser) -> Any:
    start = browser.start()
    return browser.post_response(browser.idp.sign_in_response(Claims(
        name_id="dana.scientist", attributes={"uid": ["dana.scientist"]},
        in_response_to=start.request_id)))


def network(monkeypatch: pytest.MonkeyPatch, urlopen: Any) -> None:
    """The HTTP boundary python3-saml fetches metadata through."""
    monkeypatch.setattr(idp_metadata_parser.urllib2, "urlopen", urlopen)


@pytest.fixture(autouse=True)
def _empty_cache() -> None:
    cache.clear()


def test_a_metadata_file_with_two_signing_certificates_trusts_both(
    db: None, settings: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
    crafted_idp: CraftedIdP,
) -> None:
    _, next_cert = new_keypair("next certificate")
    path = tmp_path / "idp.xml"
    path.write_text(metadata_xml(crafted_idp, next_cert, crafted_idp.certificate_pem))
    for name in ("PORTAL_SAML_IDP_METADATA_URL", "PORTAL_SAML_IDP_ENTITY_ID"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("PORTAL_SAML_IDP_METADATA_FILE", str(path))
    settings.SOCIALACCOUNT_PROVIDERS = saml_provider_settings()
    assert len(settings.SOCIALACCOUNT_PROVIDERS["saml"]["APPS"][0]["settings"]["idp"][
        "x509cert_multi"]) == 2

    # The IdP still signs with the second certificate listed (rollover announced, not done).
    response = sign_in(SamlBrowser(Client(), crafted_idp))

    assert response.wsgi_request.user.is_authenticated


def url_app(idp: CraftedIdP) -> dict[str, Any]:
    return saml_app_settings({"metadata_url": METADATA_URL, "entity_id": idp.entity_id,
                              "metadata_request_timeout": 1, "metadata_cache_timeout": 60})


def test_a_metadata_url_is_fetched_once_and_cached(
    db: None, settings: Any, monkeypatch: pytest.MonkeyPatch, crafted_idp: CraftedIdP
) -> None:
    fetches: list[str] = []

    def fetch(request: Any, **kwargs: Any) -> io.BytesIO:
        fetches.append(request.full_url)
        return io.BytesIO(metadata_xml(crafted_idp, crafted_idp.certificate_pem).encode())

    network(monkeypatch, fetch)
    use_app(settings, url_app(crafted_idp))
    browser = SamlBrowser(Client(), crafted_idp)

    assert sign_in(browser).wsgi_request.user.is_authenticated
    browser.client.post("/accounts/logout/")
    assert sign_in(browser).wsgi_request.user.is_authenticated

    assert fetches == [METADATA_URL]
    assert Client().get("/healthz").content == b"ok"


def test_a_metadata_url_that_is_down_shows_a_clear_page_and_healthz_says_so(
    db: None, settings: Any, monkeypatch: pytest.MonkeyPatch, crafted_idp: CraftedIdP
) -> None:
    def down(request: Any, **kwargs: Any) -> io.BytesIO:
        raise urllib.error.URLError("connection refused")

    network(monkeypatch, down)
    use_app(settings, url_app(crafted_idp))
    client = Client(HTTP_HOST="localhost")

    response = client.post("/accounts/saml/sso/login/")

    assert response.status_code < 500
    assert "cannot be reached right now" in response.content.decode()
    assert AuditEvent.objects.get(action="auth.sign_in_failed").data["reason"] == (
        "IdP metadata unavailable.")
    health = Client().get("/healthz")
    assert health.status_code == 200
    assert health.content.decode() == "degraded: IdP metadata unavailable (URLError)"
    acs = client.post("/accounts/saml/sso/acs/", {"SAMLResponse": "x"})
    assert acs.status_code < 500


def test_a_refetch_failure_keeps_the_last_good_metadata_in_use(
    db: None, settings: Any, monkeypatch: pytest.MonkeyPatch, crafted_idp: CraftedIdP
) -> None:
    answers: list[Any] = [metadata_xml(crafted_idp, crafted_idp.certificate_pem),
                          urllib.error.URLError("down")]

    def fetch(request: Any, **kwargs: Any) -> io.BytesIO:
        answer = answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return io.BytesIO(str(answer).encode())

    network(monkeypatch, fetch)
    use_app(settings, url_app(crafted_idp))
    browser = SamlBrowser(Client(), crafted_idp)
    assert sign_in(browser).wsgi_request.user.is_authenticated
    browser.client.post("/accounts/logout/")
    cache.delete(metadata_cache_key(METADATA_URL))  # the refresh time has come

    assert sign_in(browser).wsgi_request.user.is_authenticated
    assert Client().get("/healthz").content.startswith(b"degraded: IdP metadata unavailable")


def test_the_sp_metadata_validity_is_configurable(
    db: None, settings: Any, crafted_idp: CraftedIdP
) -> None:
    app = saml_app_settings({"entity_id": crafted_idp.entity_id, "sso_url": crafted_idp.sso_url,
                             "x509cert": crafted_idp.certificate_pem})
    app["portal_metadata_valid_seconds"] = 30 * 86400
    use_app(settings, app)

    body = Client().get("/accounts/saml/sso/metadata/", HTTP_HOST="localhost").content.decode()

    import datetime as dt

    valid_until = re.search(r'validUntil="([^"]+)"', body)
    assert valid_until is not None
    moment = dt.datetime.strptime(valid_until.group(1), "%Y-%m-%dT%H:%M:%SZ").replace(
        tzinfo=dt.UTC)
    days = (moment - dt.datetime.now(dt.UTC)).total_seconds() / 86400
    assert 29.9 < days <= 30
    assert 'WantAssertionsSigned="true"' in body
