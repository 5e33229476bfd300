"""Issue 9's whole journey in one browser session, as ``scripts/demo_journey.py`` drives ``make
demo``: a GPU notebook requested, approved by the manager and the platform team, provisioned,
opened, stopped, started, changed (approved again), updated and terminated; then a Studio user
profile (opened) and a SageMaker project, each through its approvers.

The same script as the demo's, against the live portal, the dev IdP and a real Celery worker on
the broker, provisioning through the one boto3 backend on the fake AWS's demo catalog (synced and
curated as ``make demo`` does). The other journeys cover parts in more detail (the in-place
status, the change form); this one proves the parts join up.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from approvals.models import Request
from catalog.models import Product
from portal.models import AuditEvent, Project, User
from provisioning.models import Environment
from scripts.demo_journey import Journey, run_notebook, run_studio_and_project
from tests.e2e.conftest import demo_catalog_curated
from tests.provisioning.worker import WorkerProcess

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def demo_worker() -> Iterator[WorkerProcess]:
    """A worker on the fake's demo catalog (empty FAKEAWS_CATALOG_FILE), as the test syncs it."""
    process = WorkerProcess(extra_env={"FAKEAWS_CATALOG_FILE": ""})
    process.start(purge=True)
    yield process
    process.stop()


@pytest.fixture
def demo_portal(live_server: Any, live_idp: Any, settings: Any, scientist: User,
                manager: User, project: Project) -> str:
    settings.PORTAL_BASE_URL = live_server.url
    settings.FAKEAWS_CATALOG_FILE = ""
    settings.FAKEAWS_CONSISTENCY_SECONDS = 0
    demo_catalog_curated()
    return str(live_server.url)


def test_the_demo_journey_from_request_to_termination(
        page: Any, demo_portal: str, demo_worker: WorkerProcess, tmp_path: Path) -> None:
    journey = Journey(page, demo_portal, tmp_path)
    try:
        run_notebook(journey, "e2e")
    except Exception as exc:
        raise AssertionError(f"{exc}\nworker:\n{demo_worker.output()}") from exc

    environment = Environment.objects.get(product__kind=Product.Kind.NOTEBOOK_INSTANCE)
    assert environment.status == Environment.Status.TERMINATED
    kinds = list(environment.events.order_by("at", "pk").values_list("kind", flat=True))
    for done in ("launch", "stopped", "updated", "terminated"):
        assert done in kinds, kinds
    change = Request.objects.get(action=Request.Action.UPDATE)
    assert change.status == Request.Status.APPROVED
    assert change.parameters["InstanceType"] == "ml.m5.xlarge"
    decided = AuditEvent.objects.filter(action="approval.decided", object_id=str(change.pk))
    assert list(decided.values_list("actor_username", flat=True)) == ["pat.admin"]


def test_a_studio_profile_and_a_sagemaker_project_through_their_approvers(
        page: Any, demo_portal: str, demo_worker: WorkerProcess, tmp_path: Path) -> None:
    journey = Journey(page, demo_portal, tmp_path)
    try:
        run_studio_and_project(journey, "e2e")
    except Exception as exc:
        raise AssertionError(f"{exc}\nworker:\n{demo_worker.output()}") from exc
    statuses = dict(Environment.objects.values_list("product__kind", "status"))
    assert statuses == {Product.Kind.STUDIO_USER_PROFILE: Environment.Status.AVAILABLE,
                        Product.Kind.SAGEMAKER_PROJECT: Environment.Status.AVAILABLE}
