"""The bookkeeping of ``provisioning.services`` that the other provisioning modules rely on.

What each helper records is what a later step reads: the follow-up's start (its timeout counts
from it), the provision chain's number (an older chain's task stops when it sees a newer one),
the fallback delay while events cover an environment, the launch path sent to AWS, the length of
what a failure keeps in the audit trail, and the row lock every transition takes.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.db import connection, transaction
from django.utils import timezone

from catalog.models import LaunchPath
from portal.models import AuditEvent, Project, User
from provisioning.events_health import events_consumer_beat
from provisioning.follow import environment_follow_run
from provisioning.lifecycle import environment_stop
from provisioning.models import Environment
from provisioning.services import (
    environment_fail,
    environment_locked,
    follow_delay,
    launch_path_id,
    provision_dispatch,
)
from tests.pg_locks import as_postgresql, lock_now, locks_recorded
from tests.provisioning.conftest import SentTasks

Status = Environment.Status


@pytest.mark.django_db
def test_a_follow_up_counts_its_timeout_from_its_own_start_not_from_the_environments_creation(
        scientist: User, available: Environment, settings: Any) -> None:
    # A notebook created long ago (beyond the provisioning timeout) is stopped today: the stop's
    # follow-up must not fail as timed out on its first check.
    long_ago = timezone.now() - timedelta(seconds=3 * settings.PORTAL_PROVISION_TIMEOUT_SECONDS)
    Environment.objects.filter(pk=available.pk).update(created_at=long_ago)
    available.refresh_from_db()
    before = timezone.now()
    stopping = environment_stop(environment=available, user=scientist)
    assert stopping.follow_started_at is not None and stopping.follow_started_at >= before
    assert stopping.follow_checks == 0
    environment_follow_run(environment_id=stopping.pk, attempt=stopping.follow_attempt)
    stopping.refresh_from_db()
    assert stopping.status in (Status.STOPPING, Status.STOPPED)
    assert "Timed out" not in stopping.status_message


@pytest.mark.django_db
def test_each_dispatch_starts_a_chain_with_the_next_number(queued: Environment,
                                                           sent_tasks: SentTasks,
                                                           django_capture_on_commit_callbacks: Any
                                                           ) -> None:
    first = queued.dispatch_attempt
    assert first == 1  # the hand-off's own dispatch
    with django_capture_on_commit_callbacks(execute=True):
        provision_dispatch(queued)
    with django_capture_on_commit_callbacks(execute=True):
        provision_dispatch(queued)
    queued.refresh_from_db()
    assert queued.dispatch_attempt == 3
    sent = [args for name, args, _ in sent_tasks.calls
            if name == "provisioning.tasks.environment_provision_task"]
    assert sent[-2:] == [(str(queued.pk), 2), (str(queued.pk), 3)]


@pytest.mark.django_db
def test_while_events_cover_an_environment_its_next_check_is_the_fallback_with_its_jitter(
        queued: Environment, settings: Any) -> None:
    settings.PORTAL_EVENTS_ENABLED = True
    settings.PORTAL_EVENTS_FALLBACK_SECONDS = 300
    events_consumer_beat(name="consumer-1")
    queued.status = Status.PROVISIONING
    queued.provisioned_product_id, queued.last_record_id = "pp-abc", "rec-abc"
    delays = [follow_delay(1, environment=queued) for _ in range(400)]
    assert 300 <= min(delays) and max(delays) <= 300 * 1.3
    assert max(delays) - min(delays) > 300 * 0.2  # spread, not one value
    # The first check keeps the ordinary 5-second start (events cannot say it began).
    first = [follow_delay(0, environment=queued) for _ in range(50)]
    assert all(settings.PORTAL_FOLLOW_FIRST_SECONDS * 1.1 <= d
               <= settings.PORTAL_FOLLOW_FIRST_SECONDS * 1.3 for d in first)


@pytest.mark.django_db
def test_a_product_without_a_live_launch_path_is_provisioned_without_a_path_id(
        queued: Environment) -> None:
    product = queued.product
    assert launch_path_id(product).startswith("lpv3-")
    LaunchPath.objects.filter(product=product).update(retired_at=timezone.now())
    product = type(product).objects.get(pk=product.pk)  # no cached launch paths
    assert launch_path_id(product) == ""


@pytest.mark.django_db
def test_a_failure_keeps_the_first_thousand_characters_of_each_text_in_the_audit_trail(
        queued: Environment) -> None:
    message = "Stack failed: " + "x" * 3000
    with transaction.atomic():
        locked = environment_locked(queued.pk)
        environment_fail(locked, message=message, subject="Provisioning failed")
    event = AuditEvent.objects.get(action="environment.failed")
    assert event.data["detail"] == message[:1000]
    assert event.data["message"] == message[:1000]
    assert Environment.objects.get(pk=queued.pk).status == Status.FAILED


@pytest.mark.django_db(transaction=True)
def test_a_transition_locks_the_environment_row_but_not_its_project_or_owner(
        queued: Environment, monkeypatch: pytest.MonkeyPatch) -> None:
    locking = locks_recorded(monkeypatch)
    seen: dict[str, str] = {}
    with transaction.atomic():
        locked = environment_locked(queued.pk)
        assert locked.project.slug and locked.owner.username  # loaded with it
        if connection.vendor == "postgresql":
            seen = {"environment": lock_now(Environment, queued.pk),
                    "project": lock_now(Project, queued.project_id),
                    "owner": lock_now(User, queued.owner_id)}
    assert as_postgresql(locking[0]).endswith('FOR UPDATE OF "provisioning_environment"')
    if connection.vendor == "postgresql":
        assert seen == {"environment": "busy", "project": "locked", "owner": "locked"}
