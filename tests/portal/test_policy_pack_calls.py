"""Every AWS call the portal makes in a project account is granted by the generated pack, and the
provisioned-product calls are conditioned on what Service Catalog evaluates (userLevel)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import botocore.session
import pytest
from botocore import xform_name

from fakeaws.iam_policy import Call, decision
from portal.models import Project
from portal.policy_pack import permissions_policy

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
# The modules that call AWS in a project account, through the project role (portal.aws).
PROJECT_ACCOUNT_MODULES = [
    *sorted((ROOT / "provisioning" / "backends").glob("*.py")),
    ROOT / "catalog" / "sources.py", ROOT / "catalog" / "resource_choices.py",
    ROOT / "provisioning" / "actuals.py",
]
SERVICES = {"servicecatalog": "servicecatalog", "sagemaker": "sagemaker", "ce": "ce",
            "cloudformation": "cloudformation", "resourcegroupstaggingapi": "tag",
            "ec2": "ec2", "kms": "kms"}
# Made elsewhere, with the reason: granted by another document, or not an AWS call at all.
ELSEWHERE = {
    "sts:AssumeRole": "the portal's own identity; the project role's trust policy admits it",
    "sagemaker:ListAliases": "the name of kms list_aliases, which is a kms call",
}


def portal_calls() -> set[str]:
    """IAM actions of every botocore operation named in those modules (``.op(`` or ``"op"``)."""
    session = botocore.session.get_session()
    text = "\n".join(path.read_text() for path in PROJECT_ACCOUNT_MODULES)
    found = set()
    for service, prefix in SERVICES.items():
        for operation in session.get_service_model(service).operation_names:
            name = xform_name(operation)
            if re.search(rf"\.{name}\(|[\"']{name}[\"']", text):
                found.add(f"{prefix}:{operation}")
    return found - set(ELSEWHERE)


def _matches(pattern: str, action: str) -> bool:
    """IAM's Action match: case-insensitive, ``*`` any run of characters."""
    regex = ".*".join(re.escape(part) for part in pattern.split("*"))
    return re.fullmatch(regex, action, re.IGNORECASE) is not None


def granted(policy: dict[str, Any], action: str) -> bool:
    for statement in policy["Statement"]:
        actions = statement["Action"]
        actions = [actions] if isinstance(actions, str) else actions
        if statement["Effect"] == "Allow" and any(_matches(a, action) for a in actions):
            return True
    return False


def test_the_scan_finds_the_calls_change_previews_and_hand_overs_make() -> None:
    calls = portal_calls()
    for action in ("CreateProvisionedProductPlan", "DescribeProvisionedProductPlan",
                   "ExecuteProvisionedProductPlan", "DeleteProvisionedProductPlan",
                   "UpdateProvisionedProductProperties", "UpdateProvisionedProduct"):
        assert f"servicecatalog:{action}" in calls


def test_every_call_the_portal_makes_is_granted_by_the_pack(project: Project) -> None:
    policy = permissions_policy(project)
    missing = sorted(a for a in portal_calls() if not granted(policy, a))
    assert missing == []


def _product_call(project: Project, action: str, context: dict[str, str]) -> str:
    return decision(call=Call(action=action, resource="*", context=context),
                    policies=[permissions_policy(project)])


@pytest.mark.parametrize("action", ["UpdateProvisionedProduct", "TerminateProvisionedProduct",
                                    "ExecuteProvisionedProductPlan",
                                    "DescribeProvisionedProductPlan",
                                    "DeleteProvisionedProductPlan"])
def test_provisioned_product_calls_are_the_owners_only(project: Project, action: str) -> None:
    owner = {"servicecatalog:accountLevel": "self", "servicecatalog:userLevel": "self"}
    other = {"servicecatalog:accountLevel": "self", "servicecatalog:roleLevel": "self"}
    assert _product_call(project, f"servicecatalog:{action}", owner) == "allowed"
    assert _product_call(project, f"servicecatalog:{action}", other) == "implicit-deny"


def test_only_the_portals_own_session_moves_an_owner(project: Project) -> None:
    action = "servicecatalog:UpdateProvisionedProductProperties"
    assert _product_call(project, action, {"aws:SourceIdentity": "ml-portal-system"}) == "allowed"
    assert _product_call(project, action, {"aws:SourceIdentity": "dana.scientist"}
                         ) == "implicit-deny"


def test_no_service_catalog_statement_relies_on_resource_tags(project: Project) -> None:
    """Service Catalog evaluates no aws:ResourceTag on provisioned products."""
    for statement in permissions_policy(project)["Statement"]:
        actions = statement["Action"]
        actions = [actions] if isinstance(actions, str) else actions
        if any(a.startswith("servicecatalog:") for a in actions):
            assert "ResourceTag" not in str(statement.get("Condition", {}))
