"""roles_for_groups: IdP groups grant portal roles through PORTAL_ROLE_GROUPS."""

from __future__ import annotations

from typing import Any

import pytest

from portal.services import roles_for_groups


@pytest.fixture(autouse=True)
def _role_groups(settings: Any) -> None:
    settings.PORTAL_ROLE_GROUPS = {
        "catalog_admin": ["ml-platform-admins", "cloud-admins"],
        "auditor": ["it-audit"],
        "approver": ["ml-approvers"],
    }


def test_it_grants_the_roles_of_the_groups_held() -> None:
    assert roles_for_groups(["it-audit", "ml-approvers"]) == ["approver", "auditor"]


def test_any_of_several_groups_grants_a_role() -> None:
    assert roles_for_groups(["cloud-admins"]) == ["catalog_admin"]


def test_unmapped_groups_grant_nothing() -> None:
    assert roles_for_groups(["data-scientists", "everyone"]) == []


def test_group_names_must_match_exactly() -> None:
    assert roles_for_groups(["IT-AUDIT", "it-audit-readers", "it"]) == []


def test_an_unknown_role_in_the_mapping_grants_nothing(settings: Any) -> None:
    settings.PORTAL_ROLE_GROUPS = {"superuser": ["everyone"], "auditor": ["it-audit"]}

    assert roles_for_groups(["everyone", "it-audit"]) == ["auditor"]


def test_a_group_given_as_an_ldap_dn_matches_a_mapping_by_its_cn() -> None:
    assert roles_for_groups(["CN=it-audit,OU=Groups,DC=bank,DC=example"]) == ["auditor"]


def test_a_mapping_given_as_a_dn_matches_the_whole_dn_only(settings: Any) -> None:
    settings.PORTAL_ROLE_GROUPS = {"auditor": ["CN=it-audit,OU=Groups,DC=bank,DC=example"]}

    assert roles_for_groups(["cn=IT-Audit, ou=Groups, dc=bank, dc=example"]) == ["auditor"]
    assert roles_for_groups(["CN=it-audit,OU=Other,DC=bank,DC=example"]) == []
    assert roles_for_groups(["it-audit"]) == []


def test_a_dn_whose_first_part_is_not_a_cn_grants_nothing_by_name() -> None:
    assert roles_for_groups(["OU=it-audit,DC=bank"]) == []
