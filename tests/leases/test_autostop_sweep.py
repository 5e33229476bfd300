"""The auto-stop sweep with a moving clock: schedules stop at the owner's local time (DST
included) once per occurrence, the idle stop after N hours without an open, an open pushes the
deadline back, an opt-out counts only where allowed, one notice a day, Studio profiles skipped,
and a batch costs the same queries for 1 environment as for 30."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from typing import Any

import pytest
from django.test import Client

from catalog.models import Product, TagOption
from leases.autostop import autostop_stop
from leases.autostop_sweep import schedules_sweep
from leases.models import AutoStop
from portal.models import AuditEvent, Notification
from provisioning.models import Environment, EnvironmentEvent
from tests.leases.autostop_support import Clock, Sweeper, notebooks, policy
from tests.provisioning.conftest import make_notebook_product

pytestmark = pytest.mark.django_db
AVAILABLE, STOPPING = Environment.Status.AVAILABLE, Environment.Status.STOPPING


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def status(environment: Environment) -> str:
    return Environment.objects.values_list("status", flat=True).get(pk=environment.pk)


def running_again(environment: Environment) -> None:
    """The stop finished and someone started it outside the portal (no activity recorded)."""
    Environment.objects.filter(pk=environment.pk).update(status=AVAILABLE)


@pytest.fixture
def paris_owner(scientist: Any) -> Any:
    scientist.time_zone = "Europe/Paris"
    scientist.save(update_fields=["time_zone"])
    return scientist


def test_the_schedule_stops_at_20_00_on_the_owners_clock_audited_with_the_schedule_as_actor(
        paris_owner: Any, project: Any, notebook: Any, sweeper: Sweeper) -> None:
    policy(project=project)  # weekdays 20:00
    [env] = notebooks(1, owner=paris_owner, project=project, notebook=notebook,
                      at=utc(2026, 3, 2, 8))  # Monday morning
    sweeper.sweep(utc(2026, 3, 2, 18, 55))  # 19:55 in Paris (CET, UTC+1)
    assert status(env) == AVAILABLE
    assert AutoStop.objects.get(pk=env.pk).due_at == utc(2026, 3, 2, 19)
    report = sweeper.sweep(utc(2026, 3, 2, 19, 2))
    assert report["schedule"] == 1 and sweeper.outcomes == ["stopped"]
    assert status(env) == STOPPING
    actor = "schedule: weekdays 20:00 Europe/Paris"
    audit = AuditEvent.objects.get(action="environment.stop", object_id=str(env.pk))
    assert audit.actor is None and audit.actor_username == actor
    assert EnvironmentEvent.objects.filter(
        environment=env, kind=EnvironmentEvent.Kind.STOP,
        message="Stop requested: auto-stop weekdays 20:00 Europe/Paris.").exists()


def test_it_stops_once_per_occurrence_not_twice_the_same_day_and_again_the_next_day(
        paris_owner: Any, project: Any, notebook: Any, sweeper: Sweeper) -> None:
    policy(project=project)
    [env] = notebooks(1, owner=paris_owner, project=project, notebook=notebook,
                      at=utc(2026, 3, 2, 8))
    sweeper.sweep(utc(2026, 3, 2, 19, 1))
    assert status(env) == STOPPING
    running_again(env)
    sweeper.sweep(utc(2026, 3, 2, 19, 30))
    sweeper.sweep(utc(2026, 3, 2, 19, 50))
    sweeper.sweep(utc(2026, 3, 2, 22, 0))
    assert status(env) == AVAILABLE and sweeper.outcomes == ["stopped"]
    sweeper.sweep(utc(2026, 3, 3, 19, 1))  # Tuesday 20:01
    assert status(env) == STOPPING and sweeper.outcomes == ["stopped", "stopped"]


def test_a_missed_occurrence_is_skipped_after_an_hour_and_the_weekend_has_none(
        paris_owner: Any, project: Any, notebook: Any, sweeper: Sweeper) -> None:
    policy(project=project)
    [env] = notebooks(1, owner=paris_owner, project=project, notebook=notebook,
                      at=utc(2026, 3, 6, 8))  # Friday
    sweeper.sweep(utc(2026, 3, 6, 20, 30))  # Friday 21:30: the sweeps were down since 20:00
    assert status(env) == AVAILABLE
    assert AutoStop.objects.get(pk=env.pk).due_at == utc(2026, 3, 9, 19)  # Monday 20:00
    sweeper.sweep(utc(2026, 3, 7, 19, 1))  # Saturday
    assert status(env) == AVAILABLE and sweeper.sent == []


def test_an_open_after_the_occurrence_wins_over_it(
        paris_owner: Any, project: Any, notebook: Any, sweeper: Sweeper) -> None:
    policy(project=project)
    [env] = notebooks(1, owner=paris_owner, project=project, notebook=notebook,
                      at=utc(2026, 3, 2, 8), last_activity_at=utc(2026, 3, 2, 19, 1))
    sweeper.sweep(utc(2026, 3, 2, 19, 3))
    assert status(env) == AVAILABLE and sweeper.sent == []


@pytest.mark.parametrize(("day", "stops_at"), [
    # America/New_York, every day 20:00: EST (UTC-5) then EDT (UTC-4) from 2026-03-08 …
    (utc(2026, 3, 7, 12), utc(2026, 3, 8, 1)), (utc(2026, 3, 8, 12), utc(2026, 3, 9, 0)),
    # … and EDT then EST from 2026-11-01.
    (utc(2026, 10, 31, 12), utc(2026, 11, 1, 0)), (utc(2026, 11, 1, 12), utc(2026, 11, 2, 1))])
def test_in_new_york_it_stops_at_20_00_local_on_both_sides_of_each_dst_change(
        day: datetime, stops_at: datetime, scientist: Any, project: Any, notebook: Any,
        sweeper: Sweeper) -> None:
    scientist.time_zone = "America/New_York"
    scientist.save(update_fields=["time_zone"])
    policy(project=project, weekdays="0123456")
    [env] = notebooks(1, owner=scientist, project=project, notebook=notebook, at=day)
    sweeper.sweep(day)
    assert AutoStop.objects.get(pk=env.pk).due_at == stops_at
    sweeper.sweep(stops_at - timedelta(minutes=1))
    assert status(env) == AVAILABLE
    sweeper.sweep(stops_at + timedelta(minutes=1))
    assert status(env) == STOPPING
    label = AuditEvent.objects.get(action="environment.stop").actor_username
    assert label == "schedule: every day 20:00 America/New_York"


def test_an_owner_without_a_time_zone_is_on_the_portals_default(
        scientist: Any, project: Any, notebook: Any, sweeper: Sweeper, settings: Any) -> None:
    settings.PORTAL_OWNER_TIME_ZONE = "Asia/Tokyo"
    policy(project=project)
    [env] = notebooks(1, owner=scientist, project=project, notebook=notebook,
                      at=utc(2026, 3, 2, 0))
    sweeper.sweep(utc(2026, 3, 2, 1))
    assert AutoStop.objects.get(pk=env.pk).due_at == utc(2026, 3, 2, 11)  # 20:00 JST


def test_the_idle_stop_comes_n_hours_after_the_last_open(
        scientist: Any, project: Any, notebook: Any, sweeper: Sweeper) -> None:
    policy(project=project, stop_at=None, idle_hours=4)
    start = utc(2026, 3, 2, 9)
    [env] = notebooks(1, owner=scientist, project=project, notebook=notebook, at=start,
                      last_activity_at=start)
    sweeper.sweep(start + timedelta(hours=3, minutes=59))
    assert status(env) == AVAILABLE
    assert AutoStop.objects.get(pk=env.pk).due_at == start + timedelta(hours=4)
    sweeper.sweep(start + timedelta(hours=4, minutes=1))
    assert status(env) == STOPPING and sweeper.outcomes == ["stopped"]
    assert AuditEvent.objects.get(action="environment.stop").actor_username == \
        "idle: 4 h without an open"


def test_an_open_through_the_portal_pushes_the_idle_deadline_back(
        client: Client, scientist: Any, available: Environment, project: Any,
        clock: Clock, sweeper: Sweeper) -> None:
    policy(project=project, stop_at=None, idle_hours=4)
    start = clock.set(utc(2026, 3, 2, 9))
    Environment.objects.filter(pk=available.pk).update(available_at=start, created_at=start)
    sweeper.sweep(start)
    assert AutoStop.objects.get(pk=available.pk).due_at == start + timedelta(hours=4)
    clock.set(start + timedelta(hours=3))
    client.force_login(scientist)
    assert client.post(f"/environments/{available.pk}/open").status_code in (200, 302)
    available.refresh_from_db()
    assert available.last_activity_at == start + timedelta(hours=3)
    sweeper.sweep(start + timedelta(hours=4, minutes=1))  # the old deadline: nothing to do
    assert status(available) == AVAILABLE and sweeper.sent == []
    assert AutoStop.objects.get(pk=available.pk).due_at == start + timedelta(hours=7)
    sweeper.sweep(start + timedelta(hours=7, minutes=1))
    assert status(available) == STOPPING


@pytest.mark.parametrize(("allowed", "stopped"), [(True, False), (False, True)])
def test_an_owners_opt_out_is_respected_only_where_the_admin_allows_it(
        allowed: bool, stopped: bool, paris_owner: Any, project: Any, notebook: Any,
        sweeper: Sweeper) -> None:
    policy(project=project, owners_may_opt_out=allowed)
    [env] = notebooks(1, owner=paris_owner, project=project, notebook=notebook,
                      at=utc(2026, 3, 2, 8))
    AutoStop.objects.create(environment=env, opted_out=True, due_at=utc(2026, 3, 2, 8))
    sweeper.sweep(utc(2026, 3, 2, 19, 1))
    assert (status(env) == STOPPING) is stopped


def test_a_stop_sent_but_opted_out_meanwhile_is_not_done(
        paris_owner: Any, project: Any, notebook: Any, clock: Clock) -> None:
    policy(project=project, owners_may_opt_out=True)
    [env] = notebooks(1, owner=paris_owner, project=project, notebook=notebook,
                      at=utc(2026, 3, 2, 8))
    AutoStop.objects.create(environment=env, opted_out=True)
    assert autostop_stop(environment_id=env.pk, rule="schedule", label="schedule: x") == \
        "opted_out"
    assert status(env) == AVAILABLE


def test_the_owner_is_told_at_most_once_a_day(
        paris_owner: Any, project: Any, notebook: Any, sweeper: Sweeper) -> None:
    policy(project=project, idle_hours=1)
    [env] = notebooks(1, owner=paris_owner, project=project, notebook=notebook,
                      at=utc(2026, 3, 2, 17, 30))
    sweeper.sweep(utc(2026, 3, 2, 18, 31))  # idle for an hour
    running_again(env)
    sweeper.sweep(utc(2026, 3, 2, 19, 2))  # and the 20:00 schedule, the same Paris day
    assert sweeper.outcomes == ["stopped", "stopped"]
    notices = Notification.objects.filter(recipient=paris_owner, kind="autostop")
    assert notices.count() == 1
    assert notices.get().link == f"/environments/{env.pk}/"
    running_again(env)
    sweeper.sweep(utc(2026, 3, 3, 19, 2))
    assert notices.count() == 2


def test_an_owner_with_several_notebooks_stopped_the_same_day_is_told_once(
        paris_owner: Any, project: Any, notebook: Any, sweeper: Sweeper) -> None:
    policy(project=project, idle_hours=1)
    envs = notebooks(3, owner=paris_owner, project=project, notebook=notebook,
                     at=utc(2026, 3, 2, 17, 30))
    sweeper.sweep(utc(2026, 3, 2, 18, 31))
    assert sweeper.outcomes == ["stopped"] * 3
    assert Notification.objects.filter(recipient=paris_owner, kind="autostop").count() == 1
    for env in envs:  # each stop is still on its own timeline
        assert env.events.filter(message__icontains="stop").exists()


def test_studio_profiles_and_sagemaker_projects_are_not_looked_at(
        scientist: Any, project: Any, sweeper: Sweeper) -> None:
    for kind in (Product.Kind.STUDIO_USER_PROFILE, Product.Kind.SAGEMAKER_PROJECT):
        TagOption.objects.all().delete()  # each product's catalog rows bring the same one
        product, version = make_notebook_product(project, kind=kind)
        policy(product=product, stop_at=None, idle_hours=1)
        [env] = notebooks(1, owner=scientist, project=project, notebook=(product, version),
                          at=utc(2026, 3, 2, 8))
        Environment.objects.filter(pk=env.pk).update(notebook_instance_name="")
    report = sweeper.sweep(utc(2026, 3, 3, 8))
    assert report["opened"] == 0 and AutoStop.objects.count() == 0 and sweeper.sent == []


def test_stopped_notebooks_wait_and_a_batch_is_bounded(
        scientist: Any, project: Any, notebook: Any, sweeper: Sweeper) -> None:
    policy(project=project, stop_at=None, idle_hours=1)
    stopped = notebooks(2, owner=scientist, project=project, notebook=notebook,
                        at=utc(2026, 3, 2, 8), status="stopped")
    notebooks(5, owner=scientist, project=project, notebook=notebook, at=utc(2026, 3, 2, 8))
    first = sweeper.sweep(utc(2026, 3, 2, 12), batch_size=3)
    second = sweeper.sweep(utc(2026, 3, 2, 12, 1), batch_size=3)
    assert first["stopping"] == 3 and second["stopping"] == 2
    assert all(status(e) == "stopped" for e in stopped)
    assert not AutoStop.objects.filter(pk__in=[e.pk for e in stopped]).exists()


@pytest.mark.parametrize("count", [1, 30])  # the same queries for both
def test_a_batch_costs_the_same_queries_whatever_its_size(
        count: int, paris_owner: Any, project: Any, notebook: Any, sweeper: Sweeper,
        django_assert_num_queries: Any, django_capture_on_commit_callbacks: Any) -> None:
    policy(project=project, idle_hours=1)
    made = notebooks(count, owner=paris_owner, project=project, notebook=notebook,
                     at=utc(2026, 3, 2, 8))
    AutoStop.objects.bulk_create([AutoStop(environment=e, due_at=utc(2026, 3, 2, 8))
                                  for e in made])
    sweeper.clock.set(utc(2026, 3, 2, 19, 1))
    # The missing-row read, the savepoint, the due read, the policies, the update, the release.
    with django_assert_num_queries(6), django_capture_on_commit_callbacks(execute=True):
        report = schedules_sweep(batch_size=50)
    assert report["stopping"] == count == len(sweeper.sent)


def test_new_notebooks_get_their_row_in_the_same_queries_whatever_their_number(
        paris_owner: Any, project: Any, notebook: Any, clock: Clock,
        django_assert_num_queries: Any) -> None:
    for count in (1, 12):
        notebooks(count, owner=paris_owner, project=project, notebook=notebook,
                  at=utc(2026, 3, 2, 8))
        clock.set(utc(2026, 3, 2, 9))
        # The missing read, the insert, then the due read of nothing due with a policy-less
        # project (its rows get no next time), the savepoint, the update, the release.
        with django_assert_num_queries(7):
            report = schedules_sweep(batch_size=50)
        assert report["opened"] == count
    assert AutoStop.objects.filter(due_at__isnull=True).count() == 13


def test_a_time_of_day_policy_without_an_owner_zone_is_readable_on_the_plain_function(
        scientist: Any, project: Any, notebook: Any, clock: Clock) -> None:
    policy(project=project, weekdays="0123456", stop_at=time(9, 0))
    notebooks(1, owner=scientist, project=project, notebook=notebook, at=utc(2026, 3, 2, 8))
    clock.set(utc(2026, 3, 2, 8))
    report = schedules_sweep(batch_size=10)
    assert report == {"opened": 1, "looked_at": 1, "stopping": 0, "schedule": 0, "idle": 0}
