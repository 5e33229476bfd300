"""The provision task's work and the follow-up, on the fake AWS and through stubbed AWS."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.core import mail
from django.utils import timezone

from fakeaws import faults
from fakeaws.models import ProvisionedProduct
from portal.models import Project, User
from provisioning.backends import Throttled, backend_for
from provisioning.follow import environment_follow_run
from provisioning.models import Environment
from provisioning.provision_run import environment_provision_run
from provisioning.services import environment_provision, environment_tags
from tests.provisioning.conftest import AwsStubs, SentTasks, approved_request, run_until_settled

pytestmark = pytest.mark.django_db
Status = Environment.Status


def record(status: str, *, errors: list[dict[str, str]] | None = None) -> dict[str, Any]:
    return {"RecordId": "rec-1", "Status": status, "ProvisionedProductId": "pp-1",
            "RecordErrors": errors or []}


def expect_provision(aws: AwsStubs, environment: Environment) -> None:
    tags = [{"Key": t["Key"], "Value": t["Value"]} for t in expected_tags(environment)]
    aws.stub("servicecatalog").add_response(
        "provision_product", {"RecordDetail": record("CREATED")},
        {"ProductId": "prod-nb0001", "ProvisioningArtifactId": "pa-nb0001v1",
         "PathId": "lpv3-nb0001", "ProvisionedProductName": environment.provisioned_product_name,
         "ProvisioningParameters": [  # no ParameterSpecs in this test: by key
             {"Key": "InstanceType", "Value": "ml.t3.medium"},
             {"Key": "NotebookInstanceName", "Value": environment.provisioned_product_name},
             {"Key": "RootAccess", "Value": "Disabled"},
             {"Key": "VolumeSizeInGB", "Value": "20"}],
         "Tags": tags, "ProvisionToken": str(environment.origin_request_id)})


def expected_tags(environment: Environment) -> list[dict[str, str]]:
    return [
        {"Key": "owner", "Value": "AROAEXAMPLEDATASCIENTIST:dana.scientist"},
        {"Key": "owner-name", "Value": "Dana Example"},
        {"Key": "owner-email", "Value": "dana.scientist@bank.example"},
        {"Key": "department", "Value": "Data Science"},
        {"Key": "cost-center", "Value": "CC-1001"},
        {"Key": "project", "Value": "fraud"},
        {"Key": "environment", "Value": "dev"},
        {"Key": "portal-request", "Value": str(environment.origin_request_id)},
        {"Key": "portal-environment", "Value": str(environment.pk)},
        {"Key": "data-classification", "Value": "internal"},
    ]


def describe(aws: AwsStubs, status: str, *, outputs: list[dict[str, str]] | None = None,
             errors: list[dict[str, str]] | None = None) -> None:
    aws.stub("servicecatalog").add_response(
        "describe_record",
        {"RecordDetail": record(status, errors=errors), "RecordOutputs": outputs or []},
        {"Id": "rec-1", "PageSize": 20})


def follow(environment: Environment) -> Environment:
    environment.refresh_from_db()
    environment_follow_run(environment_id=environment.pk, attempt=environment.follow_attempt)
    environment.refresh_from_db()
    return environment


# --- on the fake AWS (the one boto3 backend) -----------------------------------------------------

def test_the_fake_aws_provisions_a_notebook_and_the_owner_is_told(
        queued: Environment, django_capture_on_commit_callbacks: Any) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        environment = run_until_settled(queued)
    assert environment.status == Status.AVAILABLE
    assert environment.notebook_instance_name == environment.provisioned_product_name
    assert environment.outputs["NotebookInstanceName"] == environment.provisioned_product_name
    assert [t["Key"] for t in environment.tags] == [t["Key"] for t in expected_tags(environment)]
    assert [m.to for m in mail.outbox] == [["dana.scientist@bank.example"]]
    assert "Ready" in mail.outbox[0].subject
    kinds = list(environment.events.values_list("kind", flat=True))
    assert kinds == ["created", "lease", "dispatched", "available"]


def test_a_stack_that_fails_in_aws_fails_the_notebook_and_the_owner_is_told_why(
        queued: Environment, django_capture_on_commit_callbacks: Any) -> None:
    faults.fail_next_stack(message="No capacity for ml.t3.medium in eu-west-1a")
    with django_capture_on_commit_callbacks(execute=True):
        environment = run_until_settled(queued)
    assert environment.status == Status.FAILED
    assert "No capacity for ml.t3.medium" in environment.status_message
    assert "failed" in mail.outbox[0].subject.lower()
    assert "No capacity for ml.t3.medium" in mail.outbox[0].body


def test_a_value_the_template_refuses_fails_the_provisioning_with_aws_reason(
        scientist: User, project: Project, notebook: Any,
        django_capture_on_commit_callbacks: Any) -> None:
    product, version = notebook
    request = approved_request(requester=scientist, project=project, product=product,
                               version=version, parameters={"VolumeSizeInGB": "200"})
    with django_capture_on_commit_callbacks(execute=True):
        environment = run_until_settled(environment_provision(request=request))
    assert environment.status == Status.FAILED
    assert "VolumeSizeInGB" in environment.status_message
    assert not ProvisionedProduct.objects.filter(terminated=False, status="AVAILABLE").exists()


def test_running_the_provision_task_twice_provisions_once(queued: Environment,
                                                          sent_tasks: SentTasks) -> None:
    assert environment_provision_run(environment_id=queued.pk) == "provisioning"
    assert environment_provision_run(environment_id=queued.pk) == "skipped"
    assert ProvisionedProduct.objects.count() == 1


def test_a_crash_after_provision_product_is_repaired_by_the_same_token(
        queued: Environment) -> None:
    """A worker killed after AWS accepted the call but before the portal saved it: the message is
    delivered again and the same ProvisionToken returns the same record."""
    from provisioning.backends import ProvisionOrder, Tag

    first = backend_for(queued.project).provision_product(order=ProvisionOrder(
        product_id="prod-nb0001", artifact_id="pa-nb0001v1", path_id="lpv3-nb0001",
        name=queued.provisioned_product_name,
        parameters={"NotebookInstanceName": queued.provisioned_product_name},
        tags=[Tag("owner", "x")], token=str(queued.origin_request_id)))
    environment = run_until_settled(queued)
    assert environment.status == Status.AVAILABLE
    assert environment.provisioned_product_id == first.provisioned_product_id
    assert ProvisionedProduct.objects.count() == 1


def test_a_stale_follow_up_does_nothing(queued: Environment, sent_tasks: SentTasks) -> None:
    environment_provision_run(environment_id=queued.pk)
    queued.refresh_from_db()
    outcome = environment_follow_run(environment_id=queued.pk, attempt=queued.follow_attempt - 1)
    assert outcome.result == "stale"
    queued.refresh_from_db()
    assert queued.status == Status.PROVISIONING


def test_follow_ups_back_off_from_5_seconds_doubling_to_a_60_second_cap(
        queued: Environment, settings: Any, sent_tasks: SentTasks,
        django_capture_on_commit_callbacks: Any) -> None:
    settings.FAKEAWS_OPERATION_SECONDS = 3600
    with django_capture_on_commit_callbacks(execute=True):
        environment_provision_run(environment_id=queued.pk)
        for _ in range(6):
            follow(queued)
    delays = [countdown for name, _, countdown in sent_tasks.calls
              if name.endswith("environment_follow_task")]
    bases = [5, 10, 20, 40, 60, 60, 60]
    assert len(delays) == len(bases)
    for delay, base in zip(delays, bases, strict=True):
        assert delay is not None and base * 1.1 <= delay <= base * 1.3


def test_tags_that_break_aws_rules_fail_with_a_clear_message(
        scientist: User, project: Project, notebook: Any) -> None:
    product, version = notebook
    request = approved_request(requester=scientist, project=project, product=product,
                               version=version, tag_choices={"data-classification": "secret!"})
    environment = run_until_settled(environment_provision(request=request))
    assert environment.status == Status.FAILED
    assert "data-classification" in environment.status_message
    assert not ProvisionedProduct.objects.exists()


def test_the_tag_set_has_every_portal_tag_with_configurable_keys(
        queued: Environment, settings: Any) -> None:
    settings.PORTAL_TAG_KEYS = {**settings.PORTAL_TAG_KEYS, "owner": "OwnerId",
                                "cost-center": "CostCenter"}
    tags = environment_tags(environment=queued, request=queued.origin_request)
    keys = [t.key for t in tags]
    assert keys[:2] == ["OwnerId", "owner-name"] and "CostCenter" in keys


# --- through AWS (Stubber) ----------------------------------------------------------------------

def test_aws_provisioning_sends_the_tag_set_and_follows_describe_record_to_success(
        aws: AwsStubs, queued: Environment, django_capture_on_commit_callbacks: Any) -> None:
    expect_provision(aws, queued)
    describe(aws, "IN_PROGRESS")
    describe(aws, "SUCCEEDED", outputs=[
        {"OutputKey": "NotebookInstanceName", "OutputValue": "nb-from-stack"},
        {"OutputKey": "NotebookInstanceArn", "OutputValue": "arn:aws:sagemaker:nb"}])
    with django_capture_on_commit_callbacks(execute=True):
        environment = run_until_settled(queued)
    assert environment.status == Status.AVAILABLE
    assert environment.provisioned_product_id == "pp-1" and environment.last_record_id == "rec-1"
    assert environment.notebook_instance_name == "nb-from-stack"
    assert environment.outputs["NotebookInstanceArn"] == "arn:aws:sagemaker:nb"
    assert mail.outbox and "Ready" in mail.outbox[0].subject


def test_throttling_keeps_the_environment_queued_for_a_retry(
        aws: AwsStubs, queued: Environment) -> None:
    aws.stub("servicecatalog").add_client_error(
        "provision_product", service_error_code="ThrottlingException",
        service_message="Rate exceeded", http_status_code=400)
    with pytest.raises(Throttled):
        environment_provision_run(environment_id=queued.pk)
    queued.refresh_from_db()
    assert queued.status == Status.QUEUED
    assert queued.events.filter(kind="retry").exists()
    expect_provision(aws, queued)  # the retry goes through with the same token
    assert environment_provision_run(environment_id=queued.pk) == "provisioning"


def test_the_provision_task_retries_a_throttled_call_later(
        aws: AwsStubs, queued: Environment, monkeypatch: pytest.MonkeyPatch) -> None:
    from celery.exceptions import Retry

    from provisioning.tasks import environment_provision_task

    aws.stub("servicecatalog").add_client_error(
        "provision_product", service_error_code="Throttling", service_message="Rate exceeded")
    retried: list[float] = []

    def retry(*, exc: Exception, countdown: float) -> Retry:
        retried.append(countdown)
        return Retry(exc=exc)

    monkeypatch.setattr(environment_provision_task, "retry", retry)
    with pytest.raises(Retry):
        environment_provision_task.run(str(queued.pk))
    assert retried and 5 <= retried[0] <= 6.5


def test_access_denied_fails_the_environment_and_tells_the_owner(
        aws: AwsStubs, queued: Environment, django_capture_on_commit_callbacks: Any) -> None:
    aws.stub("servicecatalog").add_client_error(
        "provision_product", service_error_code="AccessDeniedException",
        service_message="not authorized to perform servicecatalog:ProvisionProduct")
    with django_capture_on_commit_callbacks(execute=True):
        assert environment_provision_run(environment_id=queued.pk) == "failed"
    queued.refresh_from_db()
    assert queued.status == Status.FAILED
    assert "AccessDeniedException" in queued.status_message
    assert "failed" in mail.outbox[0].subject.lower()


def test_a_record_that_is_not_found_fails_the_environment(
        aws: AwsStubs, queued: Environment, settings: Any) -> None:
    settings.PORTAL_AWS_CONSISTENCY_SECONDS = 0  # no eventual-consistency grace
    expect_provision(aws, queued)
    aws.stub("servicecatalog").add_client_error(
        "describe_record", service_error_code="ResourceNotFoundException",
        service_message="Record rec-1 not found", expected_params={"Id": "rec-1", "PageSize": 20})
    environment = run_until_settled(queued)
    assert environment.status == Status.FAILED
    assert "ResourceNotFoundException" in environment.status_message


def test_a_failed_record_shows_its_errors(aws: AwsStubs, queued: Environment,
                                          django_capture_on_commit_callbacks: Any) -> None:
    expect_provision(aws, queued)
    describe(aws, "FAILED", errors=[{"Code": "CREATE_FAILED",
                                     "Description": "The subnet has no free addresses"}])
    with django_capture_on_commit_callbacks(execute=True):
        environment = run_until_settled(queued)
    assert environment.status == Status.FAILED
    assert environment.status_message == "CREATE_FAILED: The subnet has no free addresses"
    assert environment.events.filter(kind="failed",
                                     message__contains="no free addresses").exists()
    assert "no free addresses" in mail.outbox[0].body


def test_in_progress_in_error_is_shown_and_followed_to_the_end(
        aws: AwsStubs, queued: Environment) -> None:
    expect_provision(aws, queued)
    error = [{"Code": "CREATE_FAILED", "Description": "KMS key not usable"}]
    describe(aws, "IN_PROGRESS_IN_ERROR", errors=error)
    describe(aws, "IN_PROGRESS_IN_ERROR", errors=error)
    describe(aws, "FAILED", errors=error)
    environment = run_until_settled(queued)
    assert environment.status == Status.FAILED
    rolling_back = environment.events.filter(kind="progress", message__contains="rolling back")
    assert rolling_back.count() == 1  # shown once, not at every check
    assert "KMS key not usable" in environment.status_message


def test_a_provisioning_that_never_finishes_times_out(
        aws: AwsStubs, queued: Environment, settings: Any) -> None:
    settings.PORTAL_PROVISION_TIMEOUT_SECONDS = 600
    expect_provision(aws, queued)
    describe(aws, "IN_PROGRESS")
    environment_provision_run(environment_id=queued.pk)
    environment = follow(queued)
    assert environment.status == Status.PROVISIONING
    Environment.objects.filter(pk=queued.pk).update(
        follow_started_at=timezone.now() - timedelta(seconds=601))
    describe(aws, "IN_PROGRESS")
    environment = follow(queued)
    assert environment.status == Status.FAILED
    assert environment.status_message.startswith("Timed out")


def test_throttling_while_following_only_postpones_the_check(
        aws: AwsStubs, queued: Environment) -> None:
    expect_provision(aws, queued)
    aws.stub("servicecatalog").add_client_error(
        "describe_record", service_error_code="ThrottlingException", service_message="slow down")
    describe(aws, "SUCCEEDED", outputs=[{"OutputKey": "NotebookInstanceName",
                                         "OutputValue": "nb-1"}])
    environment_provision_run(environment_id=queued.pk)
    assert follow(queued).status == Status.PROVISIONING
    assert follow(queued).status == Status.AVAILABLE


def test_a_sagemaker_project_is_created_with_create_project_and_followed(
        aws: AwsStubs, scientist: User, project: Project) -> None:
    from tests.provisioning.conftest import make_notebook_product

    product, version = make_notebook_product(project, kind="sagemaker_project",
                                             product_id="prod-mlops01")
    request = approved_request(requester=scientist, project=project, product=product,
                               version=version, tag_choices={},
                               parameters={"SageMakerProjectName": "",
                                           "SageMakerProjectId": "",
                                           "TrainingInstanceType": "ml.m5.xlarge"})
    environment = environment_provision(request=request)
    assert environment is not None
    # SageMaker fills SageMakerProjectName itself: the portal names the project, per environment.
    name = environment.sagemaker_project_name
    assert name == f"dana-scientist-{environment.pk.hex[:8]}"
    stub = aws.stub("sagemaker")
    stub.add_client_error("describe_project", service_error_code="ValidationException",
                          service_message=f"Project {name} does not exist",
                          expected_params={"ProjectName": name})
    tags = [{"Key": t["Key"], "Value": t["Value"]} for t in expected_tags(environment)[:-1]]
    stub.add_response("create_project", {"ProjectArn": f"arn:aws:sagemaker:p/{name}",
                                         "ProjectId": "p-churn1"}, {
        "ProjectName": name,
        "ProjectDescription": "SageMaker notebook instance for Dana Example",
        "ServiceCatalogProvisioningDetails": {
            "ProductId": "prod-mlops01", "ProvisioningArtifactId": "pa-mlops01v1",
            "PathId": "lpv3-mlops01",
            "ProvisioningParameters": [{"Key": "TrainingInstanceType",
                                        "Value": "ml.m5.xlarge"}]},
        "Tags": tags})
    project_response = {"ProjectArn": f"arn:aws:sagemaker:p/{name}",
                        "ProjectName": name, "ProjectId": "p-churn1",
                        "CreationTime": timezone.now(),
                        "ServiceCatalogProvisioningDetails": {"ProductId": "prod-mlops01"}}
    stub.add_response("describe_project", {**project_response, "ProjectStatus": "CreateInProgress"},
                      {"ProjectName": name})
    stub.add_response("describe_project", {
        **project_response, "ProjectStatus": "CreateCompleted",
        "ServiceCatalogProvisionedProductDetails": {"ProvisionedProductId": "pp-77"}},
        {"ProjectName": name})
    environment = run_until_settled(environment)
    assert environment.status == Status.AVAILABLE
    assert (environment.sagemaker_project_name, environment.sagemaker_project_id,
            environment.provisioned_product_id) == (name, "p-churn1", "pp-77")
