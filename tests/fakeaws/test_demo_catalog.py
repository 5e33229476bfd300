"""The shipped demo catalog: every version's parameters fit botocore's shape, every product
provisions from its template with values taken from the account baseline."""

from __future__ import annotations

from typing import Any

import pytest

from fakeaws.baseline import baseline_for
from fakeaws.catalog.definition import catalog_load
from fakeaws.models import NotebookInstance, UserProfile
from tests.fakeaws.conftest import PROJECT_ACCOUNT, REGION, assert_valid_output

pytestmark = pytest.mark.django_db
BASE = baseline_for(account=PROJECT_ACCOUNT, region=REGION)
SAMPLES = {
    "NotebookInstanceName": "dana-demo", "KmsKeyId": BASE.kms_key_arn,
    "SubnetId": BASE.subnets[0]["SubnetId"],
    "SecurityGroupIds": BASE.security_groups[0]["GroupId"], "UserProfileName": "dana",
    "ExecutionRoleArn": BASE.studio_execution_role_arn,
}


def test_every_version_answers_its_provisioning_parameters(project_client: Any) -> None:
    sc = project_client("servicecatalog")
    for product in catalog_load().products:
        for version in product.versions:
            answer = sc.describe_provisioning_parameters(
                ProductId=product.id, ProvisioningArtifactId=version.id,
                PathId=product.launch_paths[0].id)
            assert_valid_output(sc, "DescribeProvisioningParameters", answer)
            assert answer["ProvisioningArtifactParameters"], version.id


@pytest.mark.parametrize("version_id", ["pa-mldemonb0001v1", "pa-mldemonb0001v2"])
def test_the_notebook_versions_provision_a_locked_down_notebook(project_client: Any,
                                                                version_id: str) -> None:
    sc = project_client("servicecatalog")
    record = sc.provision_product(
        ProductId="prod-mldemonb0001", ProvisioningArtifactId=version_id,
        PathId="lpv3-mldemonb0001a", ProvisionedProductName="demo-nb",
        ProvisioningParameters=[{"Key": k, "Value": SAMPLES[k]} for k in (
            "NotebookInstanceName", "KmsKeyId", "SubnetId", "SecurityGroupIds")])["RecordDetail"]
    answer = sc.describe_record(Id=record["RecordId"])
    assert answer["RecordDetail"]["Status"] == "SUCCEEDED", answer["RecordDetail"]
    outputs = {o["OutputKey"]: o["OutputValue"] for o in answer["RecordOutputs"]}
    notebook = NotebookInstance.objects.get(name="dana-demo")
    assert outputs["NotebookInstanceArn"] == notebook.arn
    assert (notebook.root_access, notebook.direct_internet_access) == ("Disabled", "Disabled")
    assert notebook.subnet_id == SAMPLES["SubnetId"]


def test_the_studio_profile_lands_in_the_imported_domain(project_client: Any) -> None:
    sc = project_client("servicecatalog")
    record = sc.provision_product(
        ProductId="prod-mldemostudio1", ProvisioningArtifactId="pa-mldemostudio1v1",
        ProvisionedProductName="demo-studio",
        ProvisioningParameters=[{"Key": k, "Value": SAMPLES[k]}
                                for k in ("UserProfileName", "ExecutionRoleArn")])["RecordDetail"]
    answer = sc.describe_record(Id=record["RecordId"])
    assert answer["RecordDetail"]["Status"] == "SUCCEEDED", answer["RecordDetail"]
    assert UserProfile.objects.get(name="dana").domain.domain_id == BASE.domain_id


def test_the_mlops_project_is_created_through_sagemaker(project_client: Any) -> None:
    sm = project_client("sagemaker")
    sm.create_project(ProjectName="fraud-scoring", ServiceCatalogProvisioningDetails={
        "ProductId": "prod-mldemomlops01", "ProvisioningArtifactId": "pa-mldemomlops01v1"})
    answer = sm.describe_project(ProjectName="fraud-scoring")
    assert answer["ProjectStatus"] == "CreateCompleted", answer
