"""Metered cost from an environment's status intervals × the price table, with a fixed clock."""
# ruff: noqa: F811 - the fixtures imported from tests.approvals.conftest are arguments here

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from catalog.models import Product, StoragePrice
from portal.models import AuditEvent, Project, User
from provisioning import metering
from provisioning.models import Environment
from provisioning.states import environment_status_set
from tests.approvals.conftest import (  # noqa: F401 - fixtures
    make_environment,
    mlops,
    notebook,
    prices,
    sent_tasks,
    studio,
)

T0 = datetime(2026, 3, 10, 8, 0, tzinfo=UTC)
H = timedelta(hours=1)
T3_MEDIUM = Decimal("0.0500")  # tests/approvals/conftest.py PRICES
STORAGE_GB_MONTH = Decimal("0.14")


def edge(environment: Environment, to: str, at: datetime, frm: str = "") -> None:
    """A status edge as environment_status_set audits it, at a chosen time."""
    AuditEvent(action="environment.status_changed", object_type="provisioning.environment",
               object_id=str(environment.pk), object_repr=str(environment),
               project=environment.project, data={"from": frm, "to": to}, at=at).save()


def created(owner: User, project: Project, product: Product, at: datetime,
            **parameters: str) -> Environment:
    environment = make_environment(owner, project, product, status="queued")
    Environment.objects.filter(pk=environment.pk).update(created_at=at, parameters=parameters)
    environment.refresh_from_db()
    return Environment.objects.select_related("product", "project").get(pk=environment.pk)


def storage_per_hour(gb: int) -> Decimal:
    return Decimal(gb) * STORAGE_GB_MONTH / 730


@pytest.fixture
def storage_price(db: None) -> None:
    StoragePrice.objects.create(region="eu-west-1", usd_per_gb_month=STORAGE_GB_MONTH)


def test_it_bills_running_hours_at_the_instance_price_and_stopped_hours_as_storage(
        scientist: User, project: Project, notebook: Product, storage_price: None) -> None:
    env = created(scientist, project, notebook, T0, InstanceType="ml.t3.medium",
                  VolumeSizeInGB="20")
    edge(env, "provisioning", T0 + timedelta(minutes=5))
    edge(env, "available", T0 + H)                                # provisioning: free
    edge(env, "stopping", T0 + 5 * H)                             # 4 h running
    edge(env, "stopped", T0 + 5 * H + timedelta(minutes=10))      # stopping: storage only
    edge(env, "starting", T0 + 29 * H)                            # 23 h 50 min stopped
    edge(env, "available", T0 + 29 * H + timedelta(minutes=6))    # starting: storage
    edge(env, "terminating", T0 + 31 * H)                         # 1 h 54 min running
    edge(env, "terminated", T0 + 31 * H + timedelta(minutes=30))  # terminating a running one
    cost = metering.environment_cost(env, until=T0 + 40 * H)

    running = Decimal(4) + Decimal(114) / 60 + Decimal("0.5")
    stopped = Decimal(10) / 60 + Decimal(23) + Decimal(50) / 60 + Decimal(6) / 60
    assert cost.running_hours == running.quantize(Decimal("0.01")) == Decimal("6.40")
    assert cost.stopped_hours == stopped.quantize(Decimal("0.01")) == Decimal("24.10")
    expected = running * T3_MEDIUM + stopped * storage_per_hour(20)
    assert cost.usd == expected.quantize(Decimal("0.01")) == Decimal("0.41")


def test_cost_so_far_stops_at_until_and_counts_the_open_interval(
        scientist: User, project: Project, notebook: Product) -> None:
    env = created(scientist, project, notebook, T0, InstanceType="ml.m5.xlarge")
    edge(env, "available", T0)
    assert metering.environment_cost(env, until=T0 + 10 * H).usd == Decimal("2.30")
    # An edge after `until` is not counted yet.
    edge(env, "stopping", T0 + 20 * H)
    assert metering.environment_cost(env, until=T0 + 10 * H).usd == Decimal("2.30")
    assert metering.environment_cost(env, until=T0 + 30 * H).usd == Decimal("4.60")


def test_without_a_storage_price_a_stopped_notebook_costs_nothing(
        scientist: User, project: Project, notebook: Product) -> None:
    env = created(scientist, project, notebook, T0, InstanceType="ml.t3.medium",
                  VolumeSizeInGB="20")
    edge(env, "available", T0)
    edge(env, "stopping", T0 + 2 * H)
    edge(env, "stopped", T0 + 2 * H)
    cost = metering.environment_cost(env, until=T0 + 100 * H)
    assert cost.usd == Decimal("0.10") and cost.stopped_hours == Decimal("98.00")


def test_month_to_date_counts_only_this_months_part(
        scientist: User, colleague: User, project: Project, notebook: Product,
        storage_price: None) -> None:
    feb_evening = datetime(2026, 2, 28, 20, 0, tzinfo=UTC)
    now = datetime(2026, 3, 1, 6, 0, tzinfo=UTC)
    env = created(scientist, project, notebook, feb_evening, InstanceType="ml.t3.medium",
                  VolumeSizeInGB="10")
    edge(env, "available", feb_evening)
    edge(env, "stopping", datetime(2026, 3, 1, 4, 0, tzinfo=UTC))
    # The colleague's notebook ran in February only: terminated before the month began.
    gone = created(colleague, project, notebook, feb_evening, InstanceType="ml.m5.xlarge")
    edge(gone, "available", feb_evening)
    edge(gone, "terminated", feb_evening + 2 * H)
    Environment.objects.filter(pk=gone.pk).update(terminated_at=feb_evening + 2 * H,
                                                  status="terminated")

    expected = (4 * T3_MEDIUM + 2 * storage_per_hour(10)).quantize(Decimal("0.01"))
    assert metering.month_start(now) == datetime(2026, 3, 1, tzinfo=UTC)
    assert metering.project_month_to_date(project, now) == expected == Decimal("0.20")
    assert metering.user_month_to_date(scientist, now) == expected
    assert metering.user_month_to_date(colleague, now) == Decimal("0")
    # The whole life still counts February's hours.
    assert metering.environment_cost(env, until=now).running_hours == Decimal("8.00")


def test_every_kind_is_metered_from_its_estimate(
        scientist: User, project: Project, studio: Product, mlops: Product,
        prices: None) -> None:
    profile = created(scientist, project, studio, T0, UserProfileName="dana")
    edge(profile, "available", T0)
    mlops.flat_monthly_usd = Decimal("73.00")
    mlops.save()
    sm_project = created(scientist, project, mlops, T0, SageMakerProjectName="fraud")
    edge(sm_project, "available", T0)
    costs = metering.environment_costs([profile, sm_project], until=T0 + 100 * H)
    # Studio's default app type (ml.t3.medium) × 100 h; the flat $73/month is $0.10/h.
    assert costs[profile.pk].usd == Decimal("5.00")
    assert costs[sm_project.pk].usd == Decimal("10.00")


def test_an_unpriced_environment_is_marked_unpriced_not_free(
        scientist: User, project: Project, mlops: Product) -> None:
    env = created(scientist, project, mlops, T0)
    edge(env, "available", T0)
    cost = metering.environment_cost(env, until=T0 + H)
    assert cost.usd == Decimal("0.00") and cost.rates.priced is False


def test_edges_written_by_the_state_machine_are_the_ones_metered(
        scientist: User, project: Project, notebook: Product) -> None:
    env = created(scientist, project, notebook, T0, InstanceType="ml.m5.xlarge")
    environment_status_set(env, to="provisioning")
    environment_status_set(env, to="available")
    env.save()
    started = AuditEvent.objects.filter(object_id=str(env.pk), data__to="available").get().at
    cost = metering.environment_cost(env, until=started + 10 * H)
    assert cost.running_hours == Decimal("10.00") and cost.usd == Decimal("2.30")


def test_a_row_without_recorded_edges_counts_from_when_it_became_available(
        scientist: User, project: Project, notebook: Product) -> None:
    env = created(scientist, project, notebook, T0, InstanceType="ml.m5.xlarge")
    Environment.objects.filter(pk=env.pk).update(status="available", available_at=T0 + H)
    env.refresh_from_db()
    assert metering.environment_cost(env, until=T0 + 11 * H).usd == Decimal("2.30")


def test_costs_of_many_environments_take_two_queries(
        scientist: User, project: Project, notebook: Product, storage_price: None,
        django_assert_num_queries: Any) -> None:
    environments = []
    for i in range(6):
        env = created(scientist, project, notebook, T0, InstanceType="ml.t3.medium")
        edge(env, "available", T0 + i * H)
        environments.append(env)
    # The status edges; the instance and storage prices (one UNION ALL, issue 16).
    with django_assert_num_queries(2):
        costs = metering.environment_costs(environments, until=T0 + 10 * H)
    assert [costs[e.pk].running_hours for e in environments] == [
        Decimal(10 - i).quantize(Decimal("0.01")) for i in range(6)]


def test_intervals_of_an_edge_list_are_contiguous_and_clipped() -> None:
    intervals = metering.status_intervals(
        created_at=T0, until=T0 + 3 * H,
        edges=[(T0 + H, "available"), (T0 + 2 * H, "terminating"), (T0 + 5 * H, "terminated")])
    assert [(i.status, i.billed_as, i.end - i.start) for i in intervals] == [
        ("queued", "queued", H), ("available", "available", H),
        ("terminating", "available", H)]
