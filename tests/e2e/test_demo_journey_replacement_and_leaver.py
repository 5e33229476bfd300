"""Issue 15's part of the demo journey (``scripts/demo_journey.py``, after issue 9's): a resize
that replaces the notebook, shown to its approver as a replacement in red and in words and
executed on approval; then a platform admin deactivates the data scientist on the leavers page
and sees her notebook stopped and handed to her manager, who finds it in "My environments"; the
admin reactivates her at the end (the journey can run again), and the notebook stays handed over.

Against the live portal, the dev IdP and a real Celery worker on the fake AWS's demo catalog,
curated as ``make demo`` does (renaming a notebook allowed, flagged as a replacement).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from approvals.models import Request
from identity.models import Departure, Handover
from portal.models import AuditEvent, User
from provisioning.models import Environment, ResourcePlan
from scripts.demo_journey import Journey, run_replacement_and_leaver
from tests.provisioning.worker import WorkerProcess

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_a_replacing_resize_is_approved_as_one_then_the_leaver_hands_over_to_her_manager(
        page: Any, demo_portal: str, demo_worker: WorkerProcess, tmp_path: Path,
        scientist: User, manager: User) -> None:
    journey = Journey(page, demo_portal, tmp_path)
    try:
        run_replacement_and_leaver(journey, "e2e")
    except Exception as exc:
        raise AssertionError(f"{exc}\nworker:\n{demo_worker.output()}") from exc

    change = Request.objects.get(action=Request.Action.UPDATE)
    assert change.status == Request.Status.APPROVED
    assert change.parameters["NotebookInstanceName"] == "dana-train-e2e"
    assert change.parameters["InstanceType"] == "ml.m5.xlarge"
    plan = ResourcePlan.objects.get(request=change)  # the plan pat approved, executed
    assert plan.state == ResourcePlan.State.EXECUTED
    replaced = [row["LogicalResourceId"] for row in plan.changes
                if row.get("Replacement") == "TRUE"]
    assert replaced == ["NotebookInstance"]

    environment = Environment.objects.get(pk=change.environment_ref)
    assert environment.notebook_instance_name == "dana-train-e2e"
    assert environment.status == Environment.Status.STOPPED
    assert environment.owner == manager
    handover = Handover.objects.get(environment=environment)
    assert (handover.state, handover.new_owner, handover.stopped) == (
        Handover.State.DONE, manager, True)
    departure = Departure.objects.get()
    assert (departure.person, departure.actor_username, departure.source) == (
        scientist, "pat.admin", "portal")
    scientist.refresh_from_db()
    assert scientist.is_active  # reactivated at the end; the notebook stayed maria's
    audit = list(AuditEvent.objects.filter(action__startswith="person.")
                 .order_by("pk").values_list("action", "actor_username"))
    assert audit == [("person.deactivated", "pat.admin"), ("person.reactivated", "pat.admin")]
