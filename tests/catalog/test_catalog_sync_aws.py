"""The sync against Service Catalog through boto3, every call stubbed with botocore's Stubber."""

from __future__ import annotations

from typing import Any

import boto3
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from moto import mock_aws

from catalog.models import (
    LaunchPath,
    ParameterOverride,
    ParameterSpec,
    Portfolio,
    Product,
    ProductVersion,
    SyncRun,
    TagOption,
)
from catalog.sources import AwsCatalogSource, SyncTarget
from catalog.sync import catalog_sync, sync_run_start
from portal.models import AuditEvent, Project
from tests.catalog.stubs import (
    INSTANCE_TYPE,
    Upstream,
    UpstreamProduct,
    product_stub,
    shares_stub,
    stubbed_client,
    upstream_make,
    upstream_stub,
    version,
)

pytestmark = pytest.mark.django_db


def _run(sources: dict[str, AwsCatalogSource]) -> SyncRun:
    def source_for(target: SyncTarget) -> AwsCatalogSource:
        return sources[target.aws_account_id]

    return catalog_sync(run=sync_run_start(trigger=SyncRun.Trigger.COMMAND), source_for=source_for)


def _source(upstream: Upstream | None = None, **kwargs: Any) -> tuple[AwsCatalogSource, Any]:
    client, stubber = stubbed_client()
    if upstream is not None:
        upstream_stub(stubber, upstream, **kwargs)
    return AwsCatalogSource(client), stubber


def _catalog_writes(queries: CaptureQueriesContext) -> list[str]:
    return [q["sql"] for q in queries.captured_queries
            if q["sql"].lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE"))
            and "catalog_syncrun" not in q["sql"] and "portal_auditevent" not in q["sql"]]


def test_it_syncs_portfolios_products_versions_paths_and_parameters_across_pages(
    project: Project,
) -> None:
    upstream = upstream_make(products=5, versions=3, portfolios=2)
    upstream.products[0].tag_options = [
        {"Id": "tag-1", "Key": "data-classification", "Value": "internal", "Active": True}]
    source, stubber = _source(upstream, page_size=2)  # forces several pages everywhere

    run = _run({project.aws_account_id: source})

    stubber.assert_no_pending_responses()
    assert run.status == SyncRun.Status.SUCCEEDED, run.errors
    assert Portfolio.objects.count() == 2
    assert Product.objects.count() == 5
    assert ProductVersion.objects.count() == 15
    assert LaunchPath.objects.count() == 5
    assert ParameterSpec.objects.count() == 30
    product = Product.objects.get(product_id="prod-0000000000000")
    assert product.kind == Product.Kind.NOTEBOOK_INSTANCE
    assert product.published is False  # a platform admin publishes
    assert product.output_mapping == {"notebook_instance_name": "NotebookInstanceName"}
    assert list(product.tag_options.values_list("key", "value")) == [
        ("data-classification", "internal")]
    assert product.portfolios.get().portfolio_id == "port-0000000000000"
    guidance = dict(product.versions.values_list("name", "guidance"))
    assert guidance == {"v1": "DEPRECATED", "v2": "DEPRECATED", "v3": "DEFAULT"}
    volume = ParameterSpec.objects.get(version__artifact_id="pa-000000000002", key="VolumeSizeInGB")
    assert (volume.parameter_type, volume.default, volume.min_value, volume.max_value) == (
        "Number", "20", 5, 100)
    assert run.added == 2 + 5 + 15 + 5 + 30 + 1
    assert AuditEvent.objects.filter(action="catalog.synced", object_id=str(run.pk)).exists()


def test_a_second_run_with_nothing_changed_upstream_writes_nothing(project: Project) -> None:
    upstream = upstream_make(products=4, versions=2)
    first, _ = _source(upstream, page_size=3)
    _run({project.aws_account_id: first})
    stamps = dict(Product.objects.values_list("pk", "updated_at"))

    again, stubber = _source(upstream, page_size=3)
    with CaptureQueriesContext(connection) as queries:
        run = _run({project.aws_account_id: again})

    stubber.assert_no_pending_responses()
    assert run.status == SyncRun.Status.SUCCEEDED
    assert (run.added, run.updated, run.retired) == (0, 0, 0)
    assert _catalog_writes(queries) == []
    assert dict(Product.objects.values_list("pk", "updated_at")) == stamps


def test_it_updates_what_changed_and_retires_what_is_gone_without_deleting(
    project: Project,
) -> None:
    upstream = upstream_make(products=3, versions=2)
    _run({project.aws_account_id: _source(upstream)[0]})
    ParameterOverride.objects.create(product=Product.objects.get(product_id="prod-0000000000000"),
                                     key="InstanceType", allowed_values=["ml.t3.medium"])

    upstream.products[0].name = "Notebook renamed"
    upstream.products[0].versions = upstream.products[0].versions[1:]  # v1 withdrawn
    del upstream.products[2]
    run = _run({project.aws_account_id: _source(upstream)[0]})

    assert run.status == SyncRun.Status.SUCCEEDED
    renamed = Product.objects.get(product_id="prod-0000000000000")
    assert renamed.name == "Notebook renamed"
    assert renamed.overrides.count() == 1  # curation survives the sync
    assert renamed.versions.get(name="v1").retired_at is not None
    assert Product.objects.get(product_id="prod-0000000000002").retired_at is not None
    assert Product.objects.count() == 3
    assert (run.updated, run.retired) == (1, 2)


def test_a_product_that_comes_back_upstream_is_live_again(project: Project) -> None:
    upstream = upstream_make(products=2, versions=1)
    _run({project.aws_account_id: _source(upstream)[0]})
    gone = upstream.products.pop()
    _run({project.aws_account_id: _source(upstream)[0]})
    assert Product.objects.get(product_id=gone.product_id).retired_at is not None

    upstream.products.append(gone)
    _run({project.aws_account_id: _source(upstream)[0]})
    assert Product.objects.get(product_id=gone.product_id).retired_at is None


def test_access_denied_on_one_target_is_reported_and_the_other_targets_still_sync(
    project: Project, other_project: Project,
) -> None:
    denied, denied_stubber = _source()
    denied_stubber.add_client_error(
        "list_portfolios", service_error_code="AccessDeniedException",
        service_message="User is not authorized to perform servicecatalog:ListPortfolios",
        http_status_code=400, expected_params={"PageSize": 100})
    fine, fine_stubber = _source(upstream_make(products=2, versions=1))

    run = _run({project.aws_account_id: denied, other_project.aws_account_id: fine})

    fine_stubber.assert_no_pending_responses()
    assert run.status == SyncRun.Status.PARTIAL
    assert run.errors == [{
        "target": "111111111111/eu-west-1", "operation": "list_portfolios",
        "code": "AccessDeniedException",
        "message": "User is not authorized to perform servicecatalog:ListPortfolios"}]
    assert set(Product.objects.values_list("aws_account_id", flat=True)) == {"222222222222"}


def test_a_target_that_fails_half_way_keeps_its_previous_catalog(project: Project) -> None:
    upstream = upstream_make(products=2, versions=1)
    _run({project.aws_account_id: _source(upstream)[0]})
    before = list(Product.objects.values_list("product_id", "name", "retired_at"))

    upstream.products[0].name = "Changed"
    source, stubber = _source()
    stubber.add_response("list_portfolios", {"PortfolioDetails": upstream.portfolios},
                         {"PageSize": 100})
    shares_stub(stubber, {})
    stubber.add_client_error("search_products_as_admin", service_error_code="AccessDeniedException",
                             service_message="denied", http_status_code=400)
    run = _run({project.aws_account_id: source})

    assert run.status == SyncRun.Status.FAILED
    assert list(Product.objects.values_list("product_id", "name", "retired_at")) == before


def test_a_product_gone_between_listing_and_describing_is_retired(project: Project) -> None:
    upstream = upstream_make(products=2, versions=1)
    _run({project.aws_account_id: _source(upstream)[0]})

    source, stubber = _source()
    stubber.add_response("list_portfolios", {"PortfolioDetails": upstream.portfolios},
                         {"PageSize": 100})
    shares_stub(stubber, {})
    stubber.add_response("search_products_as_admin", {"ProductViewDetails": [
        {"ProductViewSummary": p.summary} for p in upstream.products]},
        {"PortfolioId": upstream.portfolios[0]["Id"], "PageSize": 20})
    stubber.add_client_error("describe_product_as_admin",
                             service_error_code="ResourceNotFoundException",
                             service_message="Product not found", http_status_code=400,
                             expected_params={"Id": upstream.products[0].product_id})
    product_stub(stubber, upstream.products[1])
    run = _run({project.aws_account_id: source})

    stubber.assert_no_pending_responses()
    assert run.status == SyncRun.Status.SUCCEEDED
    assert Product.objects.get(product_id=upstream.products[0].product_id).retired_at is not None
    assert Product.objects.get(product_id=upstream.products[1].product_id).retired_at is None


def test_a_call_still_throttled_after_botocores_retries_fails_its_target_once(
        project: Project) -> None:
    # The stubbed client answers after botocore's retry handler would have given up: the source
    # adds no retries of its own (one layer: botocore's adaptive mode, see portal.aws_errors).
    client, stubber = stubbed_client()
    stubber.add_client_error("list_portfolios", service_error_code="ThrottlingException",
                             service_message="Rate exceeded", http_status_code=400)
    source = AwsCatalogSource(client)

    run = _run({project.aws_account_id: source})

    stubber.assert_no_pending_responses()
    assert run.status == SyncRun.Status.FAILED
    assert run.errors[0]["code"] == "ThrottlingException"
    assert source.calls == 1


def test_a_validation_error_ends_the_target_with_a_clear_message_without_account_ids(
        project: Project) -> None:
    client, stubber = stubbed_client()
    stubber.add_client_error(
        "list_portfolios", service_error_code="ValidationException", http_status_code=400,
        service_message="User arn:aws:sts::123456789012:assumed-role/R/s may not list")
    source = AwsCatalogSource(client)

    run = _run({project.aws_account_id: source})

    assert run.status == SyncRun.Status.FAILED
    assert run.errors[0]["code"] == "ValidationException"
    message = run.errors[0]["message"]
    assert "may not list" in message
    assert "123456789012" not in message and "arn:aws" not in message
    assert source.calls == 1


def test_inactive_versions_are_kept_without_asking_for_their_parameters(project: Project) -> None:
    product = UpstreamProduct(
        product_id="prod-inactive00001", name="Old notebook",
        versions=[version("pa-old000000001", "v1", active=False),
                  version("pa-new000000001", "v2", day=2)],
        parameters=[INSTANCE_TYPE])
    upstream = Upstream(portfolios=upstream_make(products=0).portfolios, products=[product])
    product.portfolio_id = upstream.portfolios[0]["Id"]
    source, stubber = _source(upstream)

    _run({project.aws_account_id: source})

    stubber.assert_no_pending_responses()  # only v2's parameters were described
    old = ProductVersion.objects.get(artifact_id="pa-old000000001")
    assert old.active is False and old.parameters.count() == 0


def test_tag_options_gone_upstream_are_retired(project: Project) -> None:
    upstream = upstream_make(products=1, versions=1)
    upstream.products[0].tag_options = [
        {"Id": "tag-a", "Key": "data-classification", "Value": "internal", "Active": True}]
    _run({project.aws_account_id: _source(upstream)[0]})
    upstream.products[0].tag_options = []
    _run({project.aws_account_id: _source(upstream)[0]})
    assert TagOption.objects.get(tag_option_id="tag-a").retired_at is not None
    assert Product.objects.get().tag_options.count() == 0


@mock_aws
def test_the_aws_source_lists_every_portfolio_moto_knows() -> None:
    # moto 5.2 implements ListPortfolios but not ListAcceptedPortfolioShares: read the first.
    client = boto3.client("servicecatalog", region_name="eu-west-1")
    for n in range(3):
        client.create_portfolio(DisplayName=f"Portfolio {n}", ProviderName="ML Platform",
                                IdempotencyToken=f"token-{n}")
    portfolios = AwsCatalogSource(client)._pages("list_portfolios", "PortfolioDetails",
                                                 PageSize=100)
    assert sorted(p["DisplayName"] for p in portfolios) == ["Portfolio 0", "Portfolio 1",
                                                            "Portfolio 2"]


def test_portfolios_shared_from_a_hub_account_are_synced_once(project: Project) -> None:
    upstream = upstream_make(products=2, versions=1, portfolios=2)
    hub = upstream.portfolios.pop()  # shared from the hub, not created in the project account
    upstream.shared_portfolios = {"IMPORTED": [hub], "AWS_ORGANIZATIONS": [hub]}
    source, stubber = _source(upstream)

    run = _run({project.aws_account_id: source})

    stubber.assert_no_pending_responses()
    assert run.status == SyncRun.Status.SUCCEEDED
    assert Portfolio.objects.count() == 2
    assert Product.objects.filter(portfolios__portfolio_id=hub["Id"]).count() == 1


def test_a_role_that_cannot_be_assumed_is_reported_and_the_other_targets_still_sync(
    project: Project, other_project: Project,
) -> None:
    from botocore.exceptions import ClientError

    fine, _ = _source(upstream_make(products=1, versions=1))

    def source_for(target: SyncTarget) -> AwsCatalogSource:
        if target.aws_account_id == project.aws_account_id:
            raise ClientError({"Error": {"Code": "AccessDenied",
                                         "Message": "Not authorized to perform sts:AssumeRole"}},
                              "AssumeRole")
        return fine

    run = catalog_sync(run=sync_run_start(trigger=SyncRun.Trigger.COMMAND), source_for=source_for)

    assert run.status == SyncRun.Status.PARTIAL
    assert run.errors[0] == {"target": "111111111111/eu-west-1", "operation": "AssumeRole",
                             "code": "AccessDenied",
                             "message": "Not authorized to perform sts:AssumeRole"}
    assert Product.objects.filter(aws_account_id="222222222222").count() == 1


def test_the_source_is_boto3_through_the_projects_target_in_every_mode(
    project: Project, settings: object,
) -> None:
    from catalog.sources import catalog_source_for
    from catalog.sync import sync_targets

    (target,) = sync_targets()
    for mode in ("fake", "aws"):
        settings.PORTAL_AWS_MODE = mode  # type: ignore[attr-defined]
        source = catalog_source_for(target)
        assert isinstance(source, AwsCatalogSource)
        assert source.client.meta.service_model.service_name == "servicecatalog"
        assert source.client.meta.region_name == "eu-west-1"


def test_the_target_uses_a_project_that_has_a_role_when_several_share_an_account(
    project: Project,
) -> None:
    from catalog.sync import sync_targets

    Project.objects.filter(pk=project.pk).update(aws_role_arn="", aws_external_id="")
    with_role = Project.objects.create(
        slug="fraud-prod", name="Fraud prod", cost_center="CC-1", environment="prod",
        aws_account_id=project.aws_account_id, aws_region=project.aws_region,
        aws_role_arn="arn:aws:iam::111111111111:role/PortalCatalogReader")
    assert [t.project for t in sync_targets()] == [with_role]
