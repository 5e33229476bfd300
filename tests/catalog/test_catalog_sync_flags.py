"""The sync reads through the launch path provisioning uses and flags what must be fixed upstream:
no LAUNCH constraint, a TagOption colliding with a portal tag, a pattern Python cannot apply."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from catalog.checks import (
    launch_path_for,
    product_flags,
    tag_choices_validate,
    tag_option_collisions,
    tag_options_requestable,
)
from catalog.models import ParameterSpec, Product, SyncRun, TagOption
from catalog.sources import SyncTarget
from catalog.sync import catalog_sync, sync_run_start
from portal.models import AuditEvent, Project
from tests.catalog.factories import product_make

pytestmark = pytest.mark.django_db

LAUNCH = [{"Type": "LAUNCH", "Description": "launch role"}]


class FakeSource:
    """One portfolio of products described as data; records the launch path of each read."""

    def __init__(self, products: dict[str, dict[str, Any]]) -> None:
        self.products = products
        self.paths_read: list[tuple[str, str]] = []

    def portfolios(self) -> list[dict[str, Any]]:
        return [{"Id": "port-1", "DisplayName": "ML"}]

    def portfolio_products(self, *, portfolio_id: str) -> list[dict[str, Any]]:
        return [{"ProductId": pid, "Name": p["name"]} for pid, p in self.products.items()]

    def product(self, *, product_id: str) -> dict[str, Any]:
        return {"TagOptions": self.products[product_id].get("product_tag_options", [])}

    def versions(self, *, product_id: str) -> list[dict[str, Any]]:
        return [{"Id": "pa-1", "Name": "v1", "Active": True}]

    def launch_paths(self, *, product_id: str) -> list[dict[str, Any]]:
        return list(self.products[product_id]["paths"])

    def parameters(self, *, product_id: str, artifact_id: str, path_id: str) -> dict[str, Any]:
        self.paths_read.append((product_id, path_id))
        product = self.products[product_id]
        return {"ProvisioningArtifactParameters": product.get("parameters", []),
                "TagOptions": product.get("tag_options", [])}

    def prices(self) -> dict[str, Decimal]:
        return {}


def _sync(source: FakeSource) -> SyncRun:
    def source_for(target: SyncTarget) -> FakeSource:
        return source

    return catalog_sync(run=sync_run_start(trigger=SyncRun.Trigger.COMMAND),
                        source_for=source_for)  # type: ignore[arg-type]


def test_parameters_and_tag_options_are_read_through_the_launch_path_with_a_launch_constraint(
    project: Project,
) -> None:
    source = FakeSource({"prod-a": {
        "name": "Notebook",
        "paths": [{"Id": "lpv3-a", "Name": "plain", "ConstraintSummaries": []},
                  {"Id": "lpv3-b", "Name": "governed", "ConstraintSummaries": LAUNCH}],
        "product_tag_options": [{"Id": "tag-1", "Key": "data-class", "Value": "internal",
                                 "Active": True}],
        # A portfolio-level TagOption arrives only here, not in DescribeProductAsAdmin.
        "tag_options": [{"Key": "data-class", "Values": ["internal", "confidential"]},
                        {"Key": "team", "Values": ["fraud"]}],
    }})
    run = _sync(source)
    assert run.status == SyncRun.Status.SUCCEEDED and run.warnings == []
    assert source.paths_read == [("prod-a", "lpv3-b")]
    product = Product.objects.get()
    assert launch_path_for(product=product).path_id == "lpv3-b"  # type: ignore[union-attr]
    assert tag_options_requestable(product=product) == {
        "data-class": ["confidential", "internal"], "team": ["fraud"]}
    assert product_flags(product=product) == []
    assert _sync(source).updated == 0  # nothing changed upstream: nothing rewritten


def test_a_product_without_a_launch_constraint_is_flagged(project: Project) -> None:
    run = _sync(FakeSource({"prod-a": {
        "name": "Loose", "paths": [{"Id": "lpv3-b", "ConstraintSummaries": []},
                                   {"Id": "lpv3-a", "ConstraintSummaries": [
                                       {"Type": "NOTIFICATION"}]}]}}))
    assert [(w["product"], w["code"]) for w in run.warnings] == [
        ("Loose", "no_launch_constraint")]
    assert run.status == SyncRun.Status.SUCCEEDED  # a warning, not a failed target
    product = Product.objects.get()
    assert launch_path_for(product=product).path_id == "lpv3-a"  # type: ignore[union-attr]
    assert [f["code"] for f in product_flags(product=product)] == ["no_launch_constraint"]
    event = AuditEvent.objects.get(action="catalog.synced")
    assert event.data["warnings"] == run.warnings


def test_tag_options_colliding_with_portal_tags_are_flagged_and_refused(
    project: Project, settings: Any,
) -> None:
    settings.PORTAL_TAG_KEYS = {**settings.PORTAL_TAG_KEYS, "cost-center": "CostCenter"}
    run = _sync(FakeSource({"prod-a": {
        "name": "Clash", "paths": [{"Id": "lpv3-a", "ConstraintSummaries": LAUNCH}],
        "tag_options": [{"Key": "CostCenter", "Values": ["1"]},
                        {"Key": "AWS:Team", "Values": ["x"]},
                        {"Key": "team", "Values": ["fraud", "aml"]}]}}))
    assert [w["code"] for w in run.warnings] == ["tag_option_collision"] * 2
    product = Product.objects.get()
    assert set(tag_option_collisions(product=product)) == {"CostCenter", "AWS:Team"}
    assert tag_options_requestable(product=product) == {"team": ["aml", "fraud"]}
    cleaned, errors = tag_choices_validate(product=product, choices={"team": "aml"})
    assert cleaned == {"team": "aml"}
    assert errors[""][-1] == "This product cannot be requested until the platform team fixes it."
    assert "'CostCenter' is a tag the portal sets itself" in " ".join(errors[""])
    assert "'AWS:Team' uses the prefix AWS reserves" in " ".join(errors[""])
    assert set(errors) == {""}


def test_tag_choices_need_one_allowed_value_per_key_and_nothing_else(project: Project) -> None:
    product = product_make(project=project)
    product.launch_tag_options = {"team": ["fraud", "aml"]}
    product.save()
    assert tag_choices_validate(product=product, choices={"team": "fraud"}) == (
        {"team": "fraud"}, {})
    assert tag_choices_validate(product=product, choices={"team": "ops", "x": "1"})[1] == {
        "team": ["Choose one of: aml, fraud."], "x": ["Not a tag option of this product."]}
    assert tag_choices_validate(product=product, choices={"team": 3})[1] == {
        "team": ["Choose one of: aml, fraud."]}
    assert tag_choices_validate(product=product, choices={})[1] == {
        "team": ["Choose a value for this tag."]}


def test_before_a_launch_path_read_the_products_own_live_tag_options_count(
    project: Project,
) -> None:
    product = product_make(project=project)
    where = {"aws_account_id": project.aws_account_id, "aws_region": project.aws_region}
    product.tag_options.set([
        TagOption.objects.create(**where, tag_option_id="t1", key="team", value="fraud"),
        TagOption.objects.create(**where, tag_option_id="t2", key="team", value="aml"),
        TagOption.objects.create(**where, tag_option_id="t3", key="team", value="old",
                                 active=False),
    ])
    assert product.launch_tag_options is None
    assert tag_options_requestable(product=product) == {"team": ["aml", "fraud"]}


def test_a_pattern_python_cannot_compile_is_flagged_on_the_spec_and_in_the_report(
    project: Project,
) -> None:
    run = _sync(FakeSource({"prod-a": {
        "name": "Java regex", "paths": [{"Id": "lpv3-a", "ConstraintSummaries": LAUNCH}],
        "parameters": [{"ParameterKey": "Name", "ParameterType": "String",
                        "ParameterConstraints": {"AllowedPattern": "\\p{Alpha}+"}},
                       {"ParameterKey": "Ok", "ParameterType": "String",
                        "ParameterConstraints": {"AllowedPattern": "[a-z]+"}}]}}))
    spec = ParameterSpec.objects.get(key="Name")
    assert spec.pattern_error != ""
    assert ParameterSpec.objects.get(key="Ok").pattern_error == ""
    assert [w["code"] for w in run.warnings] == ["pattern_unusable"]
    assert "parameter Name" in run.warnings[0]["message"]


def test_the_admin_sees_the_flags_on_the_product_page_and_in_the_sync_report(
    project: Project, platform_admin: Any,
) -> None:
    from django.test import Client
    from django.urls import reverse

    _sync(FakeSource({"prod-a": {
        "name": "Flagged", "paths": [{"Id": "lpv3-a", "ConstraintSummaries": []}],
        "tag_options": [{"Key": "owner", "Values": ["me"]}],
        "parameters": [{"ParameterKey": "Name", "ParameterConstraints": {
            "AllowedPattern": "\\p{Alpha}+"}}]}}))
    client = Client()
    client.force_login(platform_admin)
    page = client.get(reverse("catalog:admin_product_detail",
                              args=[Product.objects.get().pk])).content.decode()
    for code in ("no_launch_constraint", "tag_option_collision", "pattern_unusable"):
        assert f'data-flag="{code}"' in page
    assert "pattern not applied" in page
    report = client.get(reverse("catalog:admin_product_list")).content.decode()
    assert report.count('data-warning="') == 3
    assert "Flagged: The TagOption key &#x27;owner&#x27; is a tag the portal sets itself." in report
