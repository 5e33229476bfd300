"""A sign-in with an unusable uid, or one that belongs to a local or already linked account, is
refused with the exact reason in the audit trail (what an admin searches for) and the words the
person reads."""

from __future__ import annotations

from allauth.socialaccount.models import SocialAccount

from portal.models import AuditEvent, User
from tests.portal.test_saml_usernames import sign_in
from tests.saml_idp import SamlBrowser


def test_a_linked_accounts_uid_is_refused_with_the_exact_reason(crafted: SamlBrowser) -> None:
    owner = User.objects.create(username="dana.scientist")
    SocialAccount.objects.create(user=owner, provider="saml", uid="some-other-uid")
    response = sign_in(crafted, "dana.scientist")
    event = AuditEvent.objects.filter(action="auth.sign_in_failed").latest("id")
    assert event.data["reason"] == (
        "The user id belongs to another portal account (local or linked).")
    assert ("Your user id is already used by another portal account. Contact the platform "
            "team.") in response.content.decode()


def test_an_unusable_uid_is_refused_with_the_reason_and_whom_to_contact(
        crafted: SamlBrowser) -> None:
    response = sign_in(crafted, "x" * 151)
    assert ("The user id is longer than 150 characters. The portal cannot create your account; "
            "contact the platform team.") in response.content.decode()
    event = AuditEvent.objects.filter(action="auth.sign_in_failed").latest("id")
    assert event.data["reason"] == (
        "Unusable user id: The user id is longer than 150 characters.")
