"""Quota fixtures: the approvals folder's catalog (a notebook product priced per instance type)
and helpers to grant allowances and cap projects."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from django.contrib.auth.models import Group

from portal.models import Project, User
from quotas.models import ProjectQuota, UserQuota
from tests.approvals.conftest import (  # noqa: F401  (fixtures)
    demo_policies,
    gpu_request,
    notebook,
    platform_admin,
    prices,
    sent_tasks,
    studio,
)


def grant(measure: str, amount: str | int, *, group: str | None = None,
          members: Sequence[User] = ()) -> UserQuota:
    """An allowance per person for a group (None: everyone), the members put in the group."""
    found = Group.objects.get_or_create(name=group)[0] if group else None
    for user in members:
        assert found is not None
        user.groups.add(found)
    return UserQuota.objects.create(measure=measure, group=found, amount=Decimal(str(amount)))


def cap(project: Project, measure: str, amount: str | int) -> ProjectQuota:
    return ProjectQuota.objects.create(project=project, measure=measure,
                                       amount=Decimal(str(amount)))
