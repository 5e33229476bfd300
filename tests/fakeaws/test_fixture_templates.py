"""Every real-world shape fixture (tests/fixtures/cfn) provisions on the fake: notebooks and
Studio profiles through Service Catalog, project templates through SageMaker CreateProject."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from fakeaws.baseline import baseline_for
from fakeaws.catalog.definition import catalog_load
from fakeaws.models import NotebookInstance, UserProfile
from tests.fakeaws.conftest import PROJECT_ACCOUNT, REGION

pytestmark = pytest.mark.django_db
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "cfn"
BASE = baseline_for(account=PROJECT_ACCOUNT, region=REGION)
VALUES = {
    "ExecutionRoleArn": BASE.notebook_execution_role_arn, "NotebookName": "fx-notebook",
    "Team": "risk", "UseCase": "scoring", "VpcId": BASE.vpc_id,
    "SubnetId": BASE.subnets[0]["SubnetId"],
    "SecurityGroupIds": BASE.security_groups[0]["GroupId"], "StudioDomainId": BASE.domain_id,
    "DomainId": BASE.domain_id, "UserProfileName": "fx-user",
}


@pytest.fixture
def fixture_catalog(tmp_path: Path, settings: Any) -> None:
    (tmp_path / "templates").symlink_to(FIXTURES)
    products = [{"id": f"prod-fx{index:04d}", "view_id": f"prodview-fx{index:04d}",
                 "name": path.stem, "created": "2026-01-01T00:00:00Z",
                 "launch_paths": [{"id": f"lpv3-fx{index:04d}", "portfolio": "port-fx"}],
                 "versions": [{"id": f"pa-fx{index:04d}", "name": "v1", "template": path.name,
                               "created": "2026-01-01T00:00:00Z"}]}
                for index, path in enumerate(sorted(FIXTURES.glob("*.yaml")))]
    source = yaml.safe_load(Path(__file__).with_name("catalog").joinpath(
        "catalog.yaml").read_text())
    (tmp_path / "catalog.yaml").write_text(yaml.safe_dump({
        "baseline": source["baseline"],
        "portfolios": [{"id": "port-fx", "name": "Fixtures", "created": "2026-01-01T00:00:00Z",
                        "products": [p["id"] for p in products]}],
        "products": products}))
    settings.FAKEAWS_CATALOG_FILE = str(tmp_path / "catalog.yaml")


@pytest.mark.parametrize("name", sorted(p.stem for p in FIXTURES.glob("*.yaml")))
def test_the_fixture_provisions(name: str, fixture_catalog: None, project_client: Any) -> None:
    product = next(p for p in catalog_load().products if p.name == name)
    version = product.versions[0]
    sc = project_client("servicecatalog")
    declared = sc.describe_provisioning_parameters(
        ProductId=product.id, ProvisioningArtifactId=version.id)["ProvisioningArtifactParameters"]
    keys = {p["ParameterKey"] for p in declared if "DefaultValue" not in p}
    if name.startswith("sagemaker-project"):
        sm = project_client("sagemaker")
        sm.create_project(ProjectName="fx-project", ServiceCatalogProvisioningDetails={
            "ProductId": product.id, "ProvisioningArtifactId": version.id})
        assert sm.describe_project(ProjectName="fx-project")["ProjectStatus"] == "CreateCompleted"
        return
    record = sc.provision_product(
        ProductId=product.id, ProvisioningArtifactId=version.id, ProvisionedProductName="fx",
        ProvisioningParameters=[{"Key": k, "Value": VALUES[k]} for k in sorted(keys)])
    answer = sc.describe_record(Id=record["RecordDetail"]["RecordId"])
    assert answer["RecordDetail"]["Status"] == "SUCCEEDED", answer["RecordDetail"]
    kind = NotebookInstance if name.startswith("notebook") else UserProfile
    assert kind.objects.count() == 1
