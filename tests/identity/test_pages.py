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


def test_an_admin_reactivates_a_leaver_and_what_was_handed_over_stays(
        platform_admin: User, scientist: User, manager: User, available: Environment) -> None:
    admin = signed_in(platform_admin)
    admin.post("/people/deactivate", {"username": scientist.username, "reason": "Left the bank",
                                      "confirm": "yes"})
    assert 'class="reactivate-form"' in admin.get("/people/leavers/").content.decode()

    response = admin.post("/people/reactivate", {"username": scientist.username,
                                                 "confirm": "yes"})

    assert response.status_code == 302
    scientist.refresh_from_db()
    assert scientist.is_active
    event = AuditEvent.objects.get(action="person.reactivated")
    assert event.actor == platform_admin and event.data == {"source": "portal"}
    handover = Departure.objects.get().handovers.get()
    assert handover.new_owner == manager  # reactivating hands nothing back
    report = admin.get("/people/leavers/").content.decode()
    assert 'data-active="true"' in report and 'class="reactivate-form"' not in report


@pytest.mark.parametrize("form, message", [
    ({"username": "nobody", "confirm": "yes"}, "No person"),
    ({"username": "dana.scientist"}, "Confirm the reactivation"),
    ({}, "No person"),
])
def test_bad_reactivate_forms_change_nothing(platform_admin: User, scientist: User,
                                             form: dict[str, str], message: str) -> None:
    person_deactivate(user=scientist, source="scim")
    response = signed_in(platform_admin).post("/people/reactivate", form)
    assert response.status_code == 400
    assert message in response.content.decode()
    scientist.refresh_from_db()
    assert not scientist.is_active
    assert not AuditEvent.objects.filter(action="person.reactivated").exists()


def test_reactivating_someone_active_is_a_clear_error(platform_admin: User,
                                                      scientist: User) -> None:
    response = signed_in(platform_admin).post("/people/reactivate", {
        "username": scientist.username, "confirm": "yes"})
    assert response.status_code == 400 and "active already" in response.content.decode()
    assert not AuditEvent.objects.filter(action="person.reactivated").exists()


def test_only_platform_admins_reactivate(scientist: User, auditor: User, manager: User) -> None:
    person_deactivate(user=scientist, source="scim")
    for person in (manager, auditor):
        assert signed_in(person).post("/people/reactivate", {
            "username": scientist.username, "confirm": "yes"}).status_code == 403
    assert "reactivate-form" not in signed_in(auditor).get("/people/leavers/").content.decode()
    scientist.refresh_from_db()
    assert not scientist.is_active


def test_the_leavers_report_is_in_the_menu_of_admins_and_auditors(
        platform_admin: User, auditor: User, manager: User) -> None:
    item = 'data-nav="identity:leavers_report"'
    assert item in signed_in(platform_admin).get("/").content.decode()
    assert item in signed_in(auditor).get("/").content.decode()
    assert item not in signed_in(manager).get("/").content.decode()
