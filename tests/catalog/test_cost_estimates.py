"""Estimates for every kind: the chosen instance type, declared types, Studio's default app type,
or the platform team's flat figure; on catalog cards in a constant number of queries."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from catalog.estimates import catalog_card_estimates, cost_estimate
from catalog.models import Product
from portal.models import AuditEvent, Project, User
from tests.catalog.factories import prices_make, product_make

REGION = "eu-west-1"


@pytest.fixture
def priced(db: None) -> None:
    prices_make(REGION)  # ml.t3.medium 0.05, ml.m5.xlarge 0.23, ml.p3.2xlarge 3.825


def _product(project: Project, kind: str, **curation: Any) -> Product:
    product = product_make(project=project, kind=kind, product_id=f"prod-{kind[:12]}")
    Product.objects.filter(pk=product.pk).update(**curation)
    product.refresh_from_db()
    return product


def test_a_chosen_instance_type_is_priced_as_before(project: Project, priced: None) -> None:
    notebook = _product(project, Product.Kind.NOTEBOOK_INSTANCE)
    estimate = cost_estimate(region=REGION, parameters={"InstanceType": "ml.m5.xlarge"},
                             product=notebook)
    assert estimate is not None
    assert (estimate.basis, estimate.usd_per_hour, estimate.usd_per_month) == (
        "instance", Decimal("0.2300"), Decimal("167.90"))
    assert cost_estimate(region=REGION, parameters={"InstanceType": "ml.x9.huge"},
                         product=notebook) is None


def test_the_platform_teams_flat_figure_wins(project: Project, priced: None) -> None:
    notebook = _product(project, Product.Kind.NOTEBOOK_INSTANCE,
                        flat_monthly_usd=Decimal("73.00"))
    estimate = cost_estimate(region=REGION, parameters={"InstanceType": "ml.p3.2xlarge"},
                             product=notebook)
    assert estimate is not None
    assert (estimate.basis, estimate.usd_per_month, estimate.usd_per_hour) == (
        "flat", Decimal("73.00"), Decimal("0.1000"))
    assert estimate.priced == "a flat monthly figure set by the platform team"


def test_a_studio_profile_is_priced_at_its_default_app_type_or_what_is_declared(
        project: Project, priced: None) -> None:
    studio = _product(project, Product.Kind.STUDIO_USER_PROFILE)
    estimate = cost_estimate(region=REGION, parameters={"UserProfileName": "dana"},
                             product=studio)
    assert estimate is not None
    assert (estimate.basis, estimate.instance_type, estimate.usd_per_month) == (
        "studio_default", "ml.t3.medium", Decimal("36.50"))
    studio.estimate_instance_types = ["ml.m5.xlarge"]
    estimate = cost_estimate(region=REGION, parameters={}, product=studio)
    assert estimate is not None and estimate.usd_per_month == Decimal("167.90")


def test_a_sagemaker_project_sums_its_declared_types_and_needs_every_price(
        project: Project, priced: None) -> None:
    mlops = _product(project, Product.Kind.SAGEMAKER_PROJECT)
    assert cost_estimate(region=REGION, parameters={}, product=mlops) is None
    mlops.estimate_instance_types = ["ml.t3.medium", "ml.m5.xlarge"]
    estimate = cost_estimate(region=REGION, parameters={}, product=mlops)
    assert estimate is not None
    assert (estimate.basis, estimate.instance_type, estimate.usd_per_month) == (
        "declared", "ml.t3.medium + ml.m5.xlarge", Decimal("204.40"))
    mlops.estimate_instance_types = ["ml.t3.medium", "ml.g5.48xlarge"]  # one has no price
    assert cost_estimate(region=REGION, parameters={}, product=mlops) is None


def test_catalog_cards_of_the_fake_demo_catalog_show_every_kinds_estimate(
        client: Client, scientist: User, demo_catalog: list[Product]) -> None:
    # seed_demo_catalog gives the demo's SageMaker project (no SageMaker instance) a flat figure.
    kinds = {p.kind: p for p in Product.objects.all()}
    assert kinds[Product.Kind.SAGEMAKER_PROJECT].flat_monthly_usd == Decimal("25.00")
    client.force_login(scientist)
    body = client.get("/catalog/").content.decode()
    for product, shown in (
            (kinds[Product.Kind.NOTEBOOK_INSTANCE], "$36.50</strong> per month (ml.t3.medium)"),
            (kinds[Product.Kind.STUDIO_USER_PROFILE], "$36.50</strong> per month (ml.t3.medium)"),
            (kinds[Product.Kind.SAGEMAKER_PROJECT], "$25.00</strong> per month (a flat monthly")):
        card = body.split(f'data-product-id="{product.pk}"')[1].split("</article>")[0]
        assert shown in card, product.name


def test_card_estimates_take_a_constant_number_of_queries(
        project: Project, priced: None) -> None:
    products = [product_make(project=project, product_id=f"prod-nb{i:02d}",
                             parameters=[{"key": "InstanceType", "default": "ml.m5.xlarge"}])
                for i in range(8)]
    with CaptureQueriesContext(connection) as one:
        catalog_card_estimates(products=products[:1])
    with CaptureQueriesContext(connection) as eight:
        estimates = catalog_card_estimates(products=products)
    # The prices of the regions; the InstanceType parameters and overrides (one UNION ALL).
    assert len(one) == len(eight) == 2
    assert {e.usd_per_month for e in estimates.values() if e} == {Decimal("167.90")}


def test_an_admin_sets_a_products_estimate_and_it_is_audited(
        client: Client, platform_admin: User, project: Project, priced: None) -> None:
    mlops = _product(project, Product.Kind.SAGEMAKER_PROJECT)
    client.force_login(platform_admin)
    response = client.post(f"/catalog/manage/{mlops.pk}/estimate/", {
        "flat_monthly_usd": "", "estimate_instance_types": "ml.t3.medium, ml.m5.xlarge"})
    assert response.status_code == 302
    mlops.refresh_from_db()
    assert mlops.estimate_instance_types == ["ml.t3.medium", "ml.m5.xlarge"]
    event = AuditEvent.objects.get(action="catalog.product_estimate_set")
    assert event.data["after"]["estimate_instance_types"] == ["ml.t3.medium", "ml.m5.xlarge"]


@pytest.mark.parametrize(("values", "message"), [
    ({"flat_monthly_usd": "-1"}, "greater than or equal to 0"),
    ({"flat_monthly_usd": "lots"}, "Enter a number"),
    ({"estimate_instance_types": "m5.xlarge; rm -rf"}, "Not an instance type"),
])
def test_a_bad_estimate_is_a_clear_error_and_changes_nothing(
        client: Client, platform_admin: User, project: Project, values: dict[str, str],
        message: str) -> None:
    mlops = _product(project, Product.Kind.SAGEMAKER_PROJECT)
    client.force_login(platform_admin)
    response = client.post(f"/catalog/manage/{mlops.pk}/estimate/", values, follow=True)
    assert message in response.content.decode()
    mlops.refresh_from_db()
    assert (mlops.flat_monthly_usd, mlops.estimate_instance_types) == (None, [])
    assert not AuditEvent.objects.filter(action="catalog.product_estimate_set").exists()


def test_only_platform_admins_set_estimates_and_storage_prices(
        client: Client, scientist: User, project: Project) -> None:
    mlops = _product(project, Product.Kind.SAGEMAKER_PROJECT)
    client.force_login(scientist)
    assert client.post(f"/catalog/manage/{mlops.pk}/estimate/",
                       {"flat_monthly_usd": "1"}).status_code == 403
    assert client.post("/catalog/manage/prices/storage/",
                       {"region": REGION, "usd_per_gb_month": "1"}).status_code == 403
    mlops.refresh_from_db()
    assert mlops.flat_monthly_usd is None


def test_an_admin_sets_the_storage_price(client: Client, platform_admin: User) -> None:
    client.force_login(platform_admin)
    response = client.post("/catalog/manage/prices/storage/",
                           {"region": REGION, "usd_per_gb_month": "0.14"}, follow=True)
    assert 'id="storage-prices"' in response.content.decode()
    assert "<td>eu-west-1</td><td>0.1400</td>" in response.content.decode()
    bad = client.post("/catalog/manage/prices/storage/",
                      {"region": "mars-1", "usd_per_gb_month": "0.14"}, follow=True)
    assert "Storage price not saved" in bad.content.decode()
    assert AuditEvent.objects.filter(action="catalog.storage_price_set").count() == 1


def test_a_card_prices_the_platform_teams_fixed_instance_type_or_the_default_version(
        project: Project, priced: None) -> None:
    from catalog.models import ParameterOverride, ParameterSpec, ProductVersion

    fixed = product_make(project=project, product_id="prod-fixed",
                         parameters=[{"key": "InstanceType", "default": "ml.t3.medium"}])
    ParameterOverride.objects.create(product=fixed, key="InstanceType", hidden=True,
                                     fixed_value="ml.p3.2xlarge")
    versioned = product_make(project=project, product_id="prod-versioned",
                             parameters=[{"key": "InstanceType", "default": "ml.t3.medium"}])
    versioned.versions.update(aws_created_at=datetime(2026, 3, 1, tzinfo=UTC))  # the newest
    chosen = ProductVersion.objects.create(product=versioned, artifact_id="pa-chosen", name="v0",
                                           aws_created_at=datetime(2026, 1, 1, tzinfo=UTC))
    ParameterSpec.objects.create(version=chosen, key="InstanceType", default="ml.m5.xlarge")
    versioned.default_version = chosen
    versioned.save()
    estimates = catalog_card_estimates(products=[fixed, versioned])
    assert estimates[fixed.pk] is not None and estimates[versioned.pk] is not None
    assert estimates[fixed.pk].usd_per_month == Decimal("2792.25")
    assert estimates[versioned.pk].usd_per_month == Decimal("167.90")


def test_without_a_default_version_a_card_prices_the_newest_live_version(
        project: Project, priced: None) -> None:
    """The newest by AWS's creation time, a version without one after every dated one, and
    between undated ones the newest row; retired versions and parameters are left out."""
    from catalog.models import ParameterSpec, ProductVersion

    product = product_make(project=project, product_id="prod-versions",
                           parameters=[{"key": "InstanceType", "default": "ml.t3.medium"}])
    product.versions.update(aws_created_at=datetime(2026, 1, 1, tzinfo=UTC))

    def version(name: str, instance_type: str, at: datetime | None, **more: Any) -> None:
        made = ProductVersion.objects.create(product=product, artifact_id=f"pa-{name}",
                                             name=name, aws_created_at=at, **more)
        ParameterSpec.objects.create(version=made, key="InstanceType", default=instance_type)

    def priced_at() -> Decimal:
        estimate = catalog_card_estimates(products=[product])[product.pk]
        assert estimate is not None
        return estimate.usd_per_month

    version("undated-1", "ml.p3.2xlarge", None)
    version("undated-2", "ml.p3.2xlarge", None)
    assert priced_at() == Decimal("36.50")  # the dated v1 (ml.t3.medium) comes first
    version("v2", "ml.m5.xlarge", datetime(2026, 2, 1, tzinfo=UTC))
    version("v3-retired", "ml.p3.2xlarge", datetime(2026, 3, 1, tzinfo=UTC),
            retired_at=datetime(2026, 3, 2, tzinfo=UTC))
    assert priced_at() == Decimal("167.90")  # v2, the newest live one
    ProductVersion.objects.filter(aws_created_at__isnull=False).update(active=False)
    ParameterSpec.objects.filter(version__name="undated-2").update(default="ml.m5.xlarge")
    assert priced_at() == Decimal("167.90")  # only undated ones left: the newest row


def test_both_price_tables_come_in_one_statement(priced: None) -> None:
    from catalog.estimates import (
        price_tables_for_regions,
        prices_for_regions,
        storage_prices_for_regions,
    )
    from catalog.models import InstancePrice, StoragePrice

    prices_make("us-east-1")
    InstancePrice.objects.filter(region="us-east-1", instance_type="ml.t3.medium").update(
        usd_per_hour=Decimal("0.0464"))
    StoragePrice.objects.create(region=REGION, usd_per_gb_month=Decimal("0.1400"))
    regions = {REGION, "us-east-1", "mars-1"}
    with CaptureQueriesContext(connection) as queries:
        instances, storage = price_tables_for_regions(regions=regions)
    assert len(queries) == 1
    assert (instances, storage) == (prices_for_regions(regions=regions),
                                    storage_prices_for_regions(regions=regions))
    assert instances["us-east-1"]["ml.t3.medium"] == Decimal("0.0464")
    assert storage == {REGION: Decimal("0.1400")} and set(instances) == {REGION, "us-east-1"}


def test_the_compiled_price_tables_read_any_regions_afresh(priced: None) -> None:
    """The statement is compiled once per number of regions (portal.statements): each set of
    regions, in any order, reads what the ORM reads, and a changed price is read at once."""
    from catalog.estimates import (
        price_tables_for_regions,
        prices_for_regions,
        storage_prices_for_regions,
    )
    from catalog.models import InstancePrice, StoragePrice

    def read(regions: list[str]) -> tuple[dict[str, dict[str, Decimal]], dict[str, Decimal]]:
        """The tables as the ORM reads them, row by row."""
        table: dict[str, dict[str, Decimal]] = {}
        for price in InstancePrice.objects.filter(region__in=regions):
            table.setdefault(price.region, {})[price.instance_type] = price.usd_per_hour
        return table, {s.region: s.usd_per_gb_month
                       for s in StoragePrice.objects.filter(region__in=regions)}

    prices_make("us-east-1")
    StoragePrice.objects.create(region="us-east-1", usd_per_gb_month=Decimal("0.1120"))
    for regions in ([], [REGION], ["us-east-1"], ["mars-1"], [REGION, "us-east-1"],
                    ["us-east-1", REGION], ["us-east-1", "mars-1", REGION]):
        assert price_tables_for_regions(regions=regions) == read(regions) == (
            prices_for_regions(regions=regions), storage_prices_for_regions(regions=regions))
    InstancePrice.objects.filter(region=REGION, instance_type="ml.t3.medium").update(
        usd_per_hour=Decimal("0.0600"))
    StoragePrice.objects.filter(region="us-east-1").update(usd_per_gb_month=Decimal("0.2"))
    instances, storage = price_tables_for_regions(regions=[REGION, "us-east-1"])
    assert instances[REGION]["ml.t3.medium"] == Decimal("0.0600")
    assert prices_for_regions(regions=[REGION])[REGION]["ml.t3.medium"] == Decimal("0.0600")
    assert storage == {"us-east-1": Decimal("0.2000")}
    assert all(type(usd) is Decimal for table in instances.values() for usd in table.values())
