"""The menu's count of open tasks for a delegate: the tasks of whom they stand in for today
count, on the days of the delegation only (the frame's kept statements fill in the person and
the day of each request)."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.utils import timezone

from approvals.services.delegations import delegation_create
from config.navigation import waiting_for
from portal.models import Role, User
from tests.conftest import make_user

pytestmark = pytest.mark.django_db
DAY = datetime.timedelta(days=1)


def test_a_delegate_counts_the_tasks_of_whom_they_stand_in_for_today(
        gpu_request: Any, manager: User) -> None:
    deputy = make_user("dave.deputy", roles=[Role.APPROVER])
    assert waiting_for(user=deputy, approver=True).tasks == 0
    today = timezone.localdate()
    delegation_create(delegator=manager, delegate_username="dave.deputy", starts_on=today,
                      ends_on=today + 7 * DAY, reason="Annual leave")
    assert waiting_for(user=deputy, approver=True).tasks == 1
    assert waiting_for(user=manager, approver=True).tasks == 1


def test_a_delegation_from_tomorrow_counts_nothing_today(
        gpu_request: Any, manager: User) -> None:
    deputy = make_user("dave.deputy", roles=[Role.APPROVER])
    tomorrow = timezone.localdate() + DAY
    delegation_create(delegator=manager, delegate_username="dave.deputy", starts_on=tomorrow,
                      ends_on=tomorrow + 7 * DAY, reason="Annual leave")
    assert waiting_for(user=deputy, approver=True).tasks == 0


def test_only_someone_standing_in_today_pays_for_whom_and_their_count(
        gpu_request: Any, manager: User, django_assert_num_queries: Any) -> None:
    deputy = make_user("dave.deputy", roles=[Role.APPROVER])
    with django_assert_num_queries(1):
        assert waiting_for(user=deputy, approver=True).tasks == 0
    today = timezone.localdate()
    delegation_create(delegator=manager, delegate_username="dave.deputy", starts_on=today,
                      ends_on=today + 7 * DAY, reason="Annual leave")
    # The counts and "stands in" in one, then whom, then the tasks counted with them.
    with django_assert_num_queries(3):
        assert waiting_for(user=deputy, approver=True).tasks == 1
    with django_assert_num_queries(1):  # the delegator stands in for nobody
        assert waiting_for(user=manager, approver=True).tasks == 1
