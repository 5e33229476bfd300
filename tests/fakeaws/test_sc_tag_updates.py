"""UpdateProvisionedProduct's Tags on the fake: refused as AWS refuses them without a
RESOURCE_UPDATE constraint that allows tag updates, applied (product and resources) with one."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

from fakeaws.models import ProvisionedProduct, Record
from tests.fakeaws.conftest import provision

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("test_catalog")]

NEW_TAGS = [{"Key": "portal-environment", "Value": "env-1"}, {"Key": "owner", "Value": "maria"}]


def _provision_profile(sc: Any) -> str:
    answer = sc.provision_product(
        ProductId="prod-testprofile01", ProvisioningArtifactId="pa-testprofile01v1",
        ProvisionedProductName="up-dana", ProvisionToken="tok-profile",
        ProvisioningParameters=[{"Key": "UserProfileName", "Value": "dana"}],
        Tags=[{"Key": "owner", "Value": "dana"}])
    return str(answer["RecordDetail"]["ProvisionedProductId"])


def _update(sc: Any, pp_id: str, tags: list[dict[str, str]], token: str = "upd-1") -> Any:
    keys = ProvisionedProduct.objects.get(pp_id=pp_id).parameters
    return sc.update_provisioned_product(
        ProvisionedProductId=pp_id, UpdateToken=token, Tags=tags,
        ProvisioningParameters=[{"Key": k, "UsePreviousValue": True} for k in keys])


def _tags_of(sc: Any, pp_id: str) -> dict[str, str]:
    [found] = sc.search_provisioned_products(
        AccessLevelFilter={"Key": "Account", "Value": "self"},
        Filters={"SearchQuery": [f"id:{pp_id}"]})["ProvisionedProducts"]
    return {t["Key"]: t["Value"] for t in found["Tags"]}


def test_tag_updates_are_applied_to_the_product_and_its_notebook_when_allowed(
        project_client: Any) -> None:
    sc, sm = project_client("servicecatalog"), project_client("sagemaker")
    pp_id = provision(sc, ProvisionToken="tok-1")["RecordDetail"]["ProvisionedProductId"]
    record = _update(sc, pp_id, NEW_TAGS)["RecordDetail"]
    assert sc.describe_record(Id=record["RecordId"])["RecordDetail"]["Status"] == "SUCCEEDED"
    assert _tags_of(sc, pp_id) == {"portal-environment": "env-1", "owner": "maria"}
    arn = sm.describe_notebook_instance(NotebookInstanceName="dana-nb")["NotebookInstanceArn"]
    tags = {t["Key"]: t["Value"] for t in sm.list_tags(ResourceArn=arn)["Tags"]}
    assert tags["owner"] == "maria"


def test_a_tags_only_update_leaves_a_stopped_notebook_stopped(project_client: Any) -> None:
    sc, sm = project_client("servicecatalog"), project_client("sagemaker")
    pp_id = provision(sc, ProvisionToken="tok-1")["RecordDetail"]["ProvisionedProductId"]
    sm.stop_notebook_instance(NotebookInstanceName="dana-nb")
    _update(sc, pp_id, NEW_TAGS)
    status = sm.describe_notebook_instance(NotebookInstanceName="dana-nb")
    assert status["NotebookInstanceStatus"] in ("Stopping", "Stopped")


def test_tag_updates_are_refused_when_the_constraint_does_not_allow_them(
        project_client: Any) -> None:
    sc = project_client("servicecatalog")
    pp_id = _provision_profile(sc)
    with pytest.raises(ClientError) as refused:
        _update(sc, pp_id, [{"Key": "owner", "Value": "maria"}])
    assert refused.value.response["Error"]["Code"] == "InvalidParametersException"
    assert "TagUpdateOnProvisionedProduct" in refused.value.response["Error"]["Message"]
    assert _tags_of(sc, pp_id) == {"owner": "dana"}
    assert ProvisionedProduct.objects.get(pp_id=pp_id).status != "UNDER_CHANGE"
    assert not Record.objects.filter(record_type="UPDATE_PROVISIONED_PRODUCT").exists()


def test_tag_updates_are_refused_without_any_resource_update_constraint(
        project_client: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    sc = project_client("servicecatalog")
    pp_id = provision(sc, ProvisionToken="tok-1")["RecordDetail"]["ProvisionedProductId"]
    monkeypatch.setattr("fakeaws.services.sc_provisioning.tag_updates_for", lambda *_: "")
    with pytest.raises(ClientError) as refused:
        _update(sc, pp_id, NEW_TAGS)
    assert refused.value.response["Error"]["Code"] == "InvalidParametersException"
    assert _tags_of(sc, pp_id) == {"portal-environment": "env-1"}


def test_the_same_tags_are_no_tag_update_and_pass_without_the_constraint(
        project_client: Any) -> None:
    sc = project_client("servicecatalog")
    pp_id = _provision_profile(sc)
    record = _update(sc, pp_id, [{"Key": "owner", "Value": "dana"}])["RecordDetail"]
    assert sc.describe_record(Id=record["RecordId"])["RecordDetail"]["Status"] == "SUCCEEDED"


def test_the_launch_path_lists_its_resource_update_constraint(project_client: Any) -> None:
    sc = project_client("servicecatalog")
    [path] = sc.list_launch_paths(ProductId="prod-testnotebook1")["LaunchPathSummaries"]
    assert [c["Type"] for c in path["ConstraintSummaries"]] == ["LAUNCH", "RESOURCE_UPDATE"]
