"""``manage.py seed_demo_quotas``: the demo's data scientists see their limits before they ask."""

from __future__ import annotations

from decimal import Decimal
from io import StringIO

import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.test import Client

from portal.models import AuditEvent, User
from quotas.models import UserQuota

pytestmark = pytest.mark.django_db


def _seed() -> str:
    out = StringIO()
    call_command("seed_demo_quotas", stdout=out)
    return out.getvalue()


def test_the_command_grants_the_data_scientists_group_once_and_audits_it() -> None:
    assert _seed().count("created") == 3
    assert "nothing created" in _seed()
    grants = {(q.measure, q.group.name if q.group else None, q.amount)
              for q in UserQuota.objects.all()}
    assert grants == {("running_environments", "data-scientists", Decimal("4")),
                      ("gpu_instances", "data-scientists", Decimal("1")),
                      ("daily_credits", "data-scientists", Decimal("200"))}
    events = AuditEvent.objects.filter(action="userquota.created")
    assert events.count() == 3
    assert {e.actor_username for e in events} == {"seed_demo_quotas"}


def test_an_admins_own_figure_is_kept() -> None:
    group = Group.objects.create(name="data-scientists")
    UserQuota.objects.create(measure="gpu_instances", group=group, amount=Decimal("3"))
    _seed()
    assert UserQuota.objects.get(measure="gpu_instances").amount == Decimal("3")
    assert UserQuota.objects.count() == 3


def test_a_demo_data_scientist_sees_the_limits_on_the_api(client: Client,
                                                          scientist: User) -> None:
    _seed()
    scientist.groups.add(Group.objects.get(name="data-scientists"))
    client.force_login(scientist)
    rows = [(r["measure"], r["limit"], r["used"]) for r in client.get("/api/v1/me/quota").json()
            ["quotas"] if r["scope"] == "user"]
    assert rows == [("running_environments", "4.00", "0.00"), ("gpu_instances", "1.00", "0.00"),
                    ("daily_credits", "200.00", "0.00")]
