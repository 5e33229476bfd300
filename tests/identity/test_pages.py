"""The platform admin's pages: the leavers report, the audited deactivate action, the tokens."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from identity.models import Departure, ScimToken
from identity.offboarding import person_deactivate
from portal.models import AuditEvent, User
from provisioning.models import Environment

pytestmark = pytest.mark.django_db


def signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_an_admin_deactivates_a_person_from_the_report(platform_admin: User, scientist: User,
                                                       available: Environment) -> None:
    admin = signed_in(platform_admin)
    response = admin.post("/people/deactivate", {"username": scientist.username,
                                                 "reason": "Left the bank", "confirm": "yes"})
    assert response.status_code == 302
    scientist.refresh_from_db()
    assert not scientist.is_active
    event = AuditEvent.objects.get(action="person.deactivated")
    assert event.actor == platform_admin and event.data["reason"] == "Left the bank"

    report = admin.get("/people/leavers/")
    assert report.status_code == 200
    text = report.content.decode()
    assert scientist.username in text and available.provisioned_product_name in text
    assert "maria.manager" in text  # who the notebook goes to


@pytest.mark.parametrize("form, message", [
    ({"username": "nobody", "reason": "x", "confirm": "yes"}, "No person"),
    ({"username": "dana.scientist", "reason": "", "confirm": "yes"}, "Say why"),
    ({"username": "dana.scientist", "reason": "x"}, "Confirm"),
    ({"username": "pat.admin", "reason": "x", "confirm": "yes"}, "yourself"),
])
def test_bad_deactivate_forms_change_nothing(platform_admin: User, scientist: User,
                                             form: dict[str, str], message: str) -> None:
    response = signed_in(platform_admin).post("/people/deactivate", form)
    assert response.status_code == 400
    assert message in response.content.decode()
    scientist.refresh_from_db()
    assert scientist.is_active and not Departure.objects.exists()


def test_deactivating_someone_already_inactive_is_a_clear_error(platform_admin: User,
                                                                scientist: User) -> None:
    person_deactivate(user=scientist, source="scim")
    response = signed_in(platform_admin).post("/people/deactivate", {
        "username": scientist.username, "reason": "x", "confirm": "yes"})
    assert response.status_code == 400 and "already deactivated" in response.content.decode()


def test_only_platform_admins_deactivate_and_auditors_read(scientist: User, auditor: User,
                                                           manager: User) -> None:
    assert signed_in(manager).post("/people/deactivate", {
        "username": scientist.username, "reason": "x", "confirm": "yes"}).status_code == 403
    assert signed_in(manager).get("/people/leavers/").status_code == 403
    reading = signed_in(auditor).get("/people/leavers/")
    assert reading.status_code == 200 and "deactivate-form" not in reading.content.decode()
    scientist.refresh_from_db()
    assert scientist.is_active


def test_the_report_costs_the_same_queries_for_more_leavers(
        platform_admin: User, scientist: User, colleague: User, outsider: User,
        django_assert_max_num_queries: Any) -> None:
    person_deactivate(user=scientist, source="scim")
    admin = signed_in(platform_admin)
    admin.get("/people/leavers/")
    with django_assert_max_num_queries(12):
        admin.get("/people/leavers/")
    person_deactivate(user=colleague, source="scim")
    person_deactivate(user=outsider, source="scim")
    with django_assert_max_num_queries(12):
        admin.get("/people/leavers/")


def test_a_token_is_shown_once_and_works(platform_admin: User) -> None:
    admin = signed_in(platform_admin)
    response = admin.post("/people/scim-tokens/", {"name": "entra"})
    assert response.status_code == 200 and response["Cache-Control"] == "no-store"
    key = response.context["key"]
    assert key.startswith("scim_") and key in response.content.decode()
    token = ScimToken.objects.get()
    assert token.digest == ScimToken.digest_of(key) and key not in token.digest
    assert key not in admin.get("/people/scim-tokens/").content.decode()
    api = Client(HTTP_AUTHORIZATION=f"Bearer {key}")
    assert api.get("/scim/v2/Users").status_code == 200
    assert admin.post(f"/people/scim-tokens/{token.pk}/revoke").status_code == 302
    assert api.get("/scim/v2/Users").status_code == 401
    assert AuditEvent.objects.filter(action__startswith="scim.token_").count() == 2


def test_the_management_command_prints_a_working_key(db: None, capsys: Any) -> None:
    from django.core.management import call_command

    call_command("scim_token", "--name", "okta")
    key = capsys.readouterr().out.strip()
    assert Client(HTTP_AUTHORIZATION=f"Bearer {key}").get("/scim/v2/Users").status_code == 200
