"""My environments' read (provisioning.my_environments_read) gives what the selector and the
view's filter give: the owner's live environments and those alive this month, in the list's
order, with the columns the list shows and meters, in one statement."""
# ruff: noqa: F811 - the fixtures imported from tests.approvals.conftest are arguments here

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.db.models import Model, Q
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from catalog.models import Product
from portal.models import Project, User
from provisioning import metering, selectors
from provisioning.list_rows import MY_LIST_FIELDS
from provisioning.models import Environment
from provisioning.my_environments_read import my_environments_read
from tests.approvals.conftest import (  # noqa: F401 - fixtures
    make_environment,
    notebook,
    prices,
    sent_tasks,
)

pytestmark = pytest.mark.django_db

RELATED = ("origin_request", "product", "version", "project")


def _loaded(instance: Model) -> dict[str, object]:
    """The instance's columns that were read (not deferred)."""
    deferred = instance.get_deferred_fields()
    return {f.attname: getattr(instance, f.attname) for f in type(instance)._meta.concrete_fields
            if f.attname not in deferred}


def _expected(user: User, now: timezone.datetime) -> list[Environment]:
    return list(selectors.environments_owned_by(user=user, terminated=True).select_related(
        None).select_related(*RELATED).only(*MY_LIST_FIELDS).filter(
        ~Q(status=Environment.Status.TERMINATED) | metering.alive_in_month(now)))


def _cast_environments(scientist: User, colleague: User, project: Project,
                       notebook: Product, now: timezone.datetime) -> dict[str, Environment]:
    made = {name: make_environment(scientist, project, notebook, status=status)
            for name, status in (("live", "available"), ("stopped", "stopped"),
                                 ("this month", "terminated"), ("last month", "terminated"))}
    start = metering.month_start(now)
    Environment.objects.filter(pk=made["this month"].pk).update(created_at=start,
                                                                terminated_at=now)
    Environment.objects.filter(pk=made["last month"].pk).update(
        created_at=start - timedelta(days=40), terminated_at=start - timedelta(days=1))
    Environment.objects.filter(pk=made["stopped"].pk).update(
        created_at=now - timedelta(days=2), status_message="Stopped by <the> lease",
        parameters={"InstanceType": "ml.m5.xlarge"})
    made["colleague's"] = make_environment(colleague, project, notebook)
    return made


def test_it_reads_the_live_and_this_months_environments_as_the_selector_and_filter_do(
        scientist: User, colleague: User, project: Project, notebook: Product) -> None:
    now = timezone.now()
    made = _cast_environments(scientist, colleague, project, notebook, now)
    with CaptureQueriesContext(connection) as queries:
        found = my_environments_read(user=scientist, now=now)
        related = [{name: _loaded(getattr(e, name)) for name in RELATED} for e in found]
    assert len(queries) == 1
    expected = _expected(scientist, now)
    assert [e.pk for e in found] == [e.pk for e in expected]
    assert {e.pk for e in found} == {made[n].pk for n in ("live", "stopped", "this month")}
    assert [_loaded(e) for e in found] == [_loaded(e) for e in expected]
    assert related == [{name: _loaded(getattr(e, name)) for name in RELATED} for e in expected]
    assert all(e.owner_id == scientist.pk for e in found)


def test_an_inactive_person_reads_nothing_as_the_selector_gives_them(
        scientist: User, colleague: User, project: Project, notebook: Product) -> None:
    now = timezone.now()
    _cast_environments(scientist, colleague, project, notebook, now)
    User.objects.filter(pk=scientist.pk).update(is_active=False)
    scientist.refresh_from_db()
    assert _expected(scientist, now) == []
    with CaptureQueriesContext(connection) as queries:
        assert my_environments_read(user=scientist, now=now) == []
    assert len(queries) == 0


@pytest.mark.parametrize("who", ["colleague", "outsider", "manager", "platform_admin", "auditor"])
def test_the_others_of_the_cast_read_their_own_only(
        request: pytest.FixtureRequest, scientist: User, colleague: User, project: Project,
        notebook: Product, who: str) -> None:
    now = timezone.now()
    _cast_environments(scientist, colleague, project, notebook, now)
    user: User = request.getfixturevalue(who)
    found = my_environments_read(user=user, now=now)
    assert [e.pk for e in found] == [e.pk for e in _expected(user, now)]
    assert all(e.owner_id == user.pk for e in found)
    assert len(found) == (1 if who == "colleague" else 0)
