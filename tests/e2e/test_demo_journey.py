"""Issue 9's whole journey in one browser session, as ``scripts/demo_journey.py`` drives ``make
demo``: a GPU notebook requested, approved by the manager and the platform team, provisioned,
opened, stopped, started, changed (approved again), updated and terminated; then a Studio user
profile (opened) and a SageMaker project, each through its approvers.

The same script as the demo's, against the live portal, the dev IdP and a real Celery worker on
the broker, provisioning through the one boto3 backend on the fake AWS's demo catalog (synced and
curated as ``make demo`` does). The other journeys cover parts in more detail (the in-place
status, the change form); this one proves the parts join up. The Studio profile and SageMaker
project half is in ``test_demo_journey_studio_and_project.py`` (a file of its own, so the two run
side by side under ``--dist loadfile``); both use ``demo_portal`` and ``demo_worker``
(conftest.py).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from approvals.models import Request
from catalog.models import Product
from portal.models import AuditEvent
from provisioning.models import Environment
from scripts.demo_journey import Journey, run_notebook
from tests.provisioning.worker import WorkerProcess

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


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
