"""The IdP's uid is the portal username, stored exactly; never generated, never merged."""

from __future__ import annotations

from typing import Any

import pytest
from allauth.socialaccount.models import SocialAccount

from portal.models import AuditEvent, User
from tests.saml_crafted import Claims
from tests.saml_idp import SamlBrowser


def sign_in(browser: SamlBrowser, uid: str) -> Any:
    start = browser.start()
    response = browser.post_response(browser.idp.sign_in_response(Claims(
        name_id="nameid-unused", attributes={"uid": [uid], "mail": ["someone@bank.example"]},
        in_response_to=start.request_id)))
    assert response.status_code < 500
    return response


def signed_in_as(response: Any) -> str:
    assert response.wsgi_request.user.is_authenticated
    return str(response.wsgi_request.user.username)


@pytest.mark.parametrize("uid", ["BANK\\dana.scientist", "pat admin", "Dana.Scientist",
                                 "dana+ml@bank.example", "ü.name", "x" * 150])
def test_a_uid_is_stored_exactly_as_sent(crafted: SamlBrowser, uid: str) -> None:
    assert signed_in_as(sign_in(crafted, uid)) == uid
    assert User.objects.get().username == uid
    assert SocialAccount.objects.get().uid == uid


def test_uids_differing_in_case_or_domain_are_different_people(crafted: SamlBrowser) -> None:
    uids = ["dana", "Dana", "BANK\\dana", "user"]
    for uid in uids:
        assert signed_in_as(sign_in(crafted, uid)) == uid
        crafted.client.post("/accounts/logout/")

    assert sorted(User.objects.values_list("username", flat=True)) == sorted(uids)


def assert_refused_with_page(browser: SamlBrowser, response: Any, reason: str) -> None:
    assert not response.wsgi_request.user.is_authenticated
    assert "Sign-in failed" in response.content.decode()
    event = AuditEvent.objects.filter(action="auth.sign_in_failed").latest("id")
    assert reason in event.data["reason"]


def test_a_uid_longer_than_a_username_is_refused_with_a_clear_page(crafted: SamlBrowser) -> None:
    response = sign_in(crafted, "x" * 151)

    assert_refused_with_page(crafted, response, "longer than 150")
    assert "longer than 150 characters" in response.content.decode()
    assert not User.objects.exists()


def test_two_long_uids_sharing_a_prefix_never_merge(crafted: SamlBrowser) -> None:
    prefix = "p" * 150
    assert signed_in_as(sign_in(crafted, prefix)) == prefix
    crafted.client.post("/accounts/logout/")

    response = sign_in(crafted, prefix + "-someone-else")

    assert_refused_with_page(crafted, response, "longer than 150")
    assert User.objects.count() == 1


# (python3-saml strips blanks around attribute values, and XML cannot carry NUL at all.)
@pytest.mark.parametrize("uid", ["da\tna", "da\nna", "dana\u200b", "\u202edana"])
def test_a_uid_with_control_or_invisible_characters_is_refused(
    crafted: SamlBrowser, uid: str
) -> None:
    response = sign_in(crafted, uid)

    assert_refused_with_page(crafted, response, "Unusable user id")
    assert not User.objects.exists()


def test_the_break_glass_account_never_links_to_a_saml_identity(crafted: SamlBrowser) -> None:
    local = User.objects.create_user(username="breakglass", password="a-long-local-secret")

    response = sign_in(crafted, "breakglass")

    assert_refused_with_page(crafted, response, "belongs to another portal account")
    assert not SocialAccount.objects.exists()
    local.refresh_from_db()
    assert local.check_password("a-long-local-secret")


def test_an_account_linked_to_another_identity_is_not_taken_over(crafted: SamlBrowser) -> None:
    owner = User.objects.create(username="dana.scientist")
    SocialAccount.objects.create(user=owner, provider="saml", uid="some-other-uid")

    response = sign_in(crafted, "dana.scientist")

    assert_refused_with_page(crafted, response, "belongs to another portal account")
    assert SocialAccount.objects.get().uid == "some-other-uid"


@pytest.mark.parametrize(("uid", "problem"), [
    ("", "no user id"), (" dana", "blank space"), ("dana ", "blank space"),
    ("x" * 151, "longer than 150"), ("da\x00na", "control characters"),
])
def test_uid_problem_names_what_is_wrong(uid: str, problem: str) -> None:
    from portal.sso import uid_problem

    assert problem in uid_problem(uid)


def test_uid_problem_accepts_a_uid_of_exactly_150_characters() -> None:
    from portal.sso import uid_problem

    assert uid_problem("x" * 150) == ""
