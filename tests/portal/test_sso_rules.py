"""The SAML glue's own rules: which uids are usable (and why not), and the IdP metadata cache
(fresh copy, last good copy through an outage, the status /healthz reports)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.cache import cache
from django.core.exceptions import ValidationError
from onelogin.saml2.idp_metadata_parser import OneLogin_Saml2_IdPMetadataParser

from portal.models import AuditEvent, User
from portal.sso import (
    UID_MAX_LENGTH,
    MetadataUnavailable,
    PortalAccountAdapter,
    PortalSocialAccountAdapter,
    idp_metadata,
    metadata_cache_key,
    portal_attribute_names,
    saml_metadata_problem,
    uid_problem,
)

IDP = {"metadata_url": "https://idp.bank.example/metadata", "entity_id": "https://idp.example"}


@pytest.mark.parametrize(("uid", "problem"), [
    ("", "The identity provider sent no user id."),
    ("x" * (UID_MAX_LENGTH + 1), f"The user id is longer than {UID_MAX_LENGTH} characters."),
    (" dana", "The user id starts or ends with blank space."),
    ("dana\t", "The user id starts or ends with blank space."),
    ("da\x00na", "The user id contains control characters."),
    ("da\u200bna", "The user id contains control characters."),  # Cf: a zero-width space
    ("x" * UID_MAX_LENGTH, ""),
    ("BANK\\dana.o'neil", ""),
])
def test_a_uid_is_refused_with_its_reason_or_accepted_as_sent(uid: str, problem: str) -> None:
    assert uid_problem(uid) == problem


@dataclass
class MetadataUrl:
    """The IdP metadata URL as python3-saml's parser sees it: queued answers, recorded calls."""

    answers: list[Any] = field(default_factory=list)  # an IdP dict, or an exception to raise
    calls: list[dict[str, Any]] = field(default_factory=list)

    def parse_remote(self, url: str, **kwargs: Any) -> dict[str, Any]:
        self.calls.append({"url": url, **kwargs})
        answer = self.answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return {"idp": answer}


@pytest.fixture
def metadata_url(monkeypatch: pytest.MonkeyPatch) -> MetadataUrl:
    url = MetadataUrl()
    monkeypatch.setattr(OneLogin_Saml2_IdPMetadataParser, "parse_remote",
                        staticmethod(url.parse_remote))
    cache.clear()
    return url


def test_metadata_is_cached_and_a_failed_refetch_keeps_the_last_good_copy(
        metadata_url: MetadataUrl) -> None:
    good = {"entityId": "https://idp.example", "x509cert": "CERT"}
    metadata_url.answers.extend([good, OSError("down")])
    assert saml_metadata_problem() == ""  # nothing fetched yet
    assert idp_metadata({**IDP, "metadata_cache_timeout": 60}) == good
    assert metadata_url.calls == [
        {"url": IDP["metadata_url"], "entity_id": IDP["entity_id"], "timeout": 10}]
    assert idp_metadata(IDP) == good and len(metadata_url.calls) == 1  # fresh copy: no fetch
    assert saml_metadata_problem() == ""
    cache.delete(metadata_cache_key(IDP["metadata_url"]))  # the fresh copy expires
    assert idp_metadata(IDP) == good  # the refetch fails: the last good copy
    assert saml_metadata_problem() == "IdP metadata unavailable (OSError)"


def test_metadata_without_the_idp_or_without_any_copy_is_unavailable(
        metadata_url: MetadataUrl) -> None:
    metadata_url.answers.append({"entityId": ""})
    with pytest.raises(MetadataUnavailable):
        idp_metadata({**IDP, "metadata_request_timeout": 3})
    assert metadata_url.calls[0]["timeout"] == 3
    assert saml_metadata_problem() == "IdP metadata unavailable (ValueError)"


def test_each_metadata_url_has_its_own_cache_key() -> None:
    assert metadata_cache_key("https://a") != metadata_cache_key("https://b")
    assert metadata_cache_key("https://a").startswith("portal.saml.metadata.")


def test_nobody_signs_up_and_a_uid_is_kept_as_sent_or_refused_with_its_reason(rf: Any) -> None:
    adapter = PortalAccountAdapter()
    assert adapter.is_open_for_signup(rf.get("/")) is False
    assert adapter.clean_username("BANK\\dana") == "BANK\\dana"
    with pytest.raises(ValidationError) as refused:
        adapter.clean_username(" dana")
    assert refused.value.messages == ["The user id starts or ends with blank space."]
    with pytest.raises(ValueError, match="without a username"):
        adapter.populate_username(rf.get("/"), User(username=""))
    adapter.populate_username(rf.get("/"), User(username="dana"))  # kept, no error


@pytest.mark.django_db
def test_a_failed_sign_in_is_audited_with_the_exceptions_name_when_no_reason_is_given(
        rf: Any) -> None:
    request = rf.get("/accounts/saml/acs/")
    request.user = AnonymousUser()
    PortalSocialAccountAdapter().on_authentication_error(
        request, "saml", error="unknown", exception=KeyError("x"))
    event = AuditEvent.objects.get(action="auth.sign_in_failed")
    assert event.data == {"provider": "saml", "error": "unknown", "errors": [],
                          "reason": "KeyError"}


@pytest.mark.django_db
def test_a_failed_sign_ins_reason_is_kept_to_500_characters(rf: Any) -> None:
    request = rf.get("/accounts/saml/acs/")
    request.user = AnonymousUser()
    PortalSocialAccountAdapter().on_authentication_error(
        request, "saml", extra_context={"portal_reason": "r" * 600, "saml_errors": ["invalid"]})
    event = AuditEvent.objects.get(action="auth.sign_in_failed")
    assert event.data == {"provider": "saml", "error": "unknown", "errors": ["invalid"],
                          "reason": "r" * 500}


def test_without_a_saml_app_there_are_no_attribute_names(settings: Any) -> None:
    settings.SOCIALACCOUNT_PROVIDERS = {}
    assert portal_attribute_names() == {}
    settings.SOCIALACCOUNT_PROVIDERS = {"saml": {"APPS": [
        {"settings": {"portal_attributes": {"uid": ["uid"]}}}]}}
    assert portal_attribute_names() == {"uid": ["uid"]}
