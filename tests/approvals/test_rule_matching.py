"""Each rule condition matches what it names and nothing else; NoEcho values stay out of the
audit trail of a new request."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from approvals.models import ApprovalPolicy, ApprovalRule, Request
from approvals.policies import rule_for_request, rule_matches
from approvals.services import request_create
from catalog.models import ParameterSpec, Product
from portal.models import AuditEvent, Project, User
from tests.approvals.conftest import notebook_values

pytestmark = pytest.mark.django_db


@pytest.fixture
def request_(scientist: User, project: Project, notebook: Product) -> Request:
    """An unsaved update request for a notebook at $100 a month in a dev project."""
    project.environment = Project.Environment.DEV
    return Request(requester=scientist, project=project, product=notebook, action="update",
                   parameters={"InstanceType": "ml.m5.xlarge"},
                   estimated_monthly_cost=Decimal("100.00"))


CONDITIONS: list[tuple[str, dict[str, Any], dict[str, Any]]] = [
    ("actions", {"actions": ["update", "terminate"]}, {"actions": ["create"]}),
    ("cost_at_least", {"cost_at_least": Decimal("100.00")}, {"cost_at_least": Decimal("100.01")}),
    ("cost_below", {"cost_below": Decimal("100.01")}, {"cost_below": Decimal("100.00")}),
    ("project_environment", {"project_environment": "dev"}, {"project_environment": "prod"}),
    ("product_kind", {"product_kind": Product.Kind.NOTEBOOK_INSTANCE},
     {"product_kind": Product.Kind.STUDIO_USER_PROFILE}),
    ("parameter", {"parameter_key": "InstanceType", "parameter_values": ["ml.m5.xlarge"]},
     {"parameter_key": "InstanceType", "parameter_values": ["ml.t3.medium"]}),
    ("missing parameter", {"parameter_key": "InstanceType", "parameter_values": ["ml.m5.xlarge"]},
     {"parameter_key": "VolumeSizeInGB", "parameter_values": ["ml.m5.xlarge"]}),
]


@pytest.mark.parametrize(("name", "matching", "failing"), CONDITIONS,
                         ids=[c[0] for c in CONDITIONS])
def test_a_condition_matches_only_what_it_names(
    request_: Request, name: str, matching: dict[str, Any], failing: dict[str, Any],
) -> None:
    assert rule_matches(rule=ApprovalRule(**matching), request=request_)
    assert not rule_matches(rule=ApprovalRule(**failing), request=request_)


def test_the_product_condition_matches_only_that_product(
    request_: Request, notebook: Product, studio: Product
) -> None:
    assert rule_matches(rule=ApprovalRule(product=notebook), request=request_)
    assert not rule_matches(rule=ApprovalRule(product=studio), request=request_)


@pytest.mark.parametrize("condition", [{"cost_at_least": Decimal("0")},
                                       {"cost_below": Decimal("1000000")}])
def test_an_unknown_cost_matches_no_cost_condition(
    request_: Request, condition: dict[str, Any]
) -> None:
    request_.estimated_monthly_cost = None
    assert not rule_matches(rule=ApprovalRule(**condition), request=request_)


def test_a_rule_without_conditions_matches_anything(request_: Request) -> None:
    assert rule_matches(rule=ApprovalRule(), request=request_)


def test_the_first_matching_rule_of_the_first_active_policy_wins(
    request_: Request, studio: Product
) -> None:
    off = ApprovalPolicy.objects.create(name="Retired", position=0, active=False)
    ApprovalRule.objects.create(policy=off, name="Off", position=0)
    later = ApprovalPolicy.objects.create(name="Later", position=2)
    ApprovalRule.objects.create(policy=later, name="Later catch-all", position=0)
    first = ApprovalPolicy.objects.create(name="First", position=1)
    ApprovalRule.objects.create(policy=first, name="Studio only", position=0, product=studio)
    ApprovalRule.objects.create(policy=first, name="Updates", position=1, actions=["update"])
    ApprovalRule.objects.create(policy=first, name="Anything", position=2)
    rule = rule_for_request(request=request_)
    assert rule is not None and rule.name == "Updates"
    request_.action = "create"
    rule = rule_for_request(request=request_)
    assert rule is not None and rule.name == "Anything"
    ApprovalPolicy.objects.all().update(active=False)
    assert rule_for_request(request=request_) is None


def test_noecho_values_are_masked_in_the_audit_of_a_new_request(
    scientist: User, manager: User, project: Project, notebook: Product
) -> None:
    version = notebook.versions.get(name="v1")
    ParameterSpec.objects.create(version=version, key="GitToken", position=9, no_echo=True,
                                 default="")
    request = request_create(
        requester=scientist, project_slug=project.slug, product_id=notebook.pk,
        parameters=notebook_values(GitToken="ghp-s3cret-value"),
        tag_choices={"data-classification": "confidential"}, justification="Clone the repo.")
    assert request.parameters["GitToken"] == "ghp-s3cret-value"  # kept for provisioning
    event = AuditEvent.objects.get(action="request.created")
    assert event.data["parameters"]["GitToken"] == "****"
    assert event.data["parameters"]["InstanceType"] == "ml.t3.medium"  # the rest in clear
    assert "ghp-s3cret-value" not in str(AuditEvent.objects.values_list("data", flat=True))
