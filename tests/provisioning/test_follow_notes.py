"""What a follow-up check notes while it waits: the record a change or termination was accepted
as (timeline), and a check postponed because AWS was busy (the worker's log)."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from fakeaws import faults
from portal.models import User
from provisioning.follow import environment_follow_run
from provisioning.lifecycle import environment_terminate
from provisioning.models import Environment
from provisioning.provision_run import environment_provision_run

pytestmark = pytest.mark.django_db
Status = Environment.Status


def test_the_first_check_of_a_termination_notes_the_record_aws_accepted(
        scientist: User, available: Environment) -> None:
    terminating = environment_terminate(environment=available, user=scientist, confirm=True)
    assert terminating.status == Status.TERMINATING and not terminating.last_record_id
    environment_follow_run(environment_id=terminating.pk, attempt=terminating.follow_attempt)
    terminating.refresh_from_db()
    assert terminating.last_record_id.startswith("rec-")
    notes = list(terminating.events.filter(kind="progress").values_list("message", flat=True))
    assert f"AWS accepted the change (record {terminating.last_record_id})." in notes


def test_a_check_aws_throttles_is_postponed_and_logged(queued: Environment, settings: Any,
                                                       caplog: pytest.LogCaptureFixture) -> None:
    settings.PORTAL_AWS_MAX_ATTEMPTS = 0
    environment_provision_run(environment_id=queued.pk)
    queued.refresh_from_db()
    assert queued.status == Status.PROVISIONING
    faults.inject(service="servicecatalog", operation="DescribeRecord",
                  code="ThrottlingException")
    with caplog.at_level(logging.WARNING, logger="provisioning.follow"):
        environment_follow_run(environment_id=queued.pk, attempt=queued.follow_attempt)
    queued.refresh_from_db()
    assert queued.status == Status.PROVISIONING
    [postponed] = [r for r in caplog.records if "postponed" in r.getMessage()]
    assert postponed.levelno == logging.WARNING
    assert postponed.getMessage().startswith(
        f"Follow-up of environment {queued.pk} postponed: ThrottlingException")
