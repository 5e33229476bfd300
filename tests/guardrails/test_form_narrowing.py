"""The product page's form and the API's JSON Schema offer the stricter of the curation and the
guardrails of the chosen project (its environment) and the product's kind; what they offer the
guardrail check accepts, what it refuses they never offer."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from catalog.models import ParameterOverride, ParameterSpec, Product
from catalog.resource_choices import parameters_offered
from guardrails.checks import guardrail_refusals
from guardrails.services import guardrails_in_force
from portal.memo import memo_scope
from portal.models import Membership, Project, User
from tests.approvals.conftest import studio  # noqa: F401  (fixture)
from tests.guardrails.conftest import GROUP, STRICT, SUBNET, put_in_force

pytestmark = pytest.mark.django_db


@pytest.fixture
def prod_project(project: Project, scientist: User) -> Project:
    """A prod project of the scientist's in the same account and region as ``project``."""
    p = Project.objects.create(slug="fraud-prod", name="Fraud scoring", cost_center="CC-1001",
                               environment="prod", aws_account_id=project.aws_account_id,
                               aws_region=project.aws_region, aws_role_arn=project.aws_role_arn,
                               aws_external_id=project.aws_external_id)
    Membership.objects.create(user=scientist, project=p)
    return p


def _page(user: User, product: Product, **query: str) -> Any:
    client = Client()
    client.force_login(user)
    return client.get(reverse("catalog:product_detail", args=[product.pk]), query)


def _schema(user: User, product: Product, **query: str) -> Any:
    client = APIClient()
    client.force_authenticate(user)
    return client.get(f"/api/v1/catalog/products/{product.pk}", query)


def _options(body: str, key: str) -> list[str]:
    select = re.search(rf'<select name="{key}".*?</select>', body, re.S)
    assert select, key
    return re.findall(r'<option value="([^"]+)"', select.group(0))


def test_the_form_offers_only_what_the_guardrails_of_the_project_allow(
    governed: Product, scientist: User, platform_admin: User, project: Project
) -> None:
    put_in_force(platform_admin, **STRICT)
    body = _page(scientist, governed).content.decode()
    assert _options(body, "InstanceType") == ["ml.t3.medium", "ml.m5.xlarge"]
    assert _options(body, "RootAccess") == ["Disabled"]
    assert _options(body, "DirectInternetAccess") == ["Disabled"]
    assert _options(body, "SubnetId") == [SUBNET]
    assert _options(body, "SecurityGroupIds") == [GROUP]
    volume = re.search(r'<input type="number" name="VolumeSizeInGB"[^>]*>', body)
    assert volume and 'min="10"' in volume.group(0) and 'max="50"' in volume.group(0)
    assert "at most 14 days" in body


def test_the_schema_for_a_project_is_narrowed_the_same_way(
    governed: Product, scientist: User, platform_admin: User, project: Project
) -> None:
    put_in_force(platform_admin, **STRICT)
    response = _schema(scientist, governed, project="fraud")
    assert response.status_code == 200
    data = response.json()
    properties = data["form"]["properties"]
    assert properties["InstanceType"]["enum"] == ["ml.t3.medium", "ml.m5.xlarge"]
    assert properties["RootAccess"]["const"] == "Disabled"
    assert properties["DirectInternetAccess"]["enum"] == ["Disabled"]
    assert properties["SubnetId"]["const"] == SUBNET
    assert properties["SecurityGroupIds"]["x-allowed-items"] == [GROUP]
    assert (properties["VolumeSizeInGB"]["minimum"],
            properties["VolumeSizeInGB"]["maximum"]) == (10, 50)
    assert properties["SubnetId"]["default"] == SUBNET  # the one allowed, instead of ""
    assert data["project"] == "fraud" and data["lease"]["max_days"] == 14


def test_a_kms_key_the_guardrail_requires_is_required_by_the_schema(
    governed: Product, scientist: User, platform_admin: User, project: Project
) -> None:
    ParameterOverride.objects.filter(product=governed, key="KmsKeyId").delete()
    ParameterSpec.objects.filter(version__product=governed, key="KmsKeyId").update(default="")
    assert "KmsKeyId" not in _schema(scientist, governed, project="fraud").json()[
        "form"]["required"]
    put_in_force(platform_admin, kms_key_required=True)
    assert "KmsKeyId" in _schema(scientist, governed, project="fraud").json()["form"]["required"]


def test_without_a_project_the_schema_is_the_curations(
    governed: Product, scientist: User, platform_admin: User, project: Project
) -> None:
    put_in_force(platform_admin, **STRICT)
    data = _schema(scientist, governed).json()
    assert data["project"] is None
    assert data["form"]["properties"]["RootAccess"]["enum"] == ["Enabled", "Disabled"]
    assert len(data["form"]["properties"]["InstanceType"]["enum"]) == 5
    assert data["form"]["properties"]["VolumeSizeInGB"]["maximum"] == 100


def test_a_curation_stricter_than_the_guardrail_wins(
    governed: Product, scientist: User, platform_admin: User, project: Project
) -> None:
    ParameterOverride.objects.create(product=governed, key="InstanceType",
                                     allowed_values=["ml.t3.medium"])
    put_in_force(platform_admin, instance_types_by_environment={
        "dev": ("ml.t3.medium", "ml.m5.xlarge")}, volume_min_gb=1, volume_max_gb=500)
    properties = _schema(scientist, governed, project="fraud").json()["form"]["properties"]
    assert properties["InstanceType"]["enum"] == ["ml.t3.medium"]
    assert (properties["VolumeSizeInGB"]["minimum"],
            properties["VolumeSizeInGB"]["maximum"]) == (5, 100)
    assert _options(_page(scientist, governed).content.decode(), "InstanceType") == [
        "ml.t3.medium"]


def test_switching_the_project_follows_its_environments_guardrails(
    governed: Product, scientist: User, platform_admin: User, project: Project,
    prod_project: Project,
) -> None:
    put_in_force(platform_admin, instance_types_by_environment={
        "dev": ("ml.t3.medium",), "prod": ("ml.m5.xlarge", "ml.m5.4xlarge")})
    dev = _page(scientist, governed).content.decode()
    assert 'id="project-choice"' in dev and 'hx-select="#request-region"' in dev
    assert _options(dev, "InstanceType") == ["ml.t3.medium"]
    prod = _page(scientist, governed, project="fraud-prod").content.decode()
    assert _options(prod, "InstanceType") == ["ml.m5.xlarge", "ml.m5.4xlarge"]
    assert '<option value="fraud-prod" selected>' in prod
    assert "&amp;project=fraud-prod" in prod  # the request form opens for that project
    assert _schema(scientist, governed, project="fraud-prod").json()["form"]["properties"][
        "InstanceType"]["enum"] == ["ml.m5.xlarge", "ml.m5.4xlarge"]


def test_a_project_out_of_scope_is_404_and_a_bad_project_id_400(
    governed: Product, scientist: User, project: Project, other_project: Project
) -> None:
    assert _page(scientist, governed, project="credit-risk").status_code == 404
    assert _schema(scientist, governed, project="credit-risk").status_code == 404
    assert _page(scientist, governed, project="no such/project").status_code == 400
    bad = _schema(scientist, governed, project="no such/project")
    assert bad.status_code == 400 and "project" in bad.json()


def test_the_validate_endpoint_refuses_what_the_projects_form_does_not_offer(
    governed: Product, scientist: User, platform_admin: User, project: Project
) -> None:
    put_in_force(platform_admin, root_access_disabled=True)
    client = APIClient()
    client.force_authenticate(scientist)
    url = f"/api/v1/catalog/products/{governed.pk}/validate"
    values = {"NotebookInstanceName": "dana-nb", "RootAccess": "Enabled"}
    assert client.post(url, {"parameters": values}, format="json").status_code == 200
    refused = client.post(url, {"project": "fraud", "parameters": values}, format="json")
    assert refused.status_code == 400 and "RootAccess" in refused.json()["parameters"]


RULE_SETS = [
    STRICT,
    {"instance_types_by_environment": {"dev": ("ml.p3.2xlarge", "ml.t3.medium", "ml.c5.large")},
     "instance_types_by_kind": {"notebook_instance": ("ml.t3.medium", "ml.p3.2xlarge")}},
    {"root_access_disabled": True, "volume_min_gb": 30},
    {"volume_max_gb": 8},
]


def _refuses(product: Product, project: Project, key: str, values: dict[str, str]) -> bool:
    return any(f"refuses {key} =" in message for message in
               guardrail_refusals(product=product, project=project, parameters=values))


@pytest.mark.parametrize("rules", RULE_SETS)
@pytest.mark.parametrize("fixture", ["notebook", "governed", "studio"])
def test_every_value_offered_passes_the_guardrails_and_no_refused_one_is_offered(
    fixture: str, rules: dict[str, Any], request: pytest.FixtureRequest,
    platform_admin: User, project: Project,
) -> None:
    product: Product = request.getfixturevalue(fixture)
    version = product.versions.get(active=True)
    curated, _ = parameters_offered(version=version, project=None)
    put_in_force(platform_admin, **rules)
    offered = {p.key: p for p in parameters_offered(version=version, project=project)[0]}
    checked = 0
    for parameter in curated:
        if parameter.hidden:
            continue
        narrowed = offered[parameter.key]
        for value in parameter.allowed_values:
            refused = _refuses(product, project, parameter.key, {parameter.key: value})
            assert (value in narrowed.allowed_values) is not refused, (parameter.key, value)
            checked += 1
        if parameter.is_number:
            for bound in (narrowed.min_value, narrowed.max_value):
                if bound is not None:
                    assert not _refuses(product, project, parameter.key,
                                        {parameter.key: f"{bound:f}"})
                    checked += 1
            for outside in ([narrowed.min_value - Decimal(1)] if narrowed.min_value else []) + (
                    [narrowed.max_value + Decimal(1)] if narrowed.max_value else []):
                # Outside the offered bounds: the curation's own check or the guardrail refuses.
                assert _refuses(product, project, parameter.key,
                                {parameter.key: f"{outside:f}"}) or not (
                    parameter.min_value is None or parameter.min_value <= outside) or not (
                    parameter.max_value is None or outside <= parameter.max_value)
    assert checked or fixture == "studio"


def test_within_a_request_the_rules_are_read_once_and_a_change_is_seen_at_once(
    platform_admin: User, django_assert_num_queries: Any,
) -> None:
    """The product page's memo (portal.memo): the form's narrowing and the lease maximum share
    one read; a change made in the same request drops it, and the next request reads afresh."""
    put_in_force(platform_admin, max_lease_days=14)
    with memo_scope():
        with django_assert_num_queries(1):
            first, second = guardrails_in_force(), guardrails_in_force()
        assert first is second and first is not None and first.rules.max_lease_days == 14
        put_in_force(platform_admin, max_lease_days=7)
        changed = guardrails_in_force()
        assert changed is not None and changed.rules.max_lease_days == 7
    with django_assert_num_queries(2):  # outside a scope: every call reads
        guardrails_in_force()
        guardrails_in_force()
