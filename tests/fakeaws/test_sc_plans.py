"""Plans (change-set previews), owner transfer and project updates on the fake."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

from fakeaws.models import NotebookInstance, SageMakerProject
from tests.fakeaws.conftest import assert_valid_output, provision

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("test_catalog")]


def _plan(sc: Any, **values: str) -> dict[str, Any]:
    params = [{"Key": k, "Value": v} for k, v in values.items()]
    return sc.create_provisioned_product_plan(  # type: ignore[no-any-return]
        PlanName="preview", PlanType="CLOUDFORMATION", ProductId="prod-testnotebook1",
        ProvisionedProductName="nb-dana", ProvisioningArtifactId="pa-testnotebook1v1",
        PathId="lpv3-testnotebook1", ProvisioningParameters=params, IdempotencyToken="t" * 8)


def test_a_plan_previews_an_update_and_executes_it(project_client: Any) -> None:
    sc = project_client("servicecatalog")
    provision(sc)
    created = _plan(sc, NotebookInstanceName="dana-nb", InstanceType="ml.m5.xlarge")
    assert_valid_output(sc, "CreateProvisionedProductPlan", created)
    answer = sc.describe_provisioned_product_plan(PlanId=created["PlanId"])
    assert_valid_output(sc, "DescribeProvisionedProductPlan", answer)
    [change] = answer["ResourceChanges"]
    assert (change["Action"], change["LogicalResourceId"], change["Replacement"]) == (
        "MODIFY", "Notebook", "FALSE")
    assert [d["Target"]["Name"] for d in change["Details"]] == ["InstanceType"]
    assert answer["ProvisionedProductPlanDetails"]["Status"] == "CREATE_SUCCESS"
    record = sc.execute_provisioned_product_plan(PlanId=created["PlanId"])["RecordDetail"]
    assert sc.describe_record(Id=record["RecordId"])["RecordDetail"]["Status"] == "SUCCEEDED"
    assert NotebookInstance.objects.get(name="dana-nb").instance_type == "ml.m5.xlarge"
    with pytest.raises(ClientError) as caught:
        sc.execute_provisioned_product_plan(PlanId=created["PlanId"])
    assert caught.value.response["Error"]["Code"] == "InvalidStateException"


def test_a_renaming_plan_says_the_notebook_is_replaced(project_client: Any) -> None:
    sc = project_client("servicecatalog")
    provision(sc)
    plan = _plan(sc, NotebookInstanceName="dana-nb-2")
    [change] = sc.describe_provisioned_product_plan(PlanId=plan["PlanId"])["ResourceChanges"]
    assert change["Replacement"] == "TRUE"


def test_a_resize_with_a_rename_says_which_property_replaces_the_notebook(
        project_client: Any) -> None:
    # AWS::SageMaker::NotebookInstance: InstanceType "No interruption", NotebookInstanceName
    # "Replacement"; RequiresRecreation is per property, Replacement per resource.
    sc = project_client("servicecatalog")
    provision(sc)
    plan = _plan(sc, NotebookInstanceName="dana-nb-2", InstanceType="ml.m5.xlarge")
    [change] = sc.describe_provisioned_product_plan(PlanId=plan["PlanId"])["ResourceChanges"]
    assert change["Replacement"] == "TRUE"
    assert {d["Target"]["Name"]: d["Target"]["RequiresRecreation"]
            for d in change["Details"]} == {"InstanceType": "NEVER",
                                            "NotebookInstanceName": "ALWAYS"}


def test_a_deleted_plan_is_gone(project_client: Any) -> None:
    sc = project_client("servicecatalog")
    provision(sc)
    plan = _plan(sc, NotebookInstanceName="dana-nb", InstanceType="ml.m5.xlarge")
    assert_valid_output(sc, "DeleteProvisionedProductPlan",
                        sc.delete_provisioned_product_plan(PlanId=plan["PlanId"]))
    for call in (sc.describe_provisioned_product_plan, sc.execute_provisioned_product_plan,
                 sc.delete_provisioned_product_plan):
        with pytest.raises(ClientError) as caught:
            call(PlanId=plan["PlanId"])
        assert caught.value.response["Error"]["Code"] == "ResourceNotFoundException"


def test_owner_transfer_changes_whose_search_finds_the_product(project_client: Any) -> None:
    dana = project_client("servicecatalog", session_name="dana.scientist")
    colin = project_client("servicecatalog", session_name="colin.colleague")
    pp_id = provision(dana)["RecordDetail"]["ProvisionedProductId"]
    owner = "arn:aws:sts::111111111111:assumed-role/ml-portal-provisioning/colin.colleague"
    answer = dana.update_provisioned_product_properties(
        ProvisionedProductId=pp_id, ProvisionedProductProperties={"OWNER": owner})
    assert_valid_output(dana, "UpdateProvisionedProductProperties", answer)
    assert [p["Id"] for p in colin.search_provisioned_products()["ProvisionedProducts"]] == [
        pp_id]
    assert dana.search_provisioned_products()["ProvisionedProducts"] == []


def test_update_project_keeps_sagemakers_parameters(project_client: Any) -> None:
    sm = project_client("sagemaker")
    created = sm.create_project(ProjectName="churn", ServiceCatalogProvisioningDetails={
        "ProductId": "prod-testproject01", "ProvisioningArtifactId": "pa-testproject01v1"})
    answer = sm.update_project(ProjectName="churn", ProjectDescription="Churn models",
                               ServiceCatalogProvisioningUpdateDetails={
                                   "ProvisioningArtifactId": "pa-testproject01v1"})
    assert_valid_output(sm, "UpdateProject", answer)
    project = sm.describe_project(ProjectName="churn")
    assert project["ProjectStatus"] == "UpdateCompleted"
    assert project["ProjectDescription"] == "Churn models"
    product = SageMakerProject.objects.get(name="churn").product
    assert product is not None
    assert product.parameters["SageMakerProjectId"] == created["ProjectId"]
    with pytest.raises(ClientError):
        sm.update_project(ProjectName="churn", ServiceCatalogProvisioningUpdateDetails={
            "ProvisioningParameters": [{"Key": "SageMakerProjectName", "Value": "other"}]})
