"""`manage.py sync_catalog` against the fake AWS's demo catalog, through the real sync."""

from __future__ import annotations

from io import StringIO
from pathlib import Path

import pytest
import yaml
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

import fakeaws
from catalog.models import InstancePrice, ParameterSpec, Product, ProductVersion, SyncRun
from fakeaws import faults
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
    assert kms.allowed_pattern.startswith("(arn:aws[a-z-]*:kms:")
    assert not InstancePrice.objects.exists()  # Service Catalog is not a pricing API


def test_a_second_run_writes_nothing_to_the_catalog(project: Project) -> None:
    _sync()
    with CaptureQueriesContext(connection) as queries:
        output = _sync()
    writes = [q["sql"] for q in queries.captured_queries
              if q["sql"].startswith(("INSERT", "UPDATE", "DELETE"))
              and "catalog_syncrun" not in q["sql"] and "portal_auditevent" not in q["sql"]
              and "fakeaws_" not in q["sql"]]  # AWS's side (its call log) is not the catalog
    assert writes == []
    assert "added 0, updated 0, retired 0, errors 0" in output


def test_it_syncs_each_account_and_region_once(project: Project, other_project: Project) -> None:
    Project.objects.create(slug="fraud-2", name="Fraud 2", cost_center="CC-1", environment="dev",
                           aws_account_id="111111111111", aws_region="eu-west-1")
    output = _sync()
    assert "[2/2]" in output and "[3/3]" not in output
    assert Product.objects.filter(aws_account_id="222222222222",
                                  aws_region="eu-central-1").count() == 3


def test_the_demo_seed_adds_prices_and_fixed_network_values_but_never_overwrites(
        project: Project) -> None:
    _sync()
    out = StringIO()
    call_command("seed_demo_catalog", stdout=out)
    assert "added price eu-west-1 ml.t3.medium 0.0500 USD/h" in out.getvalue()
    notebook = Product.objects.get(kind=Product.Kind.NOTEBOOK_INSTANCE)
    fixed = dict(notebook.overrides.filter(hidden=True).values_list("key", "fixed_value"))
    assert fixed["SubnetId"].startswith("subnet-") and fixed["KmsKeyId"] == "alias/ml-notebooks"
    assert fixed["SecurityGroupIds"].startswith("sg-")
    # The demo lets a change rename a notebook: the change preview then shows a replacement.
    assert notebook.overrides.get(key="NotebookInstanceName").on_change == "replace"
    assert "NotebookInstanceName may change (replaces the notebook)" in out.getvalue()
    InstancePrice.objects.filter(instance_type="ml.t3.medium").update(usd_per_hour="0.0600")
    notebook.overrides.filter(key="SubnetId").update(fixed_value="subnet-chosen")
    _sync()
    out = StringIO()
    call_command("seed_demo_catalog", stdout=out)
    assert "nothing added" in out.getvalue()
    assert str(InstancePrice.objects.get(instance_type="ml.t3.medium").usd_per_hour) == "0.0600"
    assert notebook.overrides.get(key="SubnetId").fixed_value == "subnet-chosen"


def test_a_version_withdrawn_from_the_demo_catalog_is_retired(
    project: Project, settings: object, tmp_path: Path,
) -> None:
    _sync()
    demo = Path(fakeaws.__file__).parent / "catalog"
    definition = yaml.safe_load((demo / "demo.yaml").read_text())
    notebook = definition["products"][0]
    assert notebook["versions"][0]["id"] == "pa-mldemonb0001v1"
    notebook["versions"] = notebook["versions"][1:]
    (tmp_path / "catalog.yaml").write_text(yaml.safe_dump(definition))
    (tmp_path / "templates").symlink_to(demo / "templates")
    settings.FAKEAWS_CATALOG_FILE = str(tmp_path / "catalog.yaml")  # type: ignore[attr-defined]
    output = _sync()
    assert ProductVersion.objects.get(artifact_id="pa-mldemonb0001v1").retired_at is not None
    assert "retired 1" in output


def test_it_fails_with_an_error_when_every_target_fails(
    project: Project,
) -> None:
    faults.inject(service="servicecatalog", operation="ListPortfolios",
                  code="AccessDeniedException", message="denied")
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
    project: Project, other_project: Project, settings: object,
) -> None:
    # credit-risk has no role: as in AWS it acts in the portal's own account, refused there.
    faults.inject(service="servicecatalog", operation="ListPortfolios",
                  code="AccessDeniedException", message="denied",
                  account=settings.FAKEAWS_PORTAL_ACCOUNT)  # type: ignore[attr-defined]
    output = _sync()
    assert "Finished with errors" in output
    assert "222222222222/eu-central-1: list_portfolios AccessDeniedException: denied" in output
    assert Product.objects.filter(aws_account_id=project.aws_account_id).count() == 3
