"""The provision step's early answers: what is not provisioning's to do, and messages that
arrive for an environment that is gone, already past queued, or of an older chain."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from catalog.models import Product, ProductVersion
from portal.models import Project, User
from provisioning.models import Environment, EnvironmentEvent
from provisioning.provision_run import environment_provision_run
from provisioning.services import environment_provision
from tests.provisioning.conftest import approved_request

pytestmark = pytest.mark.django_db
Status = Environment.Status


def test_an_extend_request_creates_no_environment(
        scientist: User, project: Project, notebook: tuple[Product, ProductVersion],
        queued: Environment) -> None:
    product, version = notebook
    extend = approved_request(requester=scientist, project=project, product=product,
                              version=version, action="extend", environment_ref=str(queued.pk))
    assert environment_provision(request=extend) is None  # the leases app's hand-off
    assert list(Environment.objects.all()) == [queued]


def test_a_message_about_an_environment_that_is_gone_does_nothing() -> None:
    assert environment_provision_run(environment_id=uuid.uuid4()) == "missing"


@pytest.mark.parametrize(("status", "attempt_offset", "outcome"), [
    (Status.PROVISIONING, 0, "skipped"),  # another worker got there first
    (Status.QUEUED, 1, "stale"),  # the sweeper started a newer chain
])
def test_a_late_or_old_message_leaves_the_environment_as_it_is(
        queued: Environment, status: str, attempt_offset: int, outcome: str,
        sent_tasks: Any) -> None:
    Environment.objects.filter(pk=queued.pk).update(status=status)
    events = EnvironmentEvent.objects.filter(environment=queued).count()
    # One less than the current chain's number: a chain the sweeper has replaced.
    current = Environment.objects.get(pk=queued.pk).dispatch_attempt
    attempt = current - 1 if attempt_offset else current
    assert environment_provision_run(environment_id=queued.pk, attempt=attempt) == outcome
    after = Environment.objects.get(pk=queued.pk)
    assert after.status == status and after.provisioned_product_id in ("", None)
    assert EnvironmentEvent.objects.filter(environment=queued).count() == events
