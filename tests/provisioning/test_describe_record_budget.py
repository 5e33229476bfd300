"""A provisioning that takes ten minutes costs at most 12 DescribeRecord calls (issue 5's
performance line): the real follow-up loop, a clock that jumps by each scheduled countdown, and
an AWS that answers IN_PROGRESS until minute ten."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from django.utils import timezone

from provisioning import follow, follow_observe, provision_run
from provisioning.backends import RecordStatus
from provisioning.models import Environment
from tests.provisioning.conftest import SentTasks

pytestmark = pytest.mark.django_db
TEN_MINUTES = timedelta(minutes=10)


class SlowAws:
    """DescribeRecord answers IN_PROGRESS until ten minutes after the start, then SUCCEEDED."""

    def __init__(self, clock: list[datetime]) -> None:
        self.clock = clock
        self.started = clock[0]
        self.describes = 0

    def provision_product(self, *, order: Any) -> RecordStatus:
        return RecordStatus(record_id="rec-1", status="CREATED", provisioned_product_id="pp-1")

    def describe_record(self, *, record_id: str) -> RecordStatus:
        self.describes += 1
        done = self.clock[0] - self.started >= TEN_MINUTES
        return RecordStatus(record_id=record_id, status="SUCCEEDED" if done else "IN_PROGRESS",
                            provisioned_product_id="pp-1",
                            outputs={"NotebookInstanceName": "nb-1"} if done else {})


@pytest.mark.parametrize("seed", range(8))
def test_a_ten_minute_provisioning_needs_at_most_12_describe_record_calls(
        queued: Environment, sent_tasks: SentTasks, monkeypatch: pytest.MonkeyPatch,
        django_capture_on_commit_callbacks: Any, seed: int) -> None:
    import random

    random.seed(seed)
    clock = [timezone.now()]
    aws = SlowAws(clock)
    # Provisioning runs in provision_run, the follow-up's look at AWS in follow_observe: each
    # looks AWS up itself.
    monkeypatch.setattr(provision_run, "backend_for", lambda project, **_: aws)
    monkeypatch.setattr(follow_observe, "backend_for", lambda project, **_: aws)
    monkeypatch.setattr(follow.timezone, "now", lambda: clock[0])
    with django_capture_on_commit_callbacks(execute=True):
        provision_run.environment_provision_run(environment_id=queued.pk)
    while True:
        name, args, countdown = sent_tasks.calls[-1]
        assert name.endswith("environment_follow_task") and countdown is not None
        clock[0] += timedelta(seconds=countdown)
        with django_capture_on_commit_callbacks(execute=True):
            outcome = follow.environment_follow_run(environment_id=args[0], attempt=args[1])
        if outcome.result != "waiting":
            break
    assert outcome.result == Environment.Status.AVAILABLE
    assert aws.describes <= 12
