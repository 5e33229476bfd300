"""An AssumeRole failure is a clear, audited state: follow-ups keep trying until the timeout,
reconcile carries on with the other projects; requesters never see role ARNs or account ids."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from portal.models import AuditEvent, Project, User
from provisioning.follow import environment_follow_run
from provisioning.models import Environment
from provisioning.services import environment_provision
from provisioning.sweep import environments_reconcile
from tests.provisioning.conftest import (
    AwsStubs,
    approved_request,
    make_notebook_product,
    notebook_summary,
)

pytestmark = pytest.mark.django_db
Status = Environment.Status
ROLE = "arn:aws:iam::111111111111:role/PortalProvisioning"
DETAIL = f"User: arn:aws:sts::999999999999:assumed-role/web/i-1 is not authorized: {ROLE}"


def refuse_assume_role(aws: AwsStubs, times: int = 1) -> None:
    for _ in range(times):
        aws.stub("sts").add_client_error("assume_role", service_error_code="AccessDenied",
                                         service_message=DETAIL, http_status_code=403)


@pytest.fixture
def provisioning(queued: Environment, project: Project, aws: AwsStubs) -> Environment:
    project.aws_role_arn, project.aws_external_id = ROLE, "ext-42"
    project.save()
    Environment.objects.filter(pk=queued.pk).update(
        status=Status.PROVISIONING, last_record_id="rec-1", provisioned_product_id="pp-1",
        follow_started_at=timezone.now(), follow_attempt=1)
    queued.refresh_from_db()
    return queued


def check(environment: Environment, django_capture_on_commit_callbacks: Any) -> Environment:
    environment.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=False):
        environment_follow_run(environment_id=environment.pk,
                               attempt=environment.follow_attempt)
    environment.refresh_from_db()
    return environment


def test_a_follow_up_that_cannot_assume_the_role_keeps_waiting_and_says_why_once(
        provisioning: Environment, aws: AwsStubs,
        django_capture_on_commit_callbacks: Any) -> None:
    refuse_assume_role(aws, times=2)
    first = check(provisioning, django_capture_on_commit_callbacks)
    assert first.status == Status.PROVISIONING and first.follow_attempt == 2
    assert first.status_message.startswith("The portal cannot reach this environment's AWS")
    assert ROLE not in first.status_message and "999999999999" not in first.status_message
    second = check(provisioning, django_capture_on_commit_callbacks)
    assert second.status == Status.PROVISIONING and second.follow_attempt == 3
    [audited] = AuditEvent.objects.filter(action="environment.aws_unreachable")
    assert audited.data == {"operation": "AssumeRole", "code": "AccessDenied", "detail": DETAIL}
    assert second.events.filter(kind="progress", message__contains="cannot reach").count() == 1


def test_the_provisioning_timeout_still_holds_while_the_role_is_unreachable(
        provisioning: Environment, aws: AwsStubs, settings: Any,
        django_capture_on_commit_callbacks: Any) -> None:
    settings.PORTAL_PROVISION_TIMEOUT_SECONDS = 600
    Environment.objects.filter(pk=provisioning.pk).update(
        follow_started_at=timezone.now() - timedelta(seconds=601))
    refuse_assume_role(aws)
    environment = check(provisioning, django_capture_on_commit_callbacks)
    assert environment.status == Status.FAILED
    assert environment.status_message.startswith("Timed out")


def test_reconcile_records_an_unreachable_project_and_carries_on_with_the_others(
        available: Environment, aws: AwsStubs, project: Project, other_project: Project,
        outsider: User, django_capture_on_commit_callbacks: Any) -> None:
    product, version = make_notebook_product(other_project, product_id="prod-nb0002")
    request = approved_request(requester=outsider, project=other_project, product=product,
                               version=version)
    with django_capture_on_commit_callbacks(execute=False):
        other = environment_provision(request=request)
    assert other is not None
    Environment.objects.filter(pk=other.pk).update(
        status=Status.AVAILABLE, provisioned_product_id="pp-other",
        notebook_instance_name="nb-other")
    project.aws_role_arn, project.aws_external_id = ROLE, "ext-42"
    project.save()
    refuse_assume_role(aws)
    aws.stub("servicecatalog").add_response("search_provisioned_products", {
        "ProvisionedProducts": [{"Id": "pp-other", "Name": other.provisioned_product_name,
                                 "Status": "AVAILABLE",
                                 "ProvisioningArtifactId": version.artifact_id}]})
    aws.stub("sagemaker").add_response("list_notebook_instances", {"NotebookInstances": [
        notebook_summary("nb-other", "InService")]}, {"MaxResults": 100})

    assert environments_reconcile() == {"unreachable": 1, "unchanged": 1}

    available.refresh_from_db()
    assert available.status == Status.AVAILABLE
    assert "cannot reach" in available.status_message and ROLE not in available.status_message
    audited = AuditEvent.objects.get(action="environment.aws_unreachable")
    assert audited.object_id == str(available.pk) and audited.data["detail"] == DETAIL
    other.refresh_from_db()
    assert other.reconciled_at is not None and other.status_message == ""


def test_a_reachable_project_again_clears_the_unreachable_message(
        available: Environment, aws: AwsStubs) -> None:
    Environment.objects.filter(pk=available.pk).update(
        status_message="The portal cannot reach this environment's AWS account: gone")
    aws.stub("servicecatalog").add_response("search_provisioned_products", {
        "ProvisionedProducts": [{"Id": available.provisioned_product_id,
                                 "Name": available.provisioned_product_name,
                                 "Status": "AVAILABLE",
                                 "ProvisioningArtifactId": available.version.artifact_id}]})
    aws.stub("sagemaker").add_response("list_notebook_instances", {"NotebookInstances": [
        notebook_summary(available.notebook_instance_name, "InService")]}, {"MaxResults": 100})
    assert environments_reconcile() == {"unchanged": 1}
    available.refresh_from_db()
    assert available.status_message == ""
