"""Opening through the aws implementation (Stubber): Studio, AWS's refusals, out-of-band stops,
and the session the presign call runs in (the acting person's, tagged with their owner id)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from django.test import Client

from approvals.models import Request
from catalog.models import Product
from portal.models import AuditEvent, Project, User
from provisioning.models import Environment, EnvironmentEvent
from tests.provisioning.conftest import AwsStubs

pytestmark = pytest.mark.django_db

ROLE = "arn:aws:iam::111111111111:role/PortalProvisioning"
URL = "https://d-1.studio.eu-west-1.sagemaker.aws/auth?token=SECRET"
CREDENTIALS = {"Credentials": {"AccessKeyId": "ASIALAUNCH00000001", "SecretAccessKey": "s",
                               "SessionToken": "t",
                               "Expiration": datetime(2099, 1, 1, tzinfo=UTC)}}


@pytest.fixture
def ready(queued: Environment, aws: AwsStubs) -> Environment:
    """The scientist's notebook, available in AWS (the portal's view of it)."""
    Environment.objects.filter(pk=queued.pk).update(
        status="available", notebook_instance_name="nb-dana", provisioned_product_id="pp-1")
    queued.refresh_from_db()
    return queued


def open_it(client: Client, user: User, environment: Environment) -> Any:
    client.force_login(user)
    return client.post(f"/environments/{environment.pk}/open")


def refusal(reason: str) -> AuditEvent:
    [event] = [e for e in AuditEvent.objects.filter(action="environment.launch_refused")
               if e.data.get("reason") == reason]
    return event


def describe(aws: AwsStubs, status: str) -> None:
    aws.stub("sagemaker").add_response("describe_notebook_instance",
                                       {"NotebookInstanceStatus": status},
                                       {"NotebookInstanceName": "nb-dana"})


def test_a_studio_profile_opens_with_a_presigned_domain_url(
        client: Client, scientist: User, ready: Environment, aws: AwsStubs,
        settings: Any) -> None:
    settings.PORTAL_STUDIO_SESSION_SECONDS = 7200
    settings.PORTAL_STUDIO_URL_EXPIRES_SECONDS = 30
    Environment.objects.filter(pk=ready.pk).update(notebook_instance_name="", domain_id="d-1",
                                                   user_profile_name="dana-profile")
    aws.stub("sagemaker").add_response(
        "create_presigned_domain_url", {"AuthorizedUrl": URL},
        {"DomainId": "d-1", "UserProfileName": "dana-profile", "ExpiresInSeconds": 30,
         "SessionExpirationDurationInSeconds": 7200})
    response = open_it(client, scientist, ready)
    assert response.status_code == 302 and response["Location"] == URL
    launch = AuditEvent.objects.get(action="environment.launch")
    assert launch.data["resource"] == "d-1/dana-profile"
    assert launch.data["session_seconds"] == 7200
    assert "SECRET" not in str(launch.data)


@pytest.mark.parametrize(("code", "http", "status", "reason", "shown"), [
    ("ThrottlingException", 400, 503, "aws_busy", "AWS is busy (ThrottlingException)"),
    ("ServiceUnavailable", 503, 503, "aws_busy", "AWS is busy (ServiceUnavailable)"),
    ("ValidationException", 400, 502, "aws_error", "AWS could not open it"),
    ("AccessDeniedException", 400, 403, "aws_denied", "AWS refused to open it"),
])
def test_aws_refusing_the_presign_call_is_a_clear_audited_answer(
        client: Client, scientist: User, ready: Environment, aws: AwsStubs, code: str,
        http: int, status: int, reason: str, shown: str) -> None:
    describe(aws, "InService")
    detail = "User arn:aws:sts::111111111111:assumed-role/P/s is not allowed"
    aws.stub("sagemaker").add_client_error(
        "create_presigned_notebook_instance_url", service_error_code=code,
        service_message=detail, http_status_code=http)
    response = open_it(client, scientist, ready)
    assert response.status_code == status
    page = response.content.decode()
    assert shown in page
    assert "111111111111" not in page and "arn:aws" not in page
    event = refusal(reason)
    assert event.data["detail"] == detail  # admins see what AWS said
    assert ready.events.filter(kind="launch_refused").exists()


def test_a_notebook_stopped_outside_the_portal_is_recorded_then_started_for_the_launch(
        client: Client, scientist: User, ready: Environment, aws: AwsStubs,
        django_capture_on_commit_callbacks: Any) -> None:
    describe(aws, "Stopped")
    with django_capture_on_commit_callbacks(execute=False):
        response = open_it(client, scientist, ready)
    assert response.status_code == 200
    assert "data-open-when-ready" in response.content.decode()
    ready.refresh_from_db()
    assert ready.status == "starting" and ready.acting_user == scientist
    kinds = list(ready.events.values_list("kind", flat=True))
    assert kinds[-2:] == [EnvironmentEvent.Kind.OUT_OF_BAND, EnvironmentEvent.Kind.START]
    actions = list(AuditEvent.objects.filter(object_id=str(ready.pk)).values_list(
        "action", "data"))
    assert ("environment.out_of_band", {"message": "The notebook was stopped outside the "
                                                   "portal.", "status": "stopped"}) in actions
    assert ("environment.start", {"for": "launch"}) in actions
    assert ready.follow_attempt == 1 and ready.next_check_at is not None


def test_a_notebook_pending_in_aws_is_followed_without_a_start_call(
        client: Client, scientist: User, ready: Environment, aws: AwsStubs,
        django_capture_on_commit_callbacks: Any) -> None:
    describe(aws, "Pending")
    with django_capture_on_commit_callbacks(execute=False):
        response = open_it(client, scientist, ready)
    assert response.status_code == 200
    ready.refresh_from_db()
    assert ready.status == "starting" and ready.acting_user is None
    assert ready.events.last().kind == EnvironmentEvent.Kind.OUT_OF_BAND  # type: ignore[union-attr]
    assert not AuditEvent.objects.filter(action="environment.start").exists()


def test_a_notebook_in_another_state_in_aws_is_refused_as_not_available(
        client: Client, scientist: User, ready: Environment, aws: AwsStubs) -> None:
    describe(aws, "Updating")
    response = open_it(client, scientist, ready)
    assert response.status_code == 409 and "Updating" in response.content.decode()
    refusal("not_available")
    ready.refresh_from_db()
    assert ready.status == "available"


def test_a_kind_with_nothing_to_open_is_refused_before_any_aws_call(
        client: Client, scientist: User, ready: Environment, aws: AwsStubs) -> None:
    Product.objects.filter(pk=ready.product_id).update(kind=Product.Kind.SAGEMAKER_PROJECT)
    Environment.objects.filter(pk=ready.pk).update(notebook_instance_name="",
                                                   sagemaker_project_name="fraud-dana")
    response = open_it(client, scientist, ready)
    assert response.status_code == 409
    assert "nothing to open" in response.content.decode()
    refusal("not_launchable")
    assert aws.created == []  # no client, no AssumeRole


def test_a_role_that_cannot_be_assumed_is_shown_on_the_environment_and_audited(
        client: Client, scientist: User, ready: Environment, aws: AwsStubs,
        project: Project) -> None:
    project.aws_role_arn, project.aws_external_id = ROLE, "ext-42"
    project.save()
    detail = f"User: arn:aws:sts::999999999999:assumed-role/web/i is not authorized: {ROLE}"
    aws.stub("sts").add_client_error("assume_role", service_error_code="AccessDenied",
                                     service_message=detail, http_status_code=403)
    response = open_it(client, scientist, ready)
    assert response.status_code == 503
    page = response.content.decode()
    assert "cannot reach" in page and ROLE not in page and "999999999999" not in page
    assert refusal("aws_unreachable").data["detail"] == detail
    ready.refresh_from_db()
    assert ready.status == "available" and "cannot reach" in ready.status_message
    assert ROLE not in ready.status_message
    unreachable = AuditEvent.objects.get(action="environment.aws_unreachable")
    assert unreachable.data == {"operation": "AssumeRole", "code": "AccessDenied",
                                "detail": detail}


def test_an_admin_allowed_by_the_portal_opens_in_their_own_tagged_session_and_aws_decides(
        client: Client, platform_admin: User, scientist: User, ready: Environment,
        aws: AwsStubs, project: Project, settings: Any) -> None:
    settings.PORTAL_ADMIN_CAN_LAUNCH_ANY = True
    project.aws_role_arn, project.aws_external_id = ROLE, "ext-42"
    project.save()
    name = platform_admin.username
    aws.stub("sts").add_response("assume_role", CREDENTIALS, {
        "RoleArn": ROLE, "RoleSessionName": name, "SourceIdentity": name,
        "DurationSeconds": 3600, "ExternalId": "ext-42",
        "Tags": [{"Key": "owner", "Value": platform_admin.owner_id}]})
    describe(aws, "InService")
    # The owner-tag condition: the resource says the scientist, the session says the admin.
    aws.stub("sagemaker").add_client_error(
        "create_presigned_notebook_instance_url", service_error_code="AccessDeniedException",
        service_message="explicit deny: sagemaker:ResourceTag/owner", http_status_code=400)
    response = open_it(client, platform_admin, ready)
    assert response.status_code == 403
    assert platform_admin.owner_id != scientist.owner_id
    assert refusal("aws_denied").actor == platform_admin


def test_an_approved_change_runs_its_update_in_the_requesters_session(
        ready: Environment, scientist: User, aws: AwsStubs, project: Project,
        django_capture_on_commit_callbacks: Any) -> None:
    from provisioning.follow import environment_follow_run
    from provisioning.lifecycle import environment_update_apply
    from tests.provisioning.conftest import approved_request

    project.aws_role_arn, project.aws_external_id = ROLE, "ext-42"
    project.save()
    request = approved_request(requester=scientist, project=project, product=ready.product,
                               version=ready.version, action=Request.Action.UPDATE,
                               environment_ref=str(ready.pk))
    with django_capture_on_commit_callbacks(execute=False):
        environment_update_apply(request=request)
    ready.refresh_from_db()
    assert ready.status == "updating" and ready.acting_user == scientist
    name = scientist.username
    aws.stub("sts").add_response("assume_role", CREDENTIALS, {
        "RoleArn": ROLE, "RoleSessionName": name, "SourceIdentity": name,
        "DurationSeconds": 3600, "ExternalId": "ext-42",
        "Tags": [{"Key": "owner", "Value": scientist.owner_id}]})
    record = {"RecordDetail": {"RecordId": "rec-u", "Status": "CREATED",
                               "ProvisionedProductId": "pp-1"}}
    aws.stub("servicecatalog").add_response("update_provisioned_product", record)
    aws.stub("sts").add_response("assume_role", CREDENTIALS, {
        "RoleArn": ROLE, "RoleSessionName": "ml-portal-system",
        "SourceIdentity": "ml-portal-system", "DurationSeconds": 3600, "ExternalId": "ext-42"})
    aws.stub("servicecatalog").add_response(
        "describe_record", {"RecordDetail": {**record["RecordDetail"], "Status": "SUCCEEDED"}})
    with django_capture_on_commit_callbacks(execute=False):
        environment_follow_run(environment_id=ready.pk, attempt=ready.follow_attempt)
    ready.refresh_from_db()
    assert ready.status == "available" and ready.acting_user is None
