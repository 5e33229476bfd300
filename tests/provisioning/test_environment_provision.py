"""The hand-off from approvals: environment_provision(request=...)."""

from __future__ import annotations

from typing import Any

import pytest

from approvals.models import Request
from portal.models import AuditEvent, Project, User
from provisioning.models import Environment
from provisioning.names import NAME_PATTERN
from provisioning.services import InvalidTransition, environment_provision
from tests.provisioning.conftest import SentTasks, approved_request

pytestmark = pytest.mark.django_db


def test_it_creates_one_queued_environment_and_enqueues_provisioning_on_commit(
        scientist: User, project: Project, notebook: Any,
        django_capture_on_commit_callbacks: Any, sent_tasks: SentTasks) -> None:
    product, version = notebook
    request = approved_request(requester=scientist, project=project, product=product,
                               version=version)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        environment = environment_provision(request=request)
    assert environment is not None and len(callbacks) == 1
    assert sent_tasks.calls == [("provisioning.tasks.environment_provision_task",
                                 (str(environment.pk), 1), None)]
    assert environment.status == Environment.Status.QUEUED
    assert environment.owner == scientist and environment.dispatched_at is not None
    # created, and the lease the leases app opens with it
    assert list(environment.events.values_list("kind", flat=True)) == ["created", "lease"]
    assert AuditEvent.objects.filter(action="environment.created",
                                     object_id=str(environment.pk)).exists()


def test_it_is_idempotent_per_request(scientist: User, project: Project, notebook: Any,
                                      django_capture_on_commit_callbacks: Any) -> None:
    product, version = notebook
    request = approved_request(requester=scientist, project=project, product=product,
                               version=version)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        first = environment_provision(request=request)
        second = environment_provision(request=request)
    assert first == second and Environment.objects.count() == 1 and len(callbacks) == 1


def test_it_refuses_a_request_that_is_not_approved(scientist: User, project: Project,
                                                   notebook: Any) -> None:
    product, version = notebook
    request = approved_request(requester=scientist, project=project, product=product,
                               version=version)
    request.status = Request.Status.PENDING
    request.save()
    with pytest.raises(InvalidTransition):
        environment_provision(request=request)
    assert not Environment.objects.exists()


def test_the_provisioned_product_name_is_derived_from_user_product_and_a_short_id(
        queued: Environment) -> None:
    name = queued.provisioned_product_name
    assert name == f"dana-scientist-notebook-{queued.pk.hex[:8]}"
    assert NAME_PATTERN.match(name) and len(name) <= 63
