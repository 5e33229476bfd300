"""Service Catalog day 2 on the fake: rollbacks, states that refuse changes, paged outputs."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

from fakeaws import clock, faults
from fakeaws.models import NotebookInstance
from tests.fakeaws.conftest import provision

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("test_catalog")]


@pytest.fixture
def sc(project_client: Any) -> Any:
    return project_client("servicecatalog")


def _update(sc: Any, pp_id: str, **values: str) -> dict[str, Any]:
    params = [{"Key": "NotebookInstanceName", "UsePreviousValue": True}]
    params += [{"Key": k, "Value": v} for k, v in values.items()]
    return sc.update_provisioned_product(  # type: ignore[no-any-return]
        ProvisionedProductId=pp_id, ProductId="prod-testnotebook1",
        ProvisioningArtifactId="pa-testnotebook1v1", ProvisioningParameters=params)[
        "RecordDetail"]


def test_the_request_answer_says_created(sc: Any) -> None:
    assert provision(sc)["RecordDetail"]["Status"] == "CREATED"


def test_a_failing_stack_reports_in_progress_in_error_while_it_rolls_back(
        sc: Any, settings: Any) -> None:
    settings.FAKEAWS_OPERATION_SECONDS = 8
    faults.fail_next_stack(message="Notebook: boom")
    record_id = provision(sc)["RecordDetail"]["RecordId"]
    clock.advance(5)
    detail = sc.describe_record(Id=record_id)["RecordDetail"]
    assert detail["Status"] == "IN_PROGRESS_IN_ERROR"
    assert detail["RecordErrors"][0]["Description"] == "Notebook: boom"
    clock.advance(4)
    assert sc.describe_record(Id=record_id)["RecordDetail"]["Status"] == "FAILED"


def test_a_failed_update_rolls_back_and_taints_the_product(sc: Any) -> None:
    pp_id = provision(sc)["RecordDetail"]["ProvisionedProductId"]
    faults.fail_next_stack(message="Notebook: update failed")
    record = _update(sc, pp_id, InstanceType="ml.m5.xlarge")
    assert sc.describe_record(Id=record["RecordId"])["RecordDetail"]["Status"] == "FAILED"
    detail = sc.describe_provisioned_product(Id=pp_id)["ProvisionedProductDetail"]
    assert detail["Status"] == "TAINTED"
    assert NotebookInstance.objects.get(name="dana-nb").instance_type == "ml.t3.medium"
    # A tainted product can be updated again; the previous values are the rolled-back ones.
    record = _update(sc, pp_id, VolumeSizeInGB="30")
    assert sc.describe_record(Id=record["RecordId"])["RecordDetail"]["Status"] == "SUCCEEDED"
    notebook = NotebookInstance.objects.get(name="dana-nb")
    assert (notebook.instance_type, notebook.volume_size_gb) == ("ml.t3.medium", 30)


def test_a_product_under_change_refuses_another_change(sc: Any, settings: Any) -> None:
    settings.FAKEAWS_OPERATION_SECONDS = 8
    pp_id = provision(sc)["RecordDetail"]["ProvisionedProductId"]
    for call in (lambda: _update(sc, pp_id, InstanceType="ml.m5.xlarge"),
                 lambda: sc.terminate_provisioned_product(ProvisionedProductId=pp_id)):
        with pytest.raises(ClientError) as caught:
            call()
        assert caught.value.response["Error"]["Code"] == "InvalidStateException"
    clock.advance(8)
    _update(sc, pp_id, InstanceType="ml.m5.xlarge")


def test_an_update_without_a_value_for_a_parameter_without_default_is_refused(sc: Any) -> None:
    pp_id = provision(sc)["RecordDetail"]["ProvisionedProductId"]
    with pytest.raises(ClientError) as caught:
        sc.update_provisioned_product(ProvisionedProductId=pp_id,
                                      ProvisioningArtifactId="pa-testnotebook1v1",
                                      ProvisioningParameters=[])
    assert caught.value.response["Error"]["Code"] == "InvalidParametersException"
    assert "NotebookInstanceName" in caught.value.response["Error"]["Message"]


def test_record_outputs_are_paged(sc: Any) -> None:
    record_id = provision(sc)["RecordDetail"]["RecordId"]
    first = sc.describe_record(Id=record_id, PageSize=2)
    assert len(first["RecordOutputs"]) == 2
    rest = sc.describe_record(Id=record_id, PageSize=2, PageToken=first["NextPageToken"])
    assert len(rest["RecordOutputs"]) == 1 and "NextPageToken" not in rest
    with pytest.raises(ClientError) as caught:
        sc.describe_record(Id=record_id, PageToken="not-a-token")
    assert caught.value.response["Error"]["Code"] == "InvalidParametersException"


def test_service_unavailable_on_demand_is_retried_then_surfaces(sc: Any) -> None:
    faults.inject(service="servicecatalog", operation="DescribeProvisionedProduct",
                  code="ServiceUnavailable", status=503, times=5)
    with pytest.raises(ClientError) as caught:
        sc.describe_provisioned_product(Id="pp-whatever")
    assert caught.value.response["Error"]["Code"] == "ServiceUnavailable"
    # botocore's max_attempts counts retries: 3 retries after the first attempt, then it gives up.
    assert caught.value.response["ResponseMetadata"]["RetryAttempts"] == 3


def _export(sc: Any, name: str, bucket: str) -> dict[str, Any]:
    record = sc.provision_product(
        ProductId="prod-testexport01", ProvisioningArtifactId="pa-testexport01v1",
        ProvisionedProductName=name,
        ProvisioningParameters=[{"Key": "TeamBucketName", "Value": bucket}])["RecordDetail"]
    return sc.describe_record(Id=record["RecordId"])["RecordDetail"]  # type: ignore[no-any-return]


def test_an_export_name_is_unique_in_the_account(sc: Any) -> None:
    assert _export(sc, "exports-1", "team-bucket-1")["Status"] == "SUCCEEDED"
    second = _export(sc, "exports-2", "team-bucket-2")
    assert second["Status"] == "FAILED"
    assert second["RecordErrors"][0]["Description"].startswith(
        "Export with name team-BucketName is already exported by stack SC-")


def test_a_bucket_name_is_unique_across_accounts(sc: Any, project_client: Any) -> None:
    assert _export(sc, "exports-1", "team-bucket-1")["Status"] == "SUCCEEDED"
    other = project_client("servicecatalog", account="222222222222")
    failed = _export(other, "exports-1", "team-bucket-1")
    assert failed["Status"] == "FAILED"
    assert "team-bucket-1 already exists" in failed["RecordErrors"][0]["Description"]
