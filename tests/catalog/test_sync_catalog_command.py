"""`manage.py sync_catalog` against the local simulator's demo catalog."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from catalog import demo_catalog
from catalog.models import InstancePrice, ParameterSpec, Product, ProductVersion, SyncRun
from portal.models import Project

pytestmark = pytest.mark.django_db


def _sync() -> str:
    out = StringIO()
    call_command("sync_catalog", stdout=out)
    return out.getvalue()


def test_it_syncs_the_demo_catalog_with_progress_and_a_summary(project: Project) -> None:
    output = _sync()

    assert "[1/1] 111111111111/eu-west-1 (via project fraud)" in output
    assert "read SageMaker notebook instance (2 versions)" in output
    assert "read SageMaker Studio user profile (1 version)" in output
    assert "Catalog sync #" in output and "Succeeded" in output
    kinds = dict(Product.objects.values_list("name", "kind"))
    assert kinds == {
        "SageMaker notebook instance": Product.Kind.NOTEBOOK_INSTANCE,
        "SageMaker Studio user profile": Product.Kind.STUDIO_USER_PROFILE,
        "SageMaker project: model build, train and deploy": Product.Kind.SAGEMAKER_PROJECT,
    }
    notebook = Product.objects.get(kind=Product.Kind.NOTEBOOK_INSTANCE)
    assert dict(notebook.versions.values_list("name", "guidance")) == {
        "v1": "DEPRECATED", "v2": "DEFAULT"}
    instance_type = ParameterSpec.objects.get(version__product=notebook, version__name="v2",
                                              key="InstanceType")
    assert instance_type.allowed_values == ["ml.t3.medium", "ml.m5.xlarge", "ml.c5.xlarge",
                                            "ml.p3.2xlarge"]
    volume = ParameterSpec.objects.get(version__name="v2", key="VolumeSizeInGB",
                                       version__product=notebook)
    assert (volume.min_value, volume.max_value) == (5, 100)
    kms = ParameterSpec.objects.get(version__name="v2", key="KmsKeyId", version__product=notebook)
    assert kms.allowed_values == ["arn:aws:kms:eu-west-1:111111111111:alias/ml-notebooks"]
    assert set(InstancePrice.objects.values_list("instance_type", flat=True)) == set(
        demo_catalog.PRICES)


def test_a_second_run_writes_nothing_to_the_catalog(project: Project) -> None:
    _sync()
    with CaptureQueriesContext(connection) as queries:
        output = _sync()
    writes = [q["sql"] for q in queries.captured_queries
              if q["sql"].startswith(("INSERT", "UPDATE", "DELETE"))
              and "catalog_syncrun" not in q["sql"] and "portal_auditevent" not in q["sql"]]
    assert writes == []
    assert "added 0, updated 0, retired 0, errors 0" in output


def test_it_syncs_each_account_and_region_once(project: Project, other_project: Project) -> None:
    Project.objects.create(slug="fraud-2", name="Fraud 2", cost_center="CC-1", environment="dev",
                           aws_account_id="111111111111", aws_region="eu-west-1")
    output = _sync()
    assert "[2/2]" in output and "[3/3]" not in output
    assert Product.objects.filter(aws_account_id="222222222222",
                                  aws_region="eu-central-1").count() == 3


def test_it_never_overwrites_a_price_the_platform_team_changed(project: Project) -> None:
    _sync()
    InstancePrice.objects.filter(instance_type="ml.t3.medium").update(usd_per_hour="0.0600")
    _sync()
    assert str(InstancePrice.objects.get(instance_type="ml.t3.medium").usd_per_hour) == "0.0600"


def test_a_version_withdrawn_from_the_demo_catalog_is_retired(
    project: Project, monkeypatch: pytest.MonkeyPatch,
) -> None:
    _sync()
    notebook = dict(demo_catalog.PRODUCTS[0])
    notebook["versions"] = notebook["versions"][1:]
    monkeypatch.setattr(demo_catalog, "PRODUCTS", [notebook, *demo_catalog.PRODUCTS[1:]])
    output = _sync()
    assert ProductVersion.objects.get(artifact_id="pa-mldemonb0001v1").retired_at is not None
    assert "retired 1" in output


def test_it_fails_with_an_error_when_every_target_fails(
    project: Project, monkeypatch: pytest.MonkeyPatch,
) -> None:
    from catalog.simulator import SimulatorCatalogSource

    from catalog.sources import CatalogSourceError

    def refuse(self: SimulatorCatalogSource) -> list[dict[str, str]]:
        raise CatalogSourceError(operation="list_portfolios", code="AccessDeniedException",
                                 message="denied")

    monkeypatch.setattr(SimulatorCatalogSource, "portfolios", refuse)
    with pytest.raises(CommandError, match="Failed"):
        call_command("sync_catalog", stdout=StringIO(), stderr=StringIO())
    assert SyncRun.objects.get().status == SyncRun.Status.FAILED
    assert Product.objects.count() == 0


def test_with_no_projects_it_syncs_nothing_and_succeeds(db: None) -> None:
    output = _sync()
    assert "added 0, updated 0, retired 0, errors 0" in output


def test_new_products_can_be_published_on_arrival_by_setting(project: Project,
                                                            settings: object) -> None:
    settings.PORTAL_CATALOG_PUBLISH_NEW = True  # type: ignore[attr-defined]
    _sync()
    assert set(Product.objects.values_list("published", flat=True)) == {True}


def test_a_partial_failure_is_summarised_with_the_failed_target(
    project: Project, other_project: Project, monkeypatch: pytest.MonkeyPatch,
) -> None:
    from catalog.simulator import SimulatorCatalogSource

    from catalog.sources import CatalogSourceError

    original = SimulatorCatalogSource.portfolios

    def refuse_credit_risk(self: SimulatorCatalogSource) -> list[dict[str, object]]:
        if self.account == other_project.aws_account_id:
            raise CatalogSourceError(operation="list_portfolios", code="AccessDeniedException",
                                     message="denied")
        return original(self)

    monkeypatch.setattr(SimulatorCatalogSource, "portfolios", refuse_credit_risk)
    output = _sync()
    assert "Finished with errors" in output
    assert "222222222222/eu-central-1: list_portfolios AccessDeniedException: denied" in output
    assert Product.objects.filter(aws_account_id=project.aws_account_id).count() == 3
