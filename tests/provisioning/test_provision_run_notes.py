"""What the provision task's run records and tells people: the retry note of a throttled call
(timeline), the owner's mail when provisioning fails, the audit of a SageMaker project's
CreateProject, and what the run returns to its task."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.core import mail
from django.utils import timezone

from catalog.models import Product
from fakeaws import faults
from fakeaws.baseline import Baseline
from fakeaws.models import CallLog
from portal.models import AuditEvent, Project, User
from provisioning.backends import Transient
from provisioning.models import Environment
from provisioning.provision_run import environment_provision_run, provision_retry_note
from provisioning.services import environment_provision
from tests.provisioning import fake_portal
from tests.provisioning.fake_portal import approved, request_values

pytestmark = pytest.mark.django_db
Status = Environment.Status
fake_aws = fake_portal.fake_aws
shapes_catalog = fake_portal.shapes_catalog


def test_a_throttled_call_notes_when_the_portal_tries_again(queued: Environment) -> None:
    before = timezone.now()
    provision_retry_note(queued.pk, attempt=queued.dispatch_attempt, retry_in=12.4,
                         code="ThrottlingException")
    queued.refresh_from_db()
    [note] = queued.events.filter(kind="retry")
    assert note.message == ("AWS is busy (ThrottlingException); the portal will try again in "
                            "12 s.")
    assert queued.next_attempt_at is not None
    assert before + timedelta(seconds=12) <= queued.next_attempt_at
    assert queued.next_attempt_at <= timezone.now() + timedelta(seconds=12.4)


def test_a_retry_of_an_older_chain_notes_nothing(queued: Environment) -> None:
    due = queued.next_attempt_at
    provision_retry_note(queued.pk, attempt=queued.dispatch_attempt - 1, retry_in=30,
                         code="ThrottlingException")
    queued.refresh_from_db()
    assert not queued.events.filter(kind="retry").exists()
    assert queued.next_attempt_at == due


def test_the_owner_is_mailed_when_aws_refuses_the_provisioning(
        queued: Environment, settings: Any, django_capture_on_commit_callbacks: Any) -> None:
    settings.PORTAL_AWS_MAX_ATTEMPTS = 0
    faults.inject(service="servicecatalog", operation="ProvisionProduct",
                  code="InvalidParametersException", message="Parameter InstanceType is invalid")
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        environment_provision_run(environment_id=queued.pk)
    queued.refresh_from_db()
    assert queued.status == Status.FAILED
    [sent] = mail.outbox
    assert sent.subject == f"[ML portal] Provisioning failed: {queued.product.name}"
    assert sent.to == [queued.owner.email]
    assert "Parameter InstanceType is invalid" in sent.body


def test_called_without_a_retry_delay_a_throttled_call_is_due_again_at_once(
        queued: Environment, settings: Any) -> None:
    settings.PORTAL_AWS_MAX_ATTEMPTS = 0
    faults.inject(service="servicecatalog", operation="ProvisionProduct",
                  code="ThrottlingException")
    with pytest.raises(Transient):
        environment_provision_run(environment_id=queued.pk, attempt=queued.dispatch_attempt)
    queued.refresh_from_db()
    assert queued.status == Status.QUEUED
    [note] = queued.events.filter(kind="retry")
    assert note.message.endswith("the portal will try again in 0 s.")
    assert queued.next_attempt_at is not None and queued.next_attempt_at <= timezone.now()


def test_a_sagemaker_project_provisioning_is_audited_with_its_project_name(
        shapes_catalog: dict[str, Product], fake_aws: Baseline, scientist: User,
        project: Project, django_capture_on_commit_callbacks: Any) -> None:
    product = shapes_catalog["fixtures/sagemaker-project-no-default.yaml"]
    request = approved(requester=scientist, project=project, product=product,
                       parameters=request_values(product.versions.get(), fake_aws))
    with django_capture_on_commit_callbacks(execute=False):
        environment = environment_provision(request=request)
    assert environment is not None
    assert environment_provision_run(environment_id=environment.pk) == "provisioning"
    environment.refresh_from_db()
    audit = AuditEvent.objects.get(action="environment.provisioning")
    assert audit.data == {"sagemaker_project": environment.sagemaker_project_name}
    assert environment.sagemaker_project_id


def test_a_resource_gone_from_the_account_fails_the_run_before_aws_is_asked(
        shapes_catalog: dict[str, Product], fake_aws: Baseline, scientist: User,
        project: Project, django_capture_on_commit_callbacks: Any) -> None:
    product = shapes_catalog["fixtures/notebook-network-parameter-types.yaml"]
    values = {**request_values(product.versions.get(), fake_aws),
              "SecurityGroupIds": "sg-0123456789abcdef0"}
    request = approved(requester=scientist, project=project, product=product,
                       parameters=values)
    with django_capture_on_commit_callbacks(execute=False):
        environment = environment_provision(request=request)
    assert environment is not None
    assert environment_provision_run(environment_id=environment.pk) == "failed"
    assert Environment.objects.get(pk=environment.pk).status == Status.FAILED
    assert not CallLog.objects.filter(operation="ProvisionProduct").exists()
