"""Edges of the provision run and the follow-up that the main journeys do not reach."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from approvals.models import Request
from portal.models import AuditEvent, Project, User
from provisioning.backends import Throttled
from provisioning.follow import environment_follow_run
from provisioning.lifecycle import environment_terminate, environment_update_apply
from provisioning.models import Environment
from provisioning.provision_run import environment_provision_run
from provisioning.services import environment_provision
from tests.provisioning.conftest import AwsStubs, approved_request, make_notebook_product

pytestmark = pytest.mark.django_db
Status = Environment.Status
MISSING = "Project fraud-dana does not exist"


@pytest.fixture
def sagemaker_project(scientist: User, project: Project,
                      django_capture_on_commit_callbacks: Any) -> Environment:
    product, version = make_notebook_product(project, kind="sagemaker_project",
                                             product_id="prod-mlops02")
    request = approved_request(requester=scientist, project=project, product=product,
                               version=version, tag_choices={},
                               parameters={"Stage": "dev"})
    with django_capture_on_commit_callbacks(execute=False):
        environment = environment_provision(request=request)
    assert environment is not None
    return environment


def described(status: str, **extra: Any) -> dict[str, Any]:
    return {"ProjectArn": "arn:aws:sagemaker:eu-west-1:111111111111:project/fraud-dana",
            "ProjectName": "fraud-dana", "ProjectId": "p-fd1", "ProjectStatus": status,
            "CreationTime": timezone.now(),
            "ServiceCatalogProvisioningDetails": {"ProductId": "prod-mlops02"}, **extra}


def follow(environment: Environment, capture: Any) -> Environment:
    environment.refresh_from_db()
    with capture(execute=False):
        environment_follow_run(environment_id=environment.pk,
                               attempt=environment.follow_attempt)
    environment.refresh_from_db()
    return environment


def test_a_project_created_by_a_concurrent_attempt_is_adopted(
        aws: AwsStubs, sagemaker_project: Environment) -> None:
    stub = aws.stub("sagemaker")
    stub.add_client_error("describe_project", service_error_code="ValidationException",
                          service_message=MISSING)
    stub.add_client_error("create_project", service_error_code="ValidationException",
                          service_message="Project fraud-dana already exists")
    stub.add_response("describe_project", described("CreateInProgress"))
    # Adopted only because its portal-environment tag names this environment (ListTags).
    stub.add_response("list_tags", {"Tags": [
        {"Key": "portal-environment", "Value": str(sagemaker_project.pk)}]},
        {"ResourceArn": described("")["ProjectArn"], "MaxResults": 100})
    assert environment_provision_run(environment_id=sagemaker_project.pk) == "provisioning"
    sagemaker_project.refresh_from_db()
    assert sagemaker_project.status == Status.PROVISIONING
    assert sagemaker_project.sagemaker_project_id == "p-fd1"


@pytest.mark.parametrize("tags", [
    [{"Key": "portal-environment", "Value": "3f1e0c52-0000-4000-8000-000000000000"}],
    [{"Key": "owner", "Value": "dana"}],
    [],
])
def test_a_project_of_the_same_name_that_is_not_this_environments_is_refused_not_adopted(
        aws: AwsStubs, sagemaker_project: Environment, tags: list[dict[str, str]]) -> None:
    stub = aws.stub("sagemaker")
    stub.add_response("describe_project", described("CreateCompleted"))
    stub.add_response("list_tags", {"Tags": tags})
    assert environment_provision_run(environment_id=sagemaker_project.pk) == "failed"
    sagemaker_project.refresh_from_db()
    assert sagemaker_project.status == Status.FAILED
    assert sagemaker_project.sagemaker_project_id == ""
    assert sagemaker_project.status_message == (
        f"The SageMaker project name {sagemaker_project.sagemaker_project_name} is already "
        "taken in the project's AWS account by a project that is not this environment's. "
        "Nothing was created or changed; request a new environment to get another name.")


def test_a_refused_create_project_fails_with_the_create_error(
        aws: AwsStubs, sagemaker_project: Environment) -> None:
    stub = aws.stub("sagemaker")
    stub.add_client_error("describe_project", service_error_code="ValidationException",
                          service_message=MISSING)
    stub.add_client_error("create_project", service_error_code="ValidationException",
                          service_message="Stage must be one of dev, prod")
    stub.add_client_error("describe_project", service_error_code="ValidationException",
                          service_message=MISSING)
    assert environment_provision_run(environment_id=sagemaker_project.pk) == "failed"
    sagemaker_project.refresh_from_db()
    assert sagemaker_project.status == Status.FAILED
    assert sagemaker_project.status_message == (
        "CreateProject refused: ValidationException: Stage must be one of dev, prod")


def test_a_throttled_create_project_stays_queued_for_the_task_to_retry(
        aws: AwsStubs, sagemaker_project: Environment) -> None:
    stub = aws.stub("sagemaker")
    stub.add_client_error("describe_project", service_error_code="ValidationException",
                          service_message=MISSING)
    stub.add_client_error("create_project", service_error_code="ThrottlingException")
    with pytest.raises(Throttled):
        environment_provision_run(environment_id=sagemaker_project.pk)
    sagemaker_project.refresh_from_db()
    assert sagemaker_project.status == Status.QUEUED
    assert sagemaker_project.events.filter(kind="retry").count() == 1


def test_a_project_sagemaker_failed_to_create_fails_the_environment_with_its_reason(
        aws: AwsStubs, sagemaker_project: Environment,
        django_capture_on_commit_callbacks: Any) -> None:
    stub = aws.stub("sagemaker")
    stub.add_response("describe_project", described("CreateInProgress"))
    stub.add_response("list_tags", {"Tags": [
        {"Key": "portal-environment", "Value": str(sagemaker_project.pk)}]})
    with django_capture_on_commit_callbacks(execute=False):
        environment_provision_run(environment_id=sagemaker_project.pk)
    stub.add_response("describe_project", described("CreateFailed",
                      ServiceCatalogProvisionedProductDetails={
                          "ProvisionedProductId": "pp-fd",
                          "ProvisionedProductStatusMessage": "Pipeline role missing"}))
    environment = follow(sagemaker_project, django_capture_on_commit_callbacks)
    assert environment.status == Status.FAILED
    assert environment.status_message == "Pipeline role missing"
    assert environment.provisioned_product_id == "pp-fd"
    failed = AuditEvent.objects.get(action="environment.failed")
    assert failed.data["message"] == "Pipeline role missing"


def test_the_provision_run_skips_what_is_gone_or_no_longer_queued(
        queued: Environment) -> None:
    assert environment_provision_run(environment_id=uuid.uuid4()) == "missing"
    Environment.objects.filter(pk=queued.pk).update(status=Status.TERMINATED)
    assert environment_provision_run(environment_id=queued.pk) == "skipped"


def test_a_change_aws_cannot_find_the_product_for_is_rolled_back_with_the_reason(
        queued: Environment, aws: AwsStubs, scientist: User, project: Project,
        django_capture_on_commit_callbacks: Any) -> None:
    Environment.objects.filter(pk=queued.pk).update(status=Status.AVAILABLE,
                                                   provisioned_product_id="pp-1")
    request = approved_request(requester=scientist, project=project, product=queued.product,
                               version=queued.version, action=Request.Action.UPDATE,
                               environment_ref=str(queued.pk))
    with django_capture_on_commit_callbacks(execute=False):
        environment_update_apply(request=request)
    aws.stub("servicecatalog").add_client_error(
        "update_provisioned_product", service_error_code="ResourceNotFoundException",
        service_message="Provisioned product pp-1 not found")
    environment = follow(queued, django_capture_on_commit_callbacks)
    assert environment.status == Status.AVAILABLE and environment.pending_request is None
    assert environment.status_message == (
        "The change failed and was rolled back: UpdateProvisionedProduct: "
        "ResourceNotFoundException: Provisioned product pp-1 not found")
    assert AuditEvent.objects.get(action="environment.update_failed").data["message"].startswith(
        "UpdateProvisionedProduct")


def test_terminating_a_product_aws_no_longer_has_ends_terminated(
        queued: Environment, aws: AwsStubs, scientist: User,
        django_capture_on_commit_callbacks: Any) -> None:
    Environment.objects.filter(pk=queued.pk).update(status=Status.AVAILABLE,
                                                   provisioned_product_id="pp-1")
    queued.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=False):
        environment_terminate(environment=queued, user=scientist, confirm=True)
    aws.stub("servicecatalog").add_client_error(
        "terminate_provisioned_product", service_error_code="ResourceNotFoundException",
        service_message="gone")
    environment = follow(queued, django_capture_on_commit_callbacks)
    assert environment.status == Status.TERMINATED and environment.terminated_at is not None
    assert AuditEvent.objects.filter(action="environment.terminated").count() == 1


def test_opening_a_starting_notebook_waits_without_asking_aws(
        client: Client, scientist: User, queued: Environment, aws: AwsStubs) -> None:
    Environment.objects.filter(pk=queued.pk).update(status=Status.STARTING,
                                                   notebook_instance_name="nb-1")
    client.force_login(scientist)
    response = client.post(f"/environments/{queued.pk}/open")
    assert response.status_code == 200
    assert "data-open-when-ready" in response.content.decode()
    assert aws.created == []


@pytest.mark.parametrize(("status", "action"), [(Status.STARTING, "start"),
                                                (Status.STOPPING, "stop")])
def test_a_notebook_that_goes_failed_in_aws_while_starting_or_stopping_fails(
        queued: Environment, aws: AwsStubs, status: str, action: str,
        django_capture_on_commit_callbacks: Any) -> None:
    Environment.objects.filter(pk=queued.pk).update(
        status=status, notebook_instance_name="nb-1", provisioned_product_id="pp-1",
        follow_started_at=timezone.now(), follow_attempt=1)
    aws.stub("sagemaker").add_response("describe_notebook_instance",
                                       {"NotebookInstanceStatus": "Failed"},
                                       {"NotebookInstanceName": "nb-1"})
    environment = follow(queued, django_capture_on_commit_callbacks)
    assert environment.status == Status.FAILED
    assert environment.status_message == "The notebook instance is Failed in AWS."


def test_parameters_are_sent_in_the_templates_order_not_alphabetically(
        queued: Environment, aws: AwsStubs) -> None:
    from catalog.models import ParameterSpec

    for position, key in enumerate(("VolumeSizeInGB", "RootAccess", "NotebookInstanceName",
                                    "InstanceType")):
        ParameterSpec.objects.create(version=queued.version, key=key, position=position)
    aws.stub("servicecatalog").add_response("provision_product", {"RecordDetail": {
        "RecordId": "rec-1", "Status": "CREATED", "ProvisionedProductId": "pp-1"}})
    sent: list[dict[str, Any]] = []
    aws.clients["servicecatalog"].meta.events.register(
        "provide-client-params.servicecatalog.ProvisionProduct",
        lambda params, **_: sent.append(dict(params)))
    environment_provision_run(environment_id=queued.pk)
    assert [p["Key"] for p in sent[0]["ProvisioningParameters"]] == [
        "VolumeSizeInGB", "RootAccess", "NotebookInstanceName", "InstanceType"]


def test_a_failed_change_shows_aws_errors_without_role_arns_or_account_ids(
        queued: Environment, aws: AwsStubs, scientist: User, project: Project,
        django_capture_on_commit_callbacks: Any) -> None:
    from django.core import mail

    Environment.objects.filter(pk=queued.pk).update(status=Status.AVAILABLE,
                                                   provisioned_product_id="pp-1")
    request = approved_request(requester=scientist, project=project, product=queued.product,
                               version=queued.version, action=Request.Action.UPDATE,
                               environment_ref=str(queued.pk))
    with django_capture_on_commit_callbacks(execute=False):
        environment_update_apply(request=request)
    detail = "arn:aws:iam::111111111111:role/Launch is not authorized to perform iam:PassRole"
    aws.stub("servicecatalog").add_client_error(
        "update_provisioned_product", service_error_code="InvalidParametersException",
        service_message=detail)
    queued.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True):  # the owner's e-mail is sent on commit
        environment_follow_run(environment_id=queued.pk, attempt=queued.follow_attempt)
    environment = Environment.objects.get(pk=queued.pk)
    assert environment.status == Status.AVAILABLE
    assert "not authorized to perform iam:PassRole" in environment.status_message
    assert "arn:aws" not in environment.status_message
    assert "111111111111" not in environment.status_message
    assert "111111111111" not in mail.outbox[-1].body
    audited = AuditEvent.objects.get(action="environment.update_failed")
    assert "111111111111" in audited.data["message"]  # admins see AWS's own text


def test_termination_is_recorded_on_the_timeline_and_audited(
        queued: Environment, aws: AwsStubs, scientist: User,
        django_capture_on_commit_callbacks: Any) -> None:
    Environment.objects.filter(pk=queued.pk).update(status=Status.AVAILABLE,
                                                   provisioned_product_id="pp-1")
    queued.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=False):
        environment_terminate(environment=queued, user=scientist, confirm=True)
    record = {"RecordId": "rec-t", "Status": "CREATED", "ProvisionedProductId": "pp-1"}
    catalog = aws.stub("servicecatalog")
    catalog.add_response("terminate_provisioned_product", {"RecordDetail": record})
    catalog.add_response("describe_record", {"RecordDetail": {**record, "Status": "SUCCEEDED"}})
    environment = follow(queued, django_capture_on_commit_callbacks)
    assert environment.status == Status.TERMINATED
    assert environment.events.last().message == "Terminated in AWS."  # type: ignore[union-attr]
    assert AuditEvent.objects.filter(action="environment.terminated",
                                     object_id=str(queued.pk)).count() == 1


def test_a_check_superseded_while_aws_answered_changes_nothing(
        queued: Environment, aws: AwsStubs, django_capture_on_commit_callbacks: Any) -> None:
    Environment.objects.filter(pk=queued.pk).update(
        status=Status.PROVISIONING, last_record_id="rec-1", provisioned_product_id="pp-1",
        follow_started_at=timezone.now(), follow_attempt=1)
    catalog = aws.stub("servicecatalog")
    catalog.add_response("describe_record", {"RecordDetail": {
        "RecordId": "rec-1", "Status": "SUCCEEDED", "ProvisionedProductId": "pp-1"}})
    # The sweeper re-dispatches (a newer attempt) while this check waits for AWS.
    aws.clients["servicecatalog"].meta.events.register(
        "after-call.servicecatalog.DescribeRecord",
        lambda **_: Environment.objects.filter(pk=queued.pk).update(follow_attempt=2))
    with django_capture_on_commit_callbacks(execute=False):
        outcome = environment_follow_run(environment_id=queued.pk, attempt=1)
    assert outcome.result == "stale"
    queued.refresh_from_db()
    assert queued.status == Status.PROVISIONING and queued.follow_attempt == 2


def test_a_timed_out_provisioning_tells_the_owner_it_timed_out(
        queued: Environment, aws: AwsStubs, settings: Any,
        django_capture_on_commit_callbacks: Any) -> None:
    from django.core import mail

    settings.PORTAL_PROVISION_TIMEOUT_SECONDS = 600
    Environment.objects.filter(pk=queued.pk).update(
        status=Status.PROVISIONING, last_record_id="rec-1", provisioned_product_id="pp-1",
        follow_started_at=timezone.now() - timedelta(seconds=601), follow_attempt=1)
    aws.stub("servicecatalog").add_response("describe_record", {"RecordDetail": {
        "RecordId": "rec-1", "Status": "IN_PROGRESS", "ProvisionedProductId": "pp-1"}})
    with django_capture_on_commit_callbacks(execute=True):  # the owner's e-mail is sent on commit
        environment_follow_run(environment_id=queued.pk, attempt=1)
    environment = Environment.objects.get(pk=queued.pk)
    assert environment.status == Status.FAILED
    assert mail.outbox[-1].subject == "[ML portal] Timed out: SageMaker notebook instance"


def test_a_broker_outage_at_hand_off_does_not_break_the_approval(
        scientist: User, project: Project, notebook: Any, monkeypatch: pytest.MonkeyPatch,
        django_capture_on_commit_callbacks: Any) -> None:
    from provisioning.tasks import environment_provision_task

    def broker_down(*args: Any, **kwargs: Any) -> None:
        raise ConnectionError("broker down")

    monkeypatch.setattr(environment_provision_task, "apply_async", broker_down)
    product, version = notebook
    request = approved_request(requester=scientist, project=project, product=product,
                               version=version)
    with django_capture_on_commit_callbacks(execute=True):
        environment = environment_provision(request=request)
    assert environment is not None and environment.status == Status.QUEUED
    assert environment.dispatched_at is not None  # the sweeper re-dispatches it later
