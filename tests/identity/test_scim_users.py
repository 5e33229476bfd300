"""/scim/v2/Users driven as Entra ID and Okta drive it: look up by filter, create, patch,
deactivate; the same rows SAML sign-in uses."""

from __future__ import annotations

from typing import Any

import pytest

from identity.models import Departure, ScimUser
from portal.models import ApiToken, AuditEvent, User
from tests.identity.conftest import Scim

pytestmark = pytest.mark.django_db

ERROR = "urn:ietf:params:scim:api:messages:2.0:Error"
PATCH = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
USER = "urn:ietf:params:scim:schemas:core:2.0:User"
ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"

# The body Entra ID's provisioning service POSTs (its default attribute mappings).
ENTRA_CREATE = {
    "schemas": [USER, ENTERPRISE], "externalId": "7b1c6f0e-0d4e-4a44-9d0a-entra-oid",
    "userName": "BANK\\nina", "active": True, "displayName": "Nina Newcomer",
    "name": {"formatted": "Nina Newcomer", "familyName": "Newcomer", "givenName": "Nina"},
    "emails": [{"primary": True, "type": "work", "value": "nina@bank.example"}],
    ENTERPRISE: {"department": "Risk", "costCenter": "CC-3003"},
    "meta": {"resourceType": "User"},
}


def error_of(response: Any) -> dict[str, Any]:
    body: dict[str, Any] = response.json()
    assert body["schemas"] == [ERROR]
    assert body["status"] == str(response.status_code)
    return body


def test_it_refuses_calls_without_the_scim_token(scim: Scim, scientist: User) -> None:
    assert scim.call("GET", "Users", key="").status_code == 401
    wrong = scim.call("GET", "Users", key="scim_not-a-token")
    assert wrong.status_code == 401
    assert wrong["WWW-Authenticate"].startswith("Bearer")
    error_of(wrong)


def test_a_persons_api_token_is_not_a_scim_token(scim: Scim, scientist: User) -> None:
    from portal.services import api_token_rotate

    key = api_token_rotate(user=scientist)
    assert scim.call("GET", "Users", key=key).status_code == 401


def test_a_revoked_token_stops_working(scim: Scim) -> None:
    from identity.models import ScimToken
    from identity.scim_auth import scim_token_revoke

    assert scim.call("GET", "Users").status_code == 200
    scim_token_revoke(token=ScimToken.objects.get())
    assert scim.call("GET", "Users").status_code == 401


def test_entra_looks_up_then_creates_a_user(scim: Scim, manager: User) -> None:
    found = scim.call("GET", 'Users?filter=userName eq "BANK\\\\nina"')
    assert found.status_code == 200
    assert found["Content-Type"] == "application/scim+json"
    assert found.json()["totalResults"] == 0

    created = scim.call("POST", "Users", {**ENTRA_CREATE, ENTERPRISE: {
        **ENTRA_CREATE[ENTERPRISE], "manager": {"value": str(manager.pk)}}})

    assert created.status_code == 201, created.content
    body = created.json()
    user = User.objects.get(username="BANK\\nina")
    assert body["id"] == str(user.pk) and created["Location"].endswith(f"/Users/{user.pk}")
    assert body["externalId"] == ENTRA_CREATE["externalId"] and body["active"] is True
    assert (user.email, user.first_name, user.department, user.cost_center, user.manager) == (
        "nina@bank.example", "Nina", "Risk", "CC-3003", manager)
    assert not user.has_usable_password()  # SAML's first sign-in takes this row over
    again = scim.call("GET", 'Users?filter=userName eq "bank\\\\NINA"')  # caseExact false
    assert [r["id"] for r in again.json()["Resources"]] == [str(user.pk)]
    by_external = scim.call("GET", f'Users?filter=externalId eq "{ENTRA_CREATE["externalId"]}"')
    assert [r["id"] for r in by_external.json()["Resources"]] == [str(user.pk)]
    assert AuditEvent.objects.filter(action="scim.user_created", object_id=str(user.pk)).exists()


def test_a_second_create_of_the_same_username_is_a_uniqueness_error(scim: Scim) -> None:
    assert scim.call("POST", "Users", ENTRA_CREATE).status_code == 201
    twice = scim.call("POST", "Users", {**ENTRA_CREATE, "userName": "bank\\NINA"})
    assert twice.status_code == 409
    assert error_of(twice)["scimType"] == "uniqueness"
    assert User.objects.filter(username__iexact="bank\\nina").count() == 1


def test_the_filter_finds_the_person_saml_created(scim: Scim, scientist: User) -> None:
    found = scim.call("GET", f'Users?filter=userName eq "{scientist.username}"').json()
    assert found["totalResults"] == 1
    assert found["Resources"][0]["id"] == str(scientist.pk)


@pytest.mark.parametrize("query", ['Users?filter=userName co "dana"',
                                   'Users?filter=title eq "x"', "Users?filter=userName eq dana"])
def test_an_unsupported_filter_is_an_invalid_filter_error(scim: Scim, query: str) -> None:
    response = scim.call("GET", query)
    assert response.status_code == 400
    assert error_of(response)["scimType"] == "invalidFilter"


def test_bad_bodies_are_scim_errors_and_change_nothing(scim: Scim, scientist: User) -> None:
    assert error_of(scim.call("POST", "Users", {"userName": ""}))["scimType"] == "invalidValue"
    bad_json = scim.client.post("/scim/v2/Users", data="{", content_type="application/scim+json",
                                HTTP_AUTHORIZATION=f"Bearer {scim.key}")
    assert bad_json.status_code == 400 and error_of(bad_json)["scimType"] == "invalidSyntax"
    no_schema = scim.call("PATCH", f"Users/{scientist.pk}", {"Operations": [
        {"op": "replace", "path": "active", "value": False}]})
    assert no_schema.status_code == 400
    unknown_op = scim.call("PATCH", f"Users/{scientist.pk}", {"schemas": [PATCH], "Operations": [
        {"op": "Frobnicate", "path": "active", "value": False}]})
    assert unknown_op.status_code == 400
    assert scim.call("GET", "Users/999999").status_code == 404
    assert scim.call("GET", "Users/not-a-number").status_code == 404
    scientist.refresh_from_db()
    assert scientist.is_active


def test_entra_patches_attributes_with_capitalised_ops(scim: Scim, scientist: User) -> None:
    response = scim.call("PATCH", f"Users/{scientist.pk}", {"schemas": [PATCH], "Operations": [
        {"op": "Replace", "path": "name.familyName", "value": "Renamed"},
        {"op": "Replace", "path": 'emails[type eq "work"].value', "value": "dana2@bank.example"},
        {"op": "Add", "path": f"{ENTERPRISE}:department", "value": "Fraud"},
        {"op": "Replace", "path": "externalId", "value": "entra-oid-dana"}]})
    assert response.status_code == 200, response.content
    scientist.refresh_from_db()
    assert (scientist.last_name, scientist.email, scientist.department) == (
        "Renamed", "dana2@bank.example", "Fraud")
    assert ScimUser.objects.get(user=scientist).external_id == "entra-oid-dana"
    assert response.json()["externalId"] == "entra-oid-dana"


@pytest.mark.parametrize("operation", [
    {"op": "Replace", "path": "active", "value": "False"},        # Entra (string boolean)
    {"op": "replace", "path": "active", "value": False},
    {"op": "replace", "value": {"active": False}},                 # Okta: no path
], ids=["entra", "rfc", "okta"])
def test_patch_active_false_deactivates_the_person(scim: Scim, scientist: User,
                                                   operation: dict[str, Any]) -> None:
    from portal.services import api_token_rotate

    api_token_rotate(user=scientist)
    response = scim.call("PATCH", f"Users/{scientist.pk}",
                         {"schemas": [PATCH], "Operations": [operation]})
    assert response.status_code == 200, response.content
    assert response.json()["active"] is False
    scientist.refresh_from_db()
    assert not scientist.is_active
    assert not ApiToken.objects.filter(user=scientist).exists()
    departure = Departure.objects.get(person=scientist)
    assert (departure.kind, departure.source, departure.api_tokens_revoked) == ("leaver", "scim", 1)
    # Sent again (IdPs retry), nothing happens twice.
    scim.call("PATCH", f"Users/{scientist.pk}", {"schemas": [PATCH], "Operations": [operation]})
    assert Departure.objects.filter(person=scientist).count() == 1


def test_okta_put_with_active_false_deactivates(scim: Scim, scientist: User) -> None:
    response = scim.call("PUT", f"Users/{scientist.pk}", {
        "schemas": [USER], "userName": scientist.username, "active": False,
        "name": {"givenName": "Dana", "familyName": "Example"},
        "emails": [{"value": scientist.email, "primary": True}]})
    assert response.status_code == 200
    scientist.refresh_from_db()
    assert not scientist.is_active


def test_active_true_reactivates(scim: Scim, scientist: User) -> None:
    off = {"schemas": [PATCH], "Operations": [{"op": "replace", "value": {"active": False}}]}
    on = {"schemas": [PATCH], "Operations": [{"op": "replace", "value": {"active": True}}]}
    scim.call("PATCH", f"Users/{scientist.pk}", off)
    scim.call("PATCH", f"Users/{scientist.pk}", on)
    scientist.refresh_from_db()
    assert scientist.is_active
    assert AuditEvent.objects.filter(action="person.reactivated").count() == 1


def test_delete_deactivates_and_hides_the_person(scim: Scim, scientist: User) -> None:
    response = scim.call("DELETE", f"Users/{scientist.pk}")
    assert response.status_code == 204
    scientist.refresh_from_db()
    assert not scientist.is_active  # kept for the record (audit, environments)
    assert scim.call("GET", f"Users/{scientist.pk}").status_code == 404
    listed = scim.call("GET", f'Users?filter=userName eq "{scientist.username}"').json()
    assert listed["totalResults"] == 0


def test_okta_test_connection_pages_the_users(scim: Scim, scientist: User, colleague: User,
                                              manager: User) -> None:
    page = scim.call("GET", "Users?startIndex=1&count=2").json()
    assert page["schemas"] == ["urn:ietf:params:scim:api:messages:2.0:ListResponse"]
    assert (page["totalResults"], page["itemsPerPage"], page["startIndex"]) == (3, 2, 1)
    rest = scim.call("GET", "Users?startIndex=3&count=2").json()
    assert [r["userName"] for r in rest["Resources"]] == [
        sorted([scientist, colleague, manager], key=lambda u: u.pk)[2].username]


def test_discovery_documents(scim: Scim) -> None:
    config = scim.call("GET", "ServiceProviderConfig").json()
    assert config["patch"]["supported"] is True and config["bulk"]["supported"] is False
    types = scim.call("GET", "ResourceTypes").json()
    assert {r["id"] for r in types["Resources"]} == {"User", "Group"}
    schemas = scim.call("GET", "Schemas").json()
    assert USER in {s["id"] for s in schemas["Resources"]}
