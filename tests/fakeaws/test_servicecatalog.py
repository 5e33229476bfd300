"""The fake Service Catalog through real boto3 clients: catalog reads, provisioning, refusals."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

from fakeaws import clock, faults
from fakeaws.models import CallLog, NotebookInstance, Tag
from tests.fakeaws.conftest import assert_valid_output, provision

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("test_catalog")]


@pytest.fixture
def sc(project_client: Any) -> Any:
    return project_client("servicecatalog")


def _code(caught: Any) -> str:
    return str(caught.value.response["Error"]["Code"])


def test_catalog_reads_answer_the_service_model_shapes(sc: Any) -> None:
    answer = sc.list_accepted_portfolio_shares()
    assert_valid_output(sc, "ListAcceptedPortfolioShares", answer)
    assert [p["Id"] for p in answer["PortfolioDetails"]] == ["port-test00000001"]
    found = sc.search_products_as_admin(PortfolioId="port-test00000001")
    assert_valid_output(sc, "SearchProductsAsAdmin", found)
    assert len(found["ProductViewDetails"]) == 4
    product = sc.describe_product_as_admin(Id="prod-testnotebook1")
    assert_valid_output(sc, "DescribeProductAsAdmin", product)
    artifacts = sc.list_provisioning_artifacts(ProductId="prod-testnotebook1")
    assert_valid_output(sc, "ListProvisioningArtifacts", artifacts)
    paths = sc.list_launch_paths(ProductId="prod-testnotebook1")
    assert_valid_output(sc, "ListLaunchPaths", paths)
    assert paths["LaunchPathSummaries"][0]["ConstraintSummaries"][0]["Type"] == "LAUNCH"


def test_provisioning_parameters_come_from_the_template_and_the_portfolio(sc: Any) -> None:
    answer = sc.describe_provisioning_parameters(
        ProductId="prod-testnotebook1", ProvisioningArtifactId="pa-testnotebook1v1",
        PathId="lpv3-testnotebook1")
    assert_valid_output(sc, "DescribeProvisioningParameters", answer)
    keys = [p["ParameterKey"] for p in answer["ProvisioningArtifactParameters"]]
    assert keys == ["NotebookInstanceName", "InstanceType", "VolumeSizeInGB"]
    assert {t["Key"]: t["Values"] for t in answer["TagOptions"]} == {
        "data-classification": ["confidential", "internal"], "workload": ["notebook"]}
    assert [k["Key"] for k in answer["ProvisioningArtifactOutputKeys"]] == [
        "NotebookArn", "NotebookName"]


def test_unknown_ids_are_resource_not_found(sc: Any) -> None:
    with pytest.raises(ClientError) as caught:
        sc.describe_provisioning_parameters(ProductId="prod-nothere", ProvisioningArtifactId="x")
    assert _code(caught) == "ResourceNotFoundException"


def test_provisioning_creates_the_templates_resources_with_their_tags(sc: Any) -> None:
    record = provision(sc)["RecordDetail"]
    assert record["Status"] in ("CREATED", "IN_PROGRESS", "SUCCEEDED")
    answer = sc.describe_record(Id=record["RecordId"])
    assert_valid_output(sc, "DescribeRecord", answer)
    assert answer["RecordDetail"]["Status"] == "SUCCEEDED"
    outputs = {o["OutputKey"]: o["OutputValue"] for o in answer["RecordOutputs"]}
    notebook = NotebookInstance.objects.get(name="dana-nb")
    # Ref of a notebook instance is its ARN; GetAtt NotebookInstanceName the name.
    assert outputs["NotebookArn"] == notebook.arn
    assert outputs["NotebookName"] == "dana-nb"
    assert outputs["CloudformationStackARN"].startswith("arn:aws:cloudformation:")
    assert set(outputs) == {"NotebookArn", "NotebookName", "CloudformationStackARN"}
    tags = dict(Tag.objects.filter(resource_arn=notebook.arn).values_list("key", "value"))
    assert tags["portal-environment"] == "env-1"
    assert tags["aws:servicecatalog:provisionedProductArn"].endswith(
        "/" + record["ProvisionedProductId"])
    assert tags["aws:cloudformation:logical-id"] == "Notebook"
    detail = sc.describe_provisioned_product(Id=record["ProvisionedProductId"])
    assert_valid_output(sc, "DescribeProvisionedProduct", detail)
    assert detail["ProvisionedProductDetail"]["Status"] == "AVAILABLE"


def test_records_move_through_the_real_statuses_in_time(sc: Any, settings: Any) -> None:
    settings.FAKEAWS_OPERATION_SECONDS = 8
    record_id = provision(sc)["RecordDetail"]["RecordId"]
    assert sc.describe_record(Id=record_id)["RecordDetail"]["Status"] == "CREATED"
    clock.advance(2)
    answer = sc.describe_record(Id=record_id)
    assert answer["RecordDetail"]["Status"] == "IN_PROGRESS"
    assert answer["RecordOutputs"] == []
    clock.advance(7)
    assert sc.describe_record(Id=record_id)["RecordDetail"]["Status"] == "SUCCEEDED"


def test_a_fresh_record_may_not_be_found_yet(sc: Any, settings: Any) -> None:
    settings.FAKEAWS_CONSISTENCY_SECONDS = 3
    record_id = provision(sc)["RecordDetail"]["RecordId"]
    with pytest.raises(ClientError) as caught:
        sc.describe_record(Id=record_id)
    assert _code(caught) == "ResourceNotFoundException"
    clock.advance(3)
    assert sc.describe_record(Id=record_id)["RecordDetail"]["RecordId"] == record_id


def test_the_provision_token_makes_provisioning_idempotent(sc: Any) -> None:
    first = provision(sc, ProvisionToken="token-1")["RecordDetail"]
    again = provision(sc, ProvisionToken="token-1")["RecordDetail"]
    assert again["RecordId"] == first["RecordId"]
    assert NotebookInstance.objects.count() == 1


def test_a_taken_provisioned_product_name_is_refused(sc: Any) -> None:
    provision(sc)
    with pytest.raises(ClientError) as caught:
        provision(sc, notebook="other-nb")
    assert _code(caught) == "InvalidParametersException"
    assert "already exists" in caught.value.response["Error"]["Message"]


def test_a_taken_notebook_name_fails_the_stack(sc: Any) -> None:
    provision(sc)
    record = provision(sc, "nb-colin")["RecordDetail"]
    answer = sc.describe_record(Id=record["RecordId"])
    assert answer["RecordDetail"]["Status"] == "FAILED"
    assert "Cannot create a duplicate Notebook Instance" in (
        answer["RecordDetail"]["RecordErrors"][0]["Description"])
    assert answer["RecordOutputs"] == []
    detail = sc.describe_provisioned_product(Id=record["ProvisionedProductId"])
    assert detail["ProvisionedProductDetail"]["Status"] == "ERROR"


def test_invalid_parameter_values_are_refused_with_cloudformations_words(sc: Any) -> None:
    with pytest.raises(ClientError) as caught:
        provision(sc, more=[{"Key": "InstanceType", "Value": "ml.p4d.24xlarge"}])
    assert _code(caught) == "InvalidParametersException"
    assert "InstanceType" in caught.value.response["Error"]["Message"]
    assert not NotebookInstance.objects.exists()


def test_fail_the_next_stack_on_demand(sc: Any) -> None:
    faults.fail_next_stack(message="Notebook: capacity not available")
    record_id = provision(sc)["RecordDetail"]["RecordId"]
    errors = sc.describe_record(Id=record_id)["RecordDetail"]["RecordErrors"]
    assert errors[0]["Description"] == "Notebook: capacity not available"


def test_update_keeps_previous_values_and_applies_new_ones(sc: Any) -> None:
    pp_id = provision(sc)["RecordDetail"]["ProvisionedProductId"]
    record = sc.update_provisioned_product(
        ProvisionedProductId=pp_id, ProductId="prod-testnotebook1",
        ProvisioningArtifactId="pa-testnotebook1v1",
        ProvisioningParameters=[{"Key": "NotebookInstanceName", "UsePreviousValue": True},
                                {"Key": "InstanceType", "Value": "ml.m5.xlarge"}])
    assert sc.describe_record(Id=record["RecordDetail"]["RecordId"])[
        "RecordDetail"]["Status"] == "SUCCEEDED"
    notebook = NotebookInstance.objects.get(name="dana-nb")
    assert notebook.instance_type == "ml.m5.xlarge"


def test_terminate_removes_the_product_and_its_resources(sc: Any) -> None:
    pp_id = provision(sc)["RecordDetail"]["ProvisionedProductId"]
    record = sc.terminate_provisioned_product(ProvisionedProductId=pp_id)["RecordDetail"]
    assert sc.describe_record(Id=record["RecordId"])["RecordDetail"]["Status"] == "SUCCEEDED"
    with pytest.raises(ClientError) as caught:
        sc.describe_provisioned_product(Id=pp_id)
    assert _code(caught) == "ResourceNotFoundException"


def test_search_is_scoped_by_access_level_and_pages(project_client: Any) -> None:
    dana = project_client("servicecatalog", session_name="dana.scientist")
    colin = project_client("servicecatalog", session_name="colin.colleague")
    for index in range(3):
        provision(dana, f"nb-dana-{index}", notebook=f"dana-{index}")
    provision(colin, "nb-colin", notebook="colin-nb")
    mine = colin.search_provisioned_products()
    assert_valid_output(colin, "SearchProvisionedProducts", mine)
    assert [p["Name"] for p in mine["ProvisionedProducts"]] == ["nb-colin"]
    first = dana.search_provisioned_products(AccessLevelFilter={"Key": "Account", "Value": "self"},
                                             PageSize=2)
    assert len(first["ProvisionedProducts"]) == 2 and first["NextPageToken"]
    rest = dana.search_provisioned_products(AccessLevelFilter={"Key": "Account", "Value": "self"},
                                            PageSize=2, PageToken=first["NextPageToken"])
    assert len(rest["ProvisionedProducts"]) == 2 and "NextPageToken" not in rest
    named = dana.search_provisioned_products(
        AccessLevelFilter={"Key": "Account", "Value": "self"},
        Filters={"SearchQuery": ["name:nb-colin"]})
    assert [p["Name"] for p in named["ProvisionedProducts"]] == ["nb-colin"]


def test_throttling_is_retried_by_botocore_itself(sc: Any) -> None:
    faults.inject(service="servicecatalog", operation="ListLaunchPaths",
                  code="ThrottlingException", times=2)
    answer = sc.list_launch_paths(ProductId="prod-testnotebook1")
    assert answer["ResponseMetadata"]["RetryAttempts"] == 2
    codes = list(CallLog.objects.filter(operation="ListLaunchPaths")
                 .order_by("id").values_list("error_code", flat=True))
    assert codes == ["ThrottlingException", "ThrottlingException", ""]


def test_access_denied_on_demand_reaches_the_caller_as_a_client_error(sc: Any) -> None:
    faults.inject(service="servicecatalog", operation="ProvisionProduct",
                  code="AccessDeniedException", times=1)
    with pytest.raises(ClientError) as caught:
        provision(sc)
    assert _code(caught) == "AccessDeniedException"
    assert not NotebookInstance.objects.exists()
    provision(sc)  # only once
