"""The SP-initiated round trip against the pysaml2 dev IdP, with signed assertions."""

from __future__ import annotations

from portal.models import AuditEvent, User
from tests.saml_idp import SamlBrowser


def test_it_signs_in_a_data_scientist_with_attributes_from_the_assertion(saml: SamlBrowser) -> None:
    response = saml.sign_in("dana.scientist")

    assert response.status_code == 200
    assert response.wsgi_request.user.is_authenticated
    user = User.objects.get(username="dana.scientist")
    assert user.email == "dana.scientist@bank.example"
    assert (user.first_name, user.last_name) == ("Dana", "Scientist")
    assert user.department == "Fraud Analytics"
    assert user.cost_center == "CC-1001"
    assert user.manager_ref == "maria.manager"
    assert user.idp_groups == ["data-scientists"]
    assert user.roles == []
    assert user.owner_id == "AROAEXAMPLEDATASCIENTIST:dana.scientist"
    assert AuditEvent.objects.filter(action="auth.sign_in", actor=user).count() == 1


def test_a_second_sign_in_applies_changed_attributes(saml: SamlBrowser) -> None:
    saml.sign_in("dana.scientist")
    saml.client.post("/accounts/logout/")
    changed = {**saml.user("dana.scientist").attributes,
               "department": ["Model Risk"], "costCenter": ["CC-3003"],
               "mail": ["dana.s@bank.example"]}

    response = saml.sign_in("dana.scientist", attributes=changed)

    assert response.wsgi_request.user.is_authenticated
    user = User.objects.get(username="dana.scientist")
    assert (user.department, user.cost_center, user.email) == (
        "Model Risk", "CC-3003", "dana.s@bank.example")
    assert User.objects.filter(username="dana.scientist").count() == 1


def test_groups_map_to_roles_and_a_dropped_group_drops_the_role(saml: SamlBrowser) -> None:
    saml.sign_in("pat.admin")
    admin = User.objects.get(username="pat.admin")
    assert admin.roles == ["catalog_admin"] and admin.is_staff
    saml.client.post("/accounts/logout/")

    without_group = {**saml.user("pat.admin").attributes, "groups": ["data-scientists"]}
    saml.sign_in("pat.admin", attributes=without_group)

    admin.refresh_from_db()
    assert admin.roles == [] and not admin.is_staff
    changes = AuditEvent.objects.filter(action="user.roles_changed", object_id=str(admin.pk))
    assert [e.data["removed"] for e in changes.order_by("id")] == [[], ["catalog_admin"]]


def test_an_auditor_gets_the_auditor_role(saml: SamlBrowser) -> None:
    saml.sign_in("audrey.auditor")

    assert User.objects.get(username="audrey.auditor").roles == ["auditor"]


def test_the_manager_is_linked_whichever_signs_in_first(saml: SamlBrowser) -> None:
    saml.sign_in("dana.scientist")
    saml.client.post("/accounts/logout/")
    saml.sign_in("maria.manager")

    dana = User.objects.get(username="dana.scientist")
    assert dana.manager == User.objects.get(username="maria.manager")


def test_the_sp_metadata_is_published_with_signed_assertions_wanted(saml: SamlBrowser) -> None:
    response = saml.client.get("/accounts/saml/sso/metadata/")

    assert response.status_code == 200
    body = response.content.decode()
    assert 'entityID="urn:ml-portal:sp"' in body
    assert 'WantAssertionsSigned="true"' in body
    assert "http://localhost/accounts/saml/sso/acs/" in body


def test_a_first_sign_in_takes_over_the_person_provisioned_under_that_uid(
    saml: SamlBrowser,
) -> None:
    provisioned = User.objects.create(username="dana.scientist")

    saml.sign_in("dana.scientist")

    assert User.objects.filter(username__startswith="dana").count() == 1
    provisioned.refresh_from_db()
    assert provisioned.email == "dana.scientist@bank.example"
    assert saml.client.session["_auth_user_id"] == str(provisioned.pk)
