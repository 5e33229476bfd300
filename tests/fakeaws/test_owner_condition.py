"""IAM-lite: the owner condition allows the owner's session and denies everyone else's."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

from fakeaws.baseline import baseline_for
from fakeaws.identity import role_id
from tests.fakeaws.conftest import PROJECT_ACCOUNT, REGION, client

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("test_catalog")]
DANA = "AROAEXAMPLE:dana.scientist"


def _provision(sc: Any, owner: str) -> str:
    record = sc.provision_product(
        ProductId="prod-testnotebook1", ProvisioningArtifactId="pa-testnotebook1v1",
        ProvisionedProductName="nb-dana",
        ProvisioningParameters=[{"Key": "NotebookInstanceName", "Value": "dana-nb"}],
        Tags=[{"Key": "owner", "Value": owner}])["RecordDetail"]
    sc.describe_record(Id=record["RecordId"])
    return str(record["ProvisionedProductId"])


def _denied(call: Any) -> str:
    with pytest.raises(ClientError) as caught:
        call()
    assert caught.value.response["Error"]["Code"] == "AccessDeniedException"
    return str(caught.value.response["Error"]["Message"])


def test_principal_tag_mode_allows_the_owner_only(project_client: Any, settings: Any) -> None:
    settings.FAKEAWS_OWNER_CONDITION = {PROJECT_ACCOUNT: ["owner", "principal-tag"]}
    dana = {"session_name": "dana.scientist", "tags": {"owner": DANA}}
    pp_id = _provision(project_client("servicecatalog", **dana), DANA)
    colin_sm = project_client("sagemaker", session_name="colin.colleague",
                              tags={"owner": "AROAEXAMPLE:colin.colleague"})
    message = _denied(lambda: colin_sm.stop_notebook_instance(NotebookInstanceName="dana-nb"))
    assert message.startswith(f"User: arn:aws:sts::{PROJECT_ACCOUNT}:assumed-role/"
                              "ml-portal-provisioning/colin.colleague is not authorized to "
                              "perform: sagemaker:StopNotebookInstance on resource: ")
    _denied(lambda: colin_sm.create_presigned_notebook_instance_url(
        NotebookInstanceName="dana-nb"))
    untagged = project_client("sagemaker", session_name="admin.person")
    _denied(lambda: untagged.stop_notebook_instance(NotebookInstanceName="dana-nb"))
    colin_sc = project_client("servicecatalog", session_name="colin.colleague",
                              tags={"owner": "AROAEXAMPLE:colin.colleague"})
    _denied(lambda: colin_sc.terminate_provisioned_product(ProvisionedProductId=pp_id))
    dana_sm = project_client("sagemaker", **dana)
    dana_sm.create_presigned_notebook_instance_url(NotebookInstanceName="dana-nb")
    dana_sm.stop_notebook_instance(NotebookInstanceName="dana-nb")
    project_client("servicecatalog", **dana).terminate_provisioned_product(
        ProvisionedProductId=pp_id)


def test_userid_mode_compares_role_id_and_session_name(project_client: Any,
                                                        settings: Any) -> None:
    settings.FAKEAWS_OWNER_CONDITION = {PROJECT_ACCOUNT: ["owner", "userid"]}
    rid = role_id(f"arn:aws:iam::{PROJECT_ACCOUNT}:role/ml-portal-provisioning")
    _provision(project_client("servicecatalog"), f"{rid}:dana.scientist")
    other = project_client("sagemaker", session_name="colin.colleague")
    _denied(lambda: other.stop_notebook_instance(NotebookInstanceName="dana-nb"))
    project_client("sagemaker", session_name="dana.scientist").stop_notebook_instance(
        NotebookInstanceName="dana-nb")


def test_without_the_setting_nothing_is_enforced(project_client: Any) -> None:
    _provision(project_client("servicecatalog"), DANA)
    project_client("sagemaker", session_name="colin.colleague").stop_notebook_instance(
        NotebookInstanceName="dana-nb")


def test_the_principal_tag_key_matches_in_any_case_the_value_exactly(
        project_client: Any, settings: Any) -> None:
    # IAM: condition key names (aws:PrincipalTag/<key> included) are not case-sensitive;
    # StringEquals compares the values exactly.
    settings.FAKEAWS_OWNER_CONDITION = {PROJECT_ACCOUNT: ["owner", "principal-tag"]}
    _provision(project_client("servicecatalog", tags={"owner": DANA}), DANA)
    project_client("sagemaker", tags={"Owner": DANA}).stop_notebook_instance(
        NotebookInstanceName="dana-nb")
    shouting = project_client("sagemaker", tags={"owner": DANA.upper()})
    _denied(lambda: shouting.start_notebook_instance(NotebookInstanceName="dana-nb"))


def test_the_admin_role_is_trusted_only_when_configured_and_is_not_under_the_condition(
        settings: Any, project_client: Any) -> None:
    settings.FAKEAWS_OWNER_CONDITION = {PROJECT_ACCOUNT: ["owner", "principal-tag"]}
    _provision(project_client("servicecatalog", tags={"owner": DANA}), DANA)
    base = baseline_for(account=PROJECT_ACCOUNT, region=REGION)
    admin = {"RoleArn": f"arn:aws:iam::{PROJECT_ACCOUNT}:role/PortalAdmin",
             "RoleSessionName": "pat.admin", "ExternalId": base.project_role_external_id,
             "Tags": [{"Key": "owner", "Value": "AROAEXAMPLE:pat.admin"}]}
    with pytest.raises(ClientError) as caught:
        client("sts").assume_role(**admin)
    assert caught.value.response["Error"]["Code"] == "AccessDenied"
    settings.FAKEAWS_ADMIN_ROLE_NAME = "PortalAdmin"
    with pytest.raises(ClientError):
        client("sts").assume_role(**{**admin, "ExternalId": "wrong"})
    c = client("sts").assume_role(**admin)["Credentials"]
    sm = client("sagemaker", credentials={
        "aws_access_key_id": c["AccessKeyId"], "aws_secret_access_key": c["SecretAccessKey"],
        "aws_session_token": c["SessionToken"]})
    sm.stop_notebook_instance(NotebookInstanceName="dana-nb")
