"""user_sync_from_saml: the IdP's view of a person, applied at every sign-in."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import Group

from portal.models import AuditEvent, User
from portal.saml_config import saml_app_settings
from portal.services import user_sync_from_saml
from tests.conftest import make_user

# The attribute names the SAML app is configured with (the shipped defaults in tests).
ATTRIBUTE_NAMES = saml_app_settings({})["portal_attributes"]


@pytest.fixture(autouse=True)
def _portal_config(settings: Any) -> None:
    settings.PORTAL_ROLE_GROUPS = {
        "catalog_admin": ["ml-platform-admins"],
        "auditor": ["it-audit"],
        "approver": ["ml-approvers"],
    }
    settings.PORTAL_OWNER_ID_TEMPLATE = "{aws_role_id}:{username}"
    settings.PORTAL_AWS_ROLE_ID = "AROADATASCIENTIST"


def attributes(**overrides: list[str]) -> dict[str, list[str]]:
    """Raw SAML attributes as allauth stores them: every value a list."""
    raw = {
        "uid": ["nina.new"],
        "mail": ["nina.new@bank.example"],
        "givenName": ["Nina"],
        "sn": ["New"],
        "department": ["Fraud Analytics"],
        "costCenter": ["CC-3003"],
        "groups": ["data-scientists"],
    }
    raw.update(overrides)
    return raw


def sync(user: User, raw: dict[str, list[str]]) -> User:
    user_sync_from_saml(user=user, raw_attributes=raw, attribute_names=ATTRIBUTE_NAMES)
    return User.objects.get(pk=user.pk)


@pytest.fixture
def nina(db: None) -> User:
    """A person signing in for the first time: allauth created a bare user."""
    return User.objects.create(username="nina.new")


def roles_changed(user: User) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action="user.roles_changed", object_id=str(user.pk)))


def test_it_updates_the_profile_fields(nina: User) -> None:
    nina = sync(nina, attributes())

    assert nina.email == "nina.new@bank.example"
    assert nina.first_name == "Nina"
    assert nina.last_name == "New"
    assert nina.department == "Fraud Analytics"
    assert nina.cost_center == "CC-3003"
    assert nina.last_saml_sign_in is not None


def test_it_reads_the_first_attribute_name_present(nina: User) -> None:
    raw = attributes(**{"urn:oid:2.5.4.11": ["Model Risk"]})
    del raw["department"]

    assert sync(nina, raw).department == "Model Risk"


def test_a_second_sign_in_replaces_changed_attributes(nina: User) -> None:
    sync(nina, attributes())

    nina = sync(nina, attributes(department=["Credit Risk"], costCenter=["CC-4004"]))

    assert nina.department == "Credit Risk"
    assert nina.cost_center == "CC-4004"


def test_it_resolves_the_manager_by_uid(nina: User, manager: User) -> None:
    nina = sync(nina, attributes(manager=["maria.manager"]))

    assert nina.manager == manager
    assert nina.manager_ref == "maria.manager"


def test_it_resolves_the_manager_by_email_whatever_the_case(nina: User, manager: User) -> None:
    assert sync(nina, attributes(manager=["Maria.Manager@BANK.example"])).manager == manager


def test_a_person_is_never_their_own_manager(nina: User) -> None:
    assert sync(nina, attributes(manager=["nina.new"])).manager is None


def test_it_keeps_an_unknown_manager_as_a_reference(nina: User) -> None:
    nina = sync(nina, attributes(manager=["bob.boss"]))

    assert nina.manager is None
    assert nina.manager_ref == "bob.boss"


def test_the_reference_is_resolved_when_the_manager_signs_in(nina: User) -> None:
    sync(nina, attributes(manager=["bob.boss@bank.example"]))
    bob = User.objects.create(username="bob.boss")

    sync(bob, attributes(uid=["bob.boss"], mail=["bob.boss@bank.example"], givenName=["Bob"]))

    assert User.objects.get(pk=nina.pk).manager == bob


def test_the_reference_is_resolved_by_uid_when_the_manager_signs_in(nina: User) -> None:
    sync(nina, attributes(manager=["bob.boss"]))
    bob = User.objects.create(username="bob.boss")

    sync(bob, attributes(uid=["bob.boss"], mail=["bob@bank.example"]))

    assert User.objects.get(pk=nina.pk).manager == bob


def test_a_manager_without_an_email_resolves_references_by_uid(nina: User) -> None:
    sync(nina, attributes(manager=["bob.boss"]))
    bob = User.objects.create(username="bob.boss")
    raw = attributes(uid=["bob.boss"])
    del raw["mail"]

    bob = sync(bob, raw)

    assert bob.email == ""
    assert User.objects.get(pk=nina.pk).manager == bob


def test_a_sign_in_does_not_steal_reports_with_another_manager(
    scientist: User, manager: User
) -> None:
    User.objects.filter(pk=scientist.pk).update(manager_ref="maria.manager")
    impostor = make_user("ivan.impostor")

    sync(impostor, attributes(uid=["ivan.impostor"], mail=["ivan@bank.example"]))

    assert User.objects.get(pk=scientist.pk).manager == manager


def test_it_mirrors_idp_groups_to_django_groups(nina: User) -> None:
    nina = sync(nina, attributes(groups=["data-scientists", "fraud-team"]))

    assert nina.idp_groups == ["data-scientists", "fraud-team"]
    assert sorted(nina.groups.values_list("name", flat=True)) == ["data-scientists", "fraud-team"]


def test_a_group_the_idp_dropped_is_removed(nina: User) -> None:
    sync(nina, attributes(groups=["data-scientists", "fraud-team"]))

    nina = sync(nina, attributes(groups=["data-scientists"]))

    assert list(nina.groups.values_list("name", flat=True)) == ["data-scientists"]
    assert Group.objects.filter(name="fraud-team").exists()


def test_it_grants_roles_from_the_configured_groups(nina: User) -> None:
    nina = sync(nina, attributes(groups=["data-scientists", "it-audit", "ml-approvers"]))

    assert nina.roles == ["approver", "auditor"]
    assert nina.is_auditor and nina.is_approver
    assert not nina.is_catalog_admin
    assert not nina.is_staff


def test_the_platform_admin_role_opens_the_django_admin(nina: User) -> None:
    nina = sync(nina, attributes(groups=["ml-platform-admins"]))

    assert nina.is_catalog_admin
    assert nina.is_staff


def test_a_role_is_removed_when_its_group_goes_away(nina: User) -> None:
    sync(nina, attributes(groups=["ml-platform-admins", "it-audit"]))

    nina = sync(nina, attributes(groups=["it-audit"]))

    assert nina.roles == ["auditor"]
    assert not nina.is_catalog_admin
    assert not nina.is_staff


def test_the_role_mapping_comes_from_settings(nina: User, settings: Any) -> None:
    settings.PORTAL_ROLE_GROUPS = {"auditor": ["data-scientists"]}

    assert sync(nina, attributes(groups=["data-scientists"])).roles == ["auditor"]


def test_a_role_change_writes_an_audit_event(nina: User) -> None:
    sync(nina, attributes(groups=["ml-platform-admins", "it-audit"]))

    sync(nina, attributes(groups=["it-audit", "ml-approvers"]))

    events = roles_changed(nina)
    assert len(events) == 2
    latest = events[0]
    assert latest.actor == nina
    assert latest.data == {
        "before": ["auditor", "catalog_admin"],
        "after": ["approver", "auditor"],
        "added": ["approver"],
        "removed": ["catalog_admin"],
    }


def test_no_audit_event_when_the_roles_do_not_change(nina: User) -> None:
    sync(nina, attributes(groups=["it-audit"]))

    sync(nina, attributes(groups=["it-audit", "some-other-group"], department=["Moved"]))

    assert len(roles_changed(nina)) == 1


def test_no_audit_event_for_a_person_without_roles(nina: User) -> None:
    sync(nina, attributes(groups=["data-scientists"]))

    assert roles_changed(nina) == []


def test_the_owner_id_comes_from_the_template_and_the_configured_role_id(nina: User) -> None:
    assert sync(nina, attributes()).owner_id == "AROADATASCIENTIST:nina.new"


def test_a_per_user_aws_role_id_attribute_wins(nina: User) -> None:
    nina = sync(nina, attributes(awsRoleId=["AROAFRAUDTEAM"]))

    assert nina.owner_id == "AROAFRAUDTEAM:nina.new"


def test_the_owner_id_follows_a_changed_template(nina: User, settings: Any) -> None:
    settings.PORTAL_OWNER_ID_TEMPLATE = "{aws_role_id}:{email}"

    assert sync(nina, attributes()).owner_id == "AROADATASCIENTIST:nina.new@bank.example"
