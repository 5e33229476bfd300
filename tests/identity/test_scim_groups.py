"""/scim/v2/Groups as Entra ID and Okta drive it, and movers: a person removed from a project's
access group leaves the project (their environments there handed over as its policy says)."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import Group

from identity.models import Departure, Handover
from portal.models import AuditEvent, Membership, Project, Role, User
from provisioning.models import Environment
from tests.identity.conftest import Scim

pytestmark = pytest.mark.django_db

PATCH = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group"
FRAUD_DN = "CN=ml-fraud-team,OU=Groups,DC=bank,DC=example"


def create_group(scim: Scim, name: str, members: list[User] | None = None) -> dict[str, Any]:
    response = scim.call("POST", "Groups", {
        "schemas": [GROUP], "displayName": name, "externalId": f"oid-{name}",
        "members": [{"value": str(u.pk)} for u in members or []]})
    assert response.status_code == 201, response.content
    body: dict[str, Any] = response.json()
    return body


def test_entra_creates_a_group_then_adds_members(scim: Scim, scientist: User,
                                                 colleague: User) -> None:
    assert scim.call("GET", 'Groups?filter=displayName eq "ml-fraud-team"').json()[
        "totalResults"] == 0
    group = create_group(scim, "ml-fraud-team")
    response = scim.call("PATCH", f"Groups/{group['id']}", {"schemas": [PATCH], "Operations": [
        {"op": "Add", "path": "members",
         "value": [{"value": str(scientist.pk)}, {"value": str(colleague.pk)}]}]})
    assert response.status_code == 200, response.content
    assert {m["value"] for m in response.json()["members"]} == {str(scientist.pk),
                                                                 str(colleague.pk)}
    assert set(scientist.groups.values_list("name", flat=True)) == {"ml-fraud-team"}
    found = scim.call("GET", 'Groups?filter=displayName eq "ml-fraud-team"&excludedAttributes='
                             'members').json()
    assert [g["id"] for g in found["Resources"]] == [group["id"]]
    assert "members" not in found["Resources"][0]


def test_the_group_saml_made_is_the_one_scim_gets(scim: Scim, scientist: User) -> None:
    saml = Group.objects.create(name=FRAUD_DN)
    scientist.groups.add(saml)
    body = create_group(scim, FRAUD_DN)
    assert body["id"] == str(saml.pk)
    assert Group.objects.filter(name=FRAUD_DN).count() == 1
    assert create_group_twice(scim) == 409


def create_group_twice(scim: Scim) -> int:
    response = scim.call("POST", "Groups", {"schemas": [GROUP], "displayName": FRAUD_DN})
    assert response.json()["scimType"] == "uniqueness"
    return int(response.status_code)


def test_removing_a_member_okta_style_and_entra_style(scim: Scim, scientist: User,
                                                      colleague: User) -> None:
    group = create_group(scim, "ml-fraud-team", [scientist, colleague])
    okta = scim.call("PATCH", f"Groups/{group['id']}", {"schemas": [PATCH], "Operations": [
        {"op": "remove", "path": f'members[value eq "{scientist.pk}"]'}]})
    assert okta.status_code == 200
    assert [m["value"] for m in okta.json()["members"]] == [str(colleague.pk)]
    entra = scim.call("PATCH", f"Groups/{group['id']}", {"schemas": [PATCH], "Operations": [
        {"op": "Remove", "path": "members", "value": [{"value": str(colleague.pk)}]}]})
    assert entra.json()["members"] == []
    assert AuditEvent.objects.filter(action="scim.group_members_changed").count() == 3


def test_okta_renames_a_group_without_a_path(scim: Scim) -> None:
    group = create_group(scim, "ml-fraud")
    response = scim.call("PATCH", f"Groups/{group['id']}", {"schemas": [PATCH], "Operations": [
        {"op": "replace", "value": {"id": group["id"], "displayName": "ml-fraud-team"}}]})
    assert response.json()["displayName"] == "ml-fraud-team"


def test_an_unknown_member_is_refused_and_nothing_changes(scim: Scim, scientist: User) -> None:
    group = create_group(scim, "ml-fraud-team", [scientist])
    response = scim.call("PATCH", f"Groups/{group['id']}", {"schemas": [PATCH], "Operations": [
        {"op": "remove", "path": "members", "value": [{"value": str(scientist.pk)}]},
        {"op": "add", "path": "members", "value": [{"value": "987654"}]}]})
    assert response.status_code == 400
    assert response.json()["scimType"] == "invalidValue"
    assert list(scientist.groups.values_list("name", flat=True)) == ["ml-fraud-team"]


def test_a_role_group_change_changes_roles_at_once(scim: Scim, scientist: User,
                                                   settings: Any) -> None:
    settings.PORTAL_ROLE_GROUPS = {**settings.PORTAL_ROLE_GROUPS, "approver": ["ml-approvers"]}
    group = create_group(scim, "ml-approvers", [scientist])
    scientist.refresh_from_db()
    assert scientist.roles == [Role.APPROVER]
    scim.call("PATCH", f"Groups/{group['id']}", {"schemas": [PATCH], "Operations": [
        {"op": "remove", "path": f'members[value eq "{scientist.pk}"]'}]})
    scientist.refresh_from_db()
    assert scientist.roles == []


def test_a_mover_removed_from_the_access_group_leaves_the_project(
        scim: Scim, available: Environment, scientist: User, manager: User,
        project: Project) -> None:
    project.access_group = "ml-fraud-team"
    project.save()
    group = create_group(scim, FRAUD_DN, [scientist, manager])  # a DN whose CN is the name
    assert Membership.objects.filter(user=scientist, project=project).exists()

    response = scim.call("PATCH", f"Groups/{group['id']}", {"schemas": [PATCH], "Operations": [
        {"op": "Remove", "path": "members", "value": [{"value": str(scientist.pk)}]}]})

    assert response.status_code == 200
    assert not Membership.objects.filter(user=scientist, project=project).exists()
    assert Membership.objects.filter(user=manager, project=project).exists()
    departure = Departure.objects.get(person=scientist)
    assert (departure.kind, departure.project, departure.source) == ("mover", project, "scim")
    handover = Handover.objects.get(departure=departure)
    assert (handover.environment, handover.new_owner) == (available, manager)
    scientist.refresh_from_db()
    assert scientist.is_active  # a mover keeps their account
    assert AuditEvent.objects.filter(action="person.left_project", project=project).exists()


def test_a_project_without_an_access_group_is_left_alone(scim: Scim, scientist: User,
                                                         project: Project) -> None:
    group = create_group(scim, "ml-fraud-team", [scientist])
    scim.call("DELETE", f"Groups/{group['id']}")
    assert Membership.objects.filter(user=scientist, project=project).exists()
    assert not Group.objects.filter(name="ml-fraud-team").exists()


def test_the_next_saml_sign_in_without_the_group_makes_a_mover(
        scientist: User, project: Project, rf: Any) -> None:
    """portal's receiver syncs the groups from the assertion, then identity's compares them."""
    from allauth.account.signals import user_logged_in

    from portal.sso import portal_attribute_names

    project.access_group = FRAUD_DN.lower()  # DNs compare case-insensitively
    project.save()
    claim = (portal_attribute_names().get("groups") or ["groups"])[0]

    def sign_in(groups: list[str]) -> None:
        class Account:
            provider = "saml"
            extra_data = {claim: groups}

        class Login:
            account = Account()

        user_logged_in.send(sender=User, request=rf.get("/"), user=scientist,
                            sociallogin=Login())

    sign_in([FRAUD_DN])
    assert Membership.objects.filter(user=scientist, project=project).exists()
    sign_in(["CN=other,DC=bank"])
    assert not Membership.objects.filter(user=scientist, project=project).exists()
    assert Departure.objects.get(person=scientist).source == "saml"


def test_a_movers_approval_tasks_in_that_project_go_to_the_fallback(
        scim: Scim, manager: User, colleague: User, project: Project, notebook: Any) -> None:
    from tests.identity.test_person_deactivate import pending_request

    project.access_group = "ml-fraud-team"
    project.save()
    request, task = pending_request(colleague, project, notebook, [manager])
    group = create_group(scim, "ml-fraud-team", [manager, colleague])
    scim.call("PATCH", f"Groups/{group['id']}", {"schemas": [PATCH], "Operations": [
        {"op": "remove", "path": f'members[value eq "{manager.pk}"]'}]})
    assert manager not in task.eligible_approvers.all()
    assert Departure.objects.get(person=manager).tasks_reassigned[0]["request"] == (
        request.reference)
