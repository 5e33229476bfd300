"""The aws implementation, every call checked by botocore's Stubber against the service models."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from portal.aws import session_name_for
from portal.models import Project, User
from provisioning.backends import (
    AccessDenied,
    Invalid,
    NotFound,
    ProvisionOrder,
    RoleUnavailable,
    Tag,
    Throttled,
    Transient,
    aws_session_for,
    backend_for,
)
from provisioning.backends.aws import AwsBackend
from tests.provisioning.conftest import AwsStubs

NOW = datetime(2026, 11, 22, 6, 0, tzinfo=UTC)
TOKEN = "0f8fad5b-d9cb-469f-a165-70867728950e"
ORDER = ProvisionOrder(
    product_id="prod-nb0001", artifact_id="pa-nb0001v1", path_id="lpv3-nb0001",
    name="dana-scientist-notebook-0f8fad5b",
    parameters={"InstanceType": "ml.t3.medium", "RootAccess": "Disabled"},
    tags=[Tag("owner", "AROAEXAMPLE:dana.scientist"), Tag("project", "fraud")],
    token=TOKEN,
)


PROVISION_PARAMS = {
    "ProductId": "prod-nb0001", "ProvisioningArtifactId": "pa-nb0001v1",
    "PathId": "lpv3-nb0001", "ProvisionedProductName": ORDER.name,
    "ProvisioningParameters": [{"Key": "InstanceType", "Value": "ml.t3.medium"},
                               {"Key": "RootAccess", "Value": "Disabled"}],
    "Tags": [{"Key": "owner", "Value": "AROAEXAMPLE:dana.scientist"},
             {"Key": "project", "Value": "fraud"}],
    "ProvisionToken": TOKEN,
}


def record_detail(status: str, **extra: Any) -> dict[str, Any]:
    return {"RecordId": "rec-1", "Status": status, "ProvisionedProductId": "pp-1",
            "ProvisionedProductName": ORDER.name, "CreatedTime": NOW, **extra}


@pytest.fixture
def role_project(project: Project) -> Project:
    project.aws_role_arn = "arn:aws:iam::111111111111:role/PortalProvisioning"
    project.aws_external_id = "ext-fraud-42"
    project.save()
    return project


def test_backend_for_is_the_one_boto3_backend_whatever_the_mode(project: Project,
                                                                 settings: Any) -> None:
    for mode in ("fake", "aws"):
        settings.PORTAL_AWS_MODE = mode
        assert type(backend_for(project)) is AwsBackend


def test_provision_product_sends_name_parameters_tags_path_and_token(
        aws: AwsStubs, project: Project) -> None:
    aws.stub("servicecatalog").add_response(
        "provision_product", {"RecordDetail": record_detail("CREATED")}, PROVISION_PARAMS)
    record = AwsBackend(project=project).provision_product(order=ORDER)
    assert (record.record_id, record.status, record.provisioned_product_id) == (
        "rec-1", "CREATED", "pp-1")


def test_describe_record_follows_page_tokens_for_all_outputs(aws: AwsStubs,
                                                             project: Project) -> None:
    stub = aws.stub("servicecatalog")
    stub.add_response("describe_record", {
        "RecordDetail": record_detail("SUCCEEDED"),
        "RecordOutputs": [{"OutputKey": "NotebookInstanceName", "OutputValue": "nb-1"}],
        "NextPageToken": "page-2",
    }, {"Id": "rec-1", "PageSize": 20})
    stub.add_response("describe_record", {
        "RecordDetail": record_detail("SUCCEEDED"),
        "RecordOutputs": [{"OutputKey": "NotebookInstanceArn", "OutputValue": "arn:nb-1"}],
    }, {"Id": "rec-1", "PageSize": 20, "PageToken": "page-2"})
    record = AwsBackend(project=project).describe_record(record_id="rec-1")
    assert record.finished and record.status == "SUCCEEDED"
    assert record.outputs == {"NotebookInstanceName": "nb-1", "NotebookInstanceArn": "arn:nb-1"}


def test_describe_record_reports_record_errors_of_a_failed_record(aws: AwsStubs,
                                                                   project: Project) -> None:
    aws.stub("servicecatalog").add_response("describe_record", {
        "RecordDetail": record_detail("FAILED", RecordErrors=[
            {"Code": "CREATE_FAILED", "Description": "Subnet has no free addresses"}]),
    }, {"Id": "rec-1", "PageSize": 20})
    record = AwsBackend(project=project).describe_record(record_id="rec-1")
    assert record.errors == ["CREATE_FAILED: Subnet has no free addresses"]


def test_update_and_terminate_send_their_tokens(aws: AwsStubs, project: Project) -> None:
    stub = aws.stub("servicecatalog")
    stub.add_response("update_provisioned_product",
                      {"RecordDetail": record_detail("CREATED", RecordId="rec-2")},
                      {"ProvisionedProductId": "pp-1", "ProductId": "prod-nb0001",
                       "ProvisioningArtifactId": "pa-nb0001v2", "PathId": "lpv3-nb0001",
                       "ProvisioningParameters": [{"Key": "InstanceType",
                                                   "Value": "ml.m5.xlarge"}],
                       "Tags": [{"Key": "owner", "Value": "o"}], "UpdateToken": "upd-1"})
    stub.add_response("terminate_provisioned_product",
                      {"RecordDetail": record_detail("CREATED", RecordId="rec-3")},
                      {"ProvisionedProductId": "pp-1", "TerminateToken": "term-1"})
    backend = AwsBackend(project=project)
    updated = backend.update_provisioned_product(
        provisioned_product_id="pp-1", product_id="prod-nb0001", artifact_id="pa-nb0001v2",
        path_id="lpv3-nb0001", parameters={"InstanceType": "ml.m5.xlarge"},
        tags=[Tag("owner", "o")], token="upd-1")
    terminated = backend.terminate_provisioned_product(provisioned_product_id="pp-1",
                                                       token="term-1")
    assert (updated.record_id, terminated.record_id) == ("rec-2", "rec-3")


def test_describe_and_search_provisioned_products(aws: AwsStubs, project: Project) -> None:
    stub = aws.stub("servicecatalog")
    detail = {"Id": "pp-1", "Name": ORDER.name, "Status": "TAINTED", "StatusMessage": "rolled back",
              "LastRecordId": "rec-2", "ProvisioningArtifactId": "pa-nb0001v1"}
    stub.add_response("describe_provisioned_product", {"ProvisionedProductDetail": detail},
                      {"Id": "pp-1"})
    stub.add_response("search_provisioned_products",
                      {"ProvisionedProducts": [detail], "NextPageToken": "next"},
                      {"AccessLevelFilter": {"Key": "Account", "Value": "self"}, "PageSize": 100,
                       "Filters": {"SearchQuery": ["name:dana"]}})
    stub.add_response("search_provisioned_products",
                      {"ProvisionedProducts": [{**detail, "Id": "pp-2", "Status": "AVAILABLE"}]},
                      {"AccessLevelFilter": {"Key": "Account", "Value": "self"}, "PageSize": 100,
                       "Filters": {"SearchQuery": ["name:dana"]}, "PageToken": "next"})
    backend = AwsBackend(project=project)
    described = backend.describe_provisioned_product(provisioned_product_id="pp-1")
    assert (described.status, described.status_message, described.last_record_id) == (
        "TAINTED", "rolled back", "rec-2")
    found = backend.search_provisioned_products(name_prefix="dana")
    assert [(p.provisioned_product_id, p.status) for p in found] == [
        ("pp-1", "TAINTED"), ("pp-2", "AVAILABLE")]


def test_create_project_sends_service_catalog_details_and_tags(aws: AwsStubs,
                                                               project: Project) -> None:
    stub = aws.stub("sagemaker")
    stub.add_response("create_project", {
        "ProjectArn": "arn:aws:sagemaker:eu-west-1:111111111111:project/dana-0f8fad5b",
        "ProjectId": "p-abc123"}, {
        "ProjectName": "dana-0f8fad5b", "ProjectDescription": "Churn models",
        "ServiceCatalogProvisioningDetails": {
            "ProductId": "prod-nb0001", "ProvisioningArtifactId": "pa-nb0001v1",
            "PathId": "lpv3-nb0001",
            "ProvisioningParameters": [{"Key": "InstanceType", "Value": "ml.t3.medium"},
                                       {"Key": "RootAccess", "Value": "Disabled"}]},
        "Tags": [{"Key": "owner", "Value": "AROAEXAMPLE:dana.scientist"},
                 {"Key": "project", "Value": "fraud"}]})
    stub.add_response("describe_project", {
        "ProjectArn": "arn:aws:sagemaker:eu-west-1:111111111111:project/dana-0f8fad5b",
        "ProjectName": "dana-0f8fad5b", "ProjectId": "p-abc123",
        "ProjectStatus": "CreateCompleted", "CreationTime": NOW,
        "ServiceCatalogProvisioningDetails": {"ProductId": "prod-nb0001"},
        "ServiceCatalogProvisionedProductDetails": {"ProvisionedProductId": "pp-9",
                                                    "ProvisionedProductStatusMessage": "ok"},
    }, {"ProjectName": "dana-0f8fad5b"})
    backend = AwsBackend(project=project)
    created = backend.create_sagemaker_project(project_name="dana-0f8fad5b",
                                               description="Churn models", order=ORDER)
    assert created.project_id == "p-abc123"
    described = backend.describe_sagemaker_project(project_name="dana-0f8fad5b")
    assert described.succeeded and described.provisioned_product_id == "pp-9"


def test_notebook_describe_start_stop_and_presign(aws: AwsStubs, project: Project) -> None:
    stub = aws.stub("sagemaker")
    stub.add_response("describe_notebook_instance",
                      {"NotebookInstanceName": "nb-1", "NotebookInstanceStatus": "Stopped"},
                      {"NotebookInstanceName": "nb-1"})
    stub.add_response("start_notebook_instance", {}, {"NotebookInstanceName": "nb-1"})
    stub.add_response("stop_notebook_instance", {}, {"NotebookInstanceName": "nb-1"})
    stub.add_response("create_presigned_notebook_instance_url",
                      {"AuthorizedUrl": "https://nb-1.notebook.eu-west-1.sagemaker.aws/auth?t=x"},
                      {"NotebookInstanceName": "nb-1", "SessionExpirationDurationInSeconds": 3600})
    stub.add_response("create_presigned_domain_url",
                      {"AuthorizedUrl": "https://d-1.studio.eu-west-1.sagemaker.aws/auth?t=y"},
                      {"DomainId": "d-1", "UserProfileName": "dana", "ExpiresInSeconds": 60,
                       "SessionExpirationDurationInSeconds": 1800})
    backend = AwsBackend(project=project)
    assert backend.notebook_status(notebook_name="nb-1") == "Stopped"
    backend.notebook_start(notebook_name="nb-1")
    backend.notebook_stop(notebook_name="nb-1")
    assert backend.notebook_presigned_url(notebook_name="nb-1", session_seconds=3600,
                                          owner_id="o").endswith("auth?t=x")
    assert backend.studio_presigned_url(domain_id="d-1", user_profile_name="dana",
                                        expires_seconds=60, session_seconds=1800,
                                        owner_id="o").endswith("auth?t=y")


ROLE = "arn:aws:iam::111111111111:role/PortalProvisioning"
LATER = datetime(2099, 1, 1, tzinfo=UTC)


def assume_params(session_name: str, **extra: Any) -> dict[str, Any]:
    return {"RoleArn": ROLE, "RoleSessionName": session_name, "SourceIdentity": session_name,
            "DurationSeconds": 3600, "ExternalId": "ext-fraud-42", **extra}


def credentials(key: str, expires: datetime = LATER) -> dict[str, Any]:
    return {"Credentials": {"AccessKeyId": key, "SecretAccessKey": "secret",
                            "SessionToken": f"token-{key}", "Expiration": expires}}


def test_presign_runs_in_the_acting_persons_named_session_tagged_with_their_owner_id(
        aws: AwsStubs, role_project: Project, scientist: User, settings: Any) -> None:
    settings.PORTAL_LAUNCH_SESSION_TAGS = True
    aws.stub("sts").add_response("assume_role", credentials("ASIATAGGEDEXAMPLE01"), assume_params(
        "dana.scientist", Tags=[{"Key": "owner", "Value": scientist.owner_id}]))
    aws.stub("sagemaker").add_response(
        "create_presigned_notebook_instance_url", {"AuthorizedUrl": "https://nb/auth?t=z"},
        {"NotebookInstanceName": "nb-1", "SessionExpirationDurationInSeconds": 3600})
    backend = backend_for(role_project, actor=scientist, resource_owner=scientist)
    url = backend.notebook_presigned_url(notebook_name="nb-1", session_seconds=3600,
                                         owner_id="ignored: the tag travels in the session")
    assert url == "https://nb/auth?t=z"
    sagemaker_kwargs = [kw for service, kw in aws.created if service == "sagemaker"]
    assert sagemaker_kwargs[-1]["aws_access_key_id"] == "ASIATAGGEDEXAMPLE01"
    assert sagemaker_kwargs[-1]["aws_session_token"] == "token-ASIATAGGEDEXAMPLE01"


def test_an_admin_opening_someone_elses_environment_carries_their_own_owner_tag(
        aws: AwsStubs, role_project: Project, scientist: User, platform_admin: User) -> None:
    # The whitepaper condition sagemaker:ResourceTag/owner == ${aws:PrincipalTag/owner} then
    # denies the admin in AWS: the resource carries the scientist's id, the session the admin's.
    aws.stub("sts").add_response("assume_role", credentials("ASIAADMINEXAMPLE01"), assume_params(
        session_name_for(platform_admin.username),
        Tags=[{"Key": "owner", "Value": platform_admin.owner_id}]))
    aws.stub("sagemaker").add_response("describe_notebook_instance",
                                       {"NotebookInstanceStatus": "InService"},
                                       {"NotebookInstanceName": "nb-1"})
    backend_for(role_project, actor=platform_admin,
                resource_owner=scientist).notebook_status(notebook_name="nb-1")
    assert platform_admin.owner_id != scientist.owner_id


def test_a_configured_admin_role_is_assumed_for_an_admin_acting_on_someone_elses_environment(
        aws: AwsStubs, role_project: Project, scientist: User, platform_admin: User,
        settings: Any) -> None:
    settings.PORTAL_AWS_ADMIN_ROLE_NAME = "PortalAdmin"
    name = session_name_for(platform_admin.username)
    aws.stub("sts").add_response("assume_role", credentials("ASIAADMINROLE00001"), {
        **assume_params(name, Tags=[{"Key": "owner", "Value": platform_admin.owner_id}]),
        "RoleArn": f"arn:aws:iam::{role_project.aws_account_id}:role/PortalAdmin"})
    aws.stub("sagemaker").add_response("describe_notebook_instance",
                                       {"NotebookInstanceStatus": "InService"},
                                       {"NotebookInstanceName": "nb-1"})
    backend_for(role_project, actor=platform_admin,
                resource_owner=scientist).notebook_status(notebook_name="nb-1")
    # …but not for their own environments, nor for a non-admin.
    assert aws_session_for(project=role_project, actor=platform_admin,
                           resource_owner=platform_admin).role_arn == ""
    assert aws_session_for(project=role_project, actor=scientist,
                           resource_owner=platform_admin).role_arn == ""


def test_system_work_runs_in_the_portals_fixed_untagged_session(
        aws: AwsStubs, role_project: Project) -> None:
    aws.stub("sts").add_response("assume_role", credentials("ASIAPLAINEXAMPLE001"),
                                 assume_params("ml-portal-system"))
    aws.stub("sagemaker").add_response("describe_notebook_instance",
                                       {"NotebookInstanceStatus": "InService"},
                                       {"NotebookInstanceName": "nb-1"})
    assert backend_for(role_project).notebook_status(notebook_name="nb-1") == "InService"


def test_assumed_role_credentials_are_reused_until_shortly_before_they_expire(
        aws: AwsStubs, role_project: Project, scientist: User) -> None:
    soon = datetime.now(UTC) + timedelta(minutes=4)  # inside the 5-minute refresh margin
    sts = aws.stub("sts")
    tags = [{"Key": "owner", "Value": scientist.owner_id}]
    sts.add_response("assume_role", credentials("ASIAFIRST000000001", soon),
                     assume_params("dana.scientist", Tags=tags))
    sts.add_response("assume_role", credentials("ASIASECOND00000001"),
                     assume_params("dana.scientist", Tags=tags))
    sts.add_response("assume_role", credentials("ASIASYSTEM00000001"),
                     assume_params("ml-portal-system"))
    sagemaker = aws.stub("sagemaker")
    for _ in range(4):
        sagemaker.add_response("describe_notebook_instance", {"NotebookInstanceStatus": "Stopped"},
                               {"NotebookInstanceName": "nb-1"})

    for actor in (scientist, scientist, scientist, None):  # a fresh backend per task run
        backend_for(role_project, actor=actor).notebook_status(notebook_name="nb-1")

    keys = [kw["aws_access_key_id"] for service, kw in aws.created if service == "sagemaker"]
    # The first credentials were nearly expired: renewed once, then reused; another session
    # name is another cache entry.
    assert keys == ["ASIAFIRST000000001", "ASIASECOND00000001", "ASIASECOND00000001",
                    "ASIASYSTEM00000001"]


def test_session_tags_without_a_project_role_are_refused_before_any_call(
        aws: AwsStubs, project: Project, settings: Any) -> None:
    settings.PORTAL_LAUNCH_SESSION_TAGS = True
    with pytest.raises(Invalid, match="role"):
        AwsBackend(project=project).notebook_presigned_url(notebook_name="nb-1",
                                                           session_seconds=3600, owner_id="o")


def test_an_assume_role_refusal_is_role_unavailable_without_arns_in_the_message(
        aws: AwsStubs, role_project: Project) -> None:
    aws.stub("sts").add_client_error(
        "assume_role", service_error_code="AccessDenied", http_status_code=403,
        service_message=f"User: arn:aws:sts::999999999999:assumed-role/web/i-1 is not "
                        f"authorized to perform: sts:AssumeRole on resource: {ROLE}")
    with pytest.raises(RoleUnavailable) as raised:
        backend_for(role_project).notebook_status(notebook_name="nb-1")
    error = raised.value
    assert (error.operation, error.code) == ("AssumeRole", "AccessDenied")
    assert "arn:" not in error.message and "111111111111" not in error.message
    assert ROLE in error.detail  # admins still see what STS said


def test_a_throttled_assume_role_stays_retryable(aws: AwsStubs, role_project: Project) -> None:
    aws.stub("sts").add_client_error("assume_role", service_error_code="Throttling",
                                     http_status_code=400)
    with pytest.raises(Throttled):
        backend_for(role_project).notebook_status(notebook_name="nb-1")


@pytest.mark.parametrize(("code", "status", "error"), [
    ("ThrottlingException", 400, Throttled),
    ("Throttling", 400, Throttled),
    ("AccessDeniedException", 400, AccessDenied),
    ("ResourceNotFoundException", 400, NotFound),
    ("InvalidParametersException", 400, Invalid),
    ("DuplicateResourceException", 400, Invalid),
    ("InternalFailure", 500, Transient),
])
def test_client_errors_become_domain_errors(aws: AwsStubs, project: Project, code: str,
                                            status: int, error: type[Exception]) -> None:
    aws.stub("servicecatalog").add_client_error(
        "provision_product", service_error_code=code, service_message=f"{code} happened",
        http_status_code=status, expected_params=PROVISION_PARAMS)
    with pytest.raises(error) as raised:
        AwsBackend(project=project).provision_product(order=ORDER)
    assert raised.value.code == code  # type: ignore[attr-defined]


def test_a_missing_notebook_is_not_found(aws: AwsStubs, project: Project) -> None:
    aws.stub("sagemaker").add_client_error(
        "describe_notebook_instance", service_error_code="ValidationException",
        service_message="RecordNotFound", expected_params={"NotebookInstanceName": "nb-1"})
    with pytest.raises(NotFound):
        AwsBackend(project=project).notebook_status(notebook_name="nb-1")


def test_a_refused_assume_role_is_access_denied(aws: AwsStubs, role_project: Project) -> None:
    aws.stub("sts").add_client_error("assume_role", service_error_code="AccessDenied",
                                     service_message="not authorized", http_status_code=403)
    with pytest.raises(AccessDenied):
        AwsBackend(project=role_project).notebook_status(notebook_name="nb-1")
