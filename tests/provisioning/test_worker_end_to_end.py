"""End to end with a real Celery worker process and the real broker (filesystem by default,
Redis when CELERY_BROKER_URL says so), on the fake AWS: approve → provisioned → launch."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.db import transaction
from django.test import Client

from fakeaws import faults
from fakeaws.models import ProvisionedProduct, Record
from portal.models import Project, User
from provisioning.models import Environment
from provisioning.services import environment_provision
from provisioning.sweep import environments_sweep
from tests.provisioning.conftest import approved_request, make_notebook_product
from tests.provisioning.worker import WorkerProcess

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def worker(real_broker: None) -> Iterator[WorkerProcess]:
    process = WorkerProcess()
    process.start(purge=True)
    yield process
    process.stop()


def wait_for(condition: Callable[[], bool], *, worker: WorkerProcess, seconds: float = 60,
             what: str = "") -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"Timed out waiting for {what}. Worker output:\n"
                                 + worker.output())
        time.sleep(0.2)


def approve(scientist: User, project: Project) -> Environment:
    """What the approvals app does when the last approval commits: hand off on commit."""
    product, version = make_notebook_product(project)
    request = approved_request(requester=scientist, project=project, product=product,
                               version=version)
    with transaction.atomic():
        environment = environment_provision(request=request)
    assert environment is not None
    return environment


def status_of(environment: Environment) -> str:
    return Environment.objects.values_list("status", flat=True).get(pk=environment.pk)


def test_an_approved_request_is_provisioned_by_the_worker_and_opens(
        worker: WorkerProcess, scientist: User, project: Project, client: Client) -> None:
    environment = approve(scientist, project)
    wait_for(lambda: status_of(environment) == "available", worker=worker,
             what="the environment to become available")
    environment.refresh_from_db()
    assert environment.notebook_instance_name and environment.provisioned_product_id
    assert list(environment.events.values_list("kind", flat=True)) == [
        "created", "lease", "dispatched", "available"]

    client.force_login(scientist)
    response = client.post(f"/environments/{environment.pk}/open")
    assert response.status_code == 302
    assert response["Cache-Control"] == "no-store"
    parts = urlsplit(response["Location"])
    page = Client().get(f"{parts.path}?{parts.query}")
    assert page.status_code == 200 and environment.notebook_instance_name in page.content.decode()


def test_a_worker_killed_mid_task_and_restarted_provisions_exactly_once(
        scientist: User, project: Project, settings: Any, real_broker: None) -> None:
    settings.PORTAL_STALLED_AFTER_SECONDS = 1
    # AWS does the work, then its answer takes 4 s to come back: time to kill the worker.
    faults.delay_answer(service="servicecatalog", operation="ProvisionProduct", seconds=4)
    worker = WorkerProcess()
    worker.start(purge=True)
    try:
        environment = approve(scientist, project)
        # AWS (the fake) has accepted ProvisionProduct; its answer has not come back yet.
        wait_for(lambda: Record.objects.exists(), worker=worker,
                 what="ProvisionProduct to reach the fake AWS")
        assert status_of(environment) == "queued"
        worker.kill()
        assert status_of(environment) == "queued"

        worker.start()  # the delay rule is used up: answers come at once now
        time.sleep(1.5)  # longer than PORTAL_STALLED_AFTER_SECONDS: the dispatch counts as lost
        environments_sweep()  # what beat runs periodically
        wait_for(lambda: status_of(environment) == "available", worker=worker,
                 what="the environment to become available after the restart")
    finally:
        worker.stop()
    assert ProvisionedProduct.objects.count() == 1
    assert Record.objects.count() == 1
    environment.refresh_from_db()
    assert environment.provisioned_product_id == ProvisionedProduct.objects.get().pp_id
