"""The sweeper re-dispatches lost work; reconcile records what changed outside the portal."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from approvals.models import Request
from fakeaws import clock
from portal.models import AuditEvent, Project, User
from provisioning.models import Environment
from provisioning.provision_run import environment_provision_run
from provisioning.sweep import environments_reconcile, environments_sweep
from tests.provisioning.conftest import (
    SentTasks,
    approved_request,
    console_client,
    notebook_summary,
)

pytestmark = pytest.mark.django_db
LONG_AGO = timedelta(hours=1)


def test_a_queued_environment_whose_task_was_lost_is_dispatched_again(
        queued: Environment, sent_tasks: SentTasks,
        django_capture_on_commit_callbacks: Any) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        assert environments_sweep()["redispatched"] == 0  # just dispatched: not stalled
        Environment.objects.filter(pk=queued.pk).update(
            dispatched_at=timezone.now() - LONG_AGO, next_attempt_at=timezone.now() - LONG_AGO)
        assert environments_sweep()["redispatched"] == 1
    assert sent_tasks.names() == ["provisioning.tasks.environment_provision_task"]
    # The new chain is number 2: a task of chain 1 arriving late finds it stale, calls nothing.
    assert sent_tasks.calls[0][1] == (str(queued.pk), 2)
    assert environment_provision_run(environment_id=queued.pk, attempt=1) == "stale"


def test_a_scheduled_retry_is_not_taken_for_lost_work_however_long_its_backoff(
        queued: Environment, sent_tasks: SentTasks, settings: Any,
        django_capture_on_commit_callbacks: Any) -> None:
    settings.PORTAL_STALLED_AFTER_SECONDS = 60
    # Sent an hour ago, throttled since, its retry due in 5 minutes: not lost.
    Environment.objects.filter(pk=queued.pk).update(
        dispatched_at=timezone.now() - LONG_AGO,
        next_attempt_at=timezone.now() + timedelta(minutes=5))
    with django_capture_on_commit_callbacks(execute=True):
        assert environments_sweep()["redispatched"] == 0
        # The retry was due 2 minutes ago and never ran (its worker died): lost, sent again.
        Environment.objects.filter(pk=queued.pk).update(
            next_attempt_at=timezone.now() - timedelta(minutes=2))
        assert environments_sweep()["redispatched"] == 1
    assert sent_tasks.names() == ["provisioning.tasks.environment_provision_task"]


def test_a_stalled_follow_up_is_restarted_and_the_old_chain_goes_stale(
        queued: Environment, sent_tasks: SentTasks,
        django_capture_on_commit_callbacks: Any) -> None:
    environment_provision_run(environment_id=queued.pk)
    queued.refresh_from_db()
    lost_attempt = queued.follow_attempt
    Environment.objects.filter(pk=queued.pk).update(next_check_at=timezone.now() - LONG_AGO)
    with django_capture_on_commit_callbacks(execute=True):
        assert environments_sweep()["refollowed"] == 1
    queued.refresh_from_db()
    assert queued.follow_attempt == lost_attempt + 1
    assert sent_tasks.calls[-1][1] == (str(queued.pk), lost_attempt + 1)


def test_an_approved_request_that_never_became_an_environment_is_picked_up(
        scientist: User, project: Project, notebook: Any) -> None:
    product, version = notebook
    request = approved_request(requester=scientist, project=project, product=product,
                               version=version)
    Request.objects.filter(pk=request.pk).update(handed_off_at=timezone.now())
    assert environments_sweep()["created"] == 1
    assert Environment.objects.get().origin_request == request
    assert environments_sweep()["created"] == 0


def test_an_environment_terminated_outside_the_portal_is_recorded(
        available: Environment) -> None:
    console_client("servicecatalog", available.project).terminate_provisioned_product(
        ProvisionedProductId=available.provisioned_product_id, TerminateToken="console-1")
    assert environments_reconcile() == {"terminated": 1}
    available.refresh_from_db()
    assert available.status == "terminated"
    assert available.events.filter(kind="out_of_band", message__contains="terminated").exists()
    assert AuditEvent.objects.filter(action="environment.out_of_band").exists()


def test_a_notebook_stopped_outside_the_portal_is_recorded(available: Environment) -> None:
    console_client("sagemaker", available.project).stop_notebook_instance(
        NotebookInstanceName=available.notebook_instance_name)
    assert environments_reconcile() == {"changed": 1}
    available.refresh_from_db()
    assert available.status == "stopped"
    assert environments_reconcile() == {"unchanged": 1}


def test_an_environment_that_timed_out_but_finished_later_recovers(
        queued: Environment, settings: Any) -> None:
    settings.FAKEAWS_OPERATION_SECONDS = 3600
    environment_provision_run(environment_id=queued.pk)
    Environment.objects.filter(pk=queued.pk).update(
        status="failed", status_message="Timed out", next_check_at=None)
    clock.advance(2 * 3600)  # AWS finished the stack long after the portal gave up
    assert environments_reconcile() == {"recovered": 1}
    queued.refresh_from_db()
    assert queued.status == "available" and queued.notebook_instance_name



# In the Stubber tests below, `available` comes first: provisioned on the fake AWS, then the portal
# switches to stubbed AWS for the reconcile.

def test_reconcile_through_aws_searches_then_confirms_a_termination(
        available: Environment, aws: Any) -> None:
    stub = aws.stub("servicecatalog")
    stub.add_response("search_provisioned_products", {"ProvisionedProducts": []},
                      {"AccessLevelFilter": {"Key": "Account", "Value": "self"},
                       "PageSize": 100})
    stub.add_client_error("describe_provisioned_product",
                          service_error_code="ResourceNotFoundException",
                          service_message="Provisioned product not found",
                          expected_params={"Id": available.provisioned_product_id})
    assert environments_reconcile() == {"terminated": 1}
    available.refresh_from_db()
    assert available.status == "terminated"


def test_reconcile_through_aws_records_a_version_changed_outside_the_portal(
        available: Environment, aws: Any) -> None:
    from catalog.models import ProductVersion

    ProductVersion.objects.create(product=available.product, artifact_id="pa-nb0001v9",
                                  name="v9")
    aws.stub("servicecatalog").add_response("search_provisioned_products", {
        "ProvisionedProducts": [{"Id": available.provisioned_product_id,
                                 "Name": available.provisioned_product_name,
                                 "Status": "AVAILABLE", "ProvisioningArtifactId": "pa-nb0001v9",
                                 "LastRecordId": "rec-7"}]},
        {"AccessLevelFilter": {"Key": "Account", "Value": "self"}, "PageSize": 100})
    aws.stub("sagemaker").add_response("list_notebook_instances", {"NotebookInstances": [
        notebook_summary(available.notebook_instance_name, "InService")]}, {"MaxResults": 100})
    assert environments_reconcile() == {"changed": 1}
    available.refresh_from_db()
    assert available.version.name == "v9"
    assert available.events.filter(kind="out_of_band", message__contains="v9").exists()


def test_reconcile_leaves_a_project_for_later_when_aws_is_throttling(
        available: Environment, aws: Any) -> None:
    aws.stub("servicecatalog").add_client_error(
        "search_provisioned_products", service_error_code="ThrottlingException",
        service_message="Rate exceeded")
    assert environments_reconcile() == {"skipped": 1}
    available.refresh_from_db()
    assert available.status == "available"
