"""Benchmark: the periodic sweeps over 20,000 environments, time and SQL queries of each.

Into a throwaway SQLite database under a temporary PORTAL_VAR_DIR, or into DATABASE_URL when set
(use an empty, throwaway database: the script migrates it and adds rows).

* ``--environments N`` (20,000) available notebooks, bulk-created across ``--projects`` (20)
  projects with monthly budgets (one in ten over 80 % of it), each with a lease, ``--due``
  (2,000) of them due now.
* Each sweep named with ``--sweep`` (default: every one in ``SWEEPS``) runs as beat runs it,
  call after call until it has nothing left to do (at most ``--rounds``): the time and the
  queries of each call. The tasks a sweep sends are counted, not sent, and e-mail is not queued:
  neither the broker nor SMTP is what is measured here.

A sweep is a name in ``SWEEPS`` or a dotted path to a function taking ``now=`` (and nothing
else required), so a new one is one more line there (or ``--sweep package.module.function``).

    .venv/bin/python bench/bench_sweeps.py [--environments 20000] [--sweep lease --sweep budget]

Figures are in the README ("Benchmarks").
"""

from __future__ import annotations

import argparse
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from datetime import time as dt_time
from decimal import Decimal
from typing import Any

from bench_django import django_start

# name → dotted path of the sweep function. Add a sweep here with one line.
SWEEPS: dict[str, str] = {
    "lease": "leases.sweep.leases_sweep",
    "budget": "quotas.notices.budget_notices_sweep",
    "schedules": "leases.autostop_sweep.schedules_sweep",
}


def populate(total: int, projects: int, due: int) -> None:
    from django.db import transaction
    from django.utils import timezone

    from approvals.models import Request
    from catalog.models import InstancePrice, Product, ProductVersion
    from leases.models import Lease, StopPolicy
    from portal.models import Membership, Project, User
    from provisioning.models import Environment

    now = timezone.now()
    month = now.astimezone(UTC).replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    owner = User.objects.create(username="bench.owner", email="bench@bank.example")
    lead = User.objects.create(username="bench.lead", email="lead@bank.example")
    product = Product.objects.create(aws_account_id="111111111111", aws_region="eu-west-1",
                                     product_id="prod-bench", name="Notebook",
                                     kind=Product.Kind.NOTEBOOK_INSTANCE, published=True)
    version = ProductVersion.objects.create(product=product, artifact_id="pa-bench", name="v1")
    InstancePrice.objects.get_or_create(instance_type="ml.t3.medium", region="eu-west-1",
                                        defaults={"usd_per_hour": Decimal("0.05")})
    per_project = total // projects
    hours = Decimal(max((now - month).total_seconds(), 3600)) / 3600
    made = 0
    for index in range(projects):
        # One project in ten is past 80 % of its budget: the budget sweep has notices to send.
        spend = Decimal("0.05") * hours * per_project
        budget = (spend / Decimal("0.9") if index % 10 == 0 else spend * 100).quantize(
            Decimal("1"))
        project = Project.objects.create(
            slug=f"bench-{index}", name=f"Bench {index}", cost_center="CC-1", environment="dev",
            aws_account_id="111111111111", aws_region="eu-west-1", monthly_budget=budget)
        Membership.objects.create(user=lead, project=project, role=Membership.ProjectRole.LEAD)
        # Every project stops notebooks weekdays at 20:00 and after 4 idle hours: the notebooks,
        # available since the 1st and never opened, are all idle — the schedules sweep has a
        # stop to send for each.
        StopPolicy.objects.create(project=project, weekdays="01234", stop_at=dt_time(20, 0),
                                  idle_hours=4)
        for start in range(0, per_project, 2000):
            size = min(2000, per_project - start)
            with transaction.atomic():
                requests = Request.objects.bulk_create(
                    Request(requester=owner, project=project, product=product, version=version,
                            justification="bench", status=Request.Status.APPROVED,
                            parameters={"InstanceType": "ml.t3.medium"},
                            number=1_000_000 + made + i)  # bulk_create skips save()
                    for i in range(size))
                environments = Environment.objects.bulk_create(
                    Environment(id=uuid.uuid4(), origin_request=r, owner=owner, project=project,
                                product=product, version=version, status="available",
                                parameters={"InstanceType": "ml.t3.medium"},
                                provisioned_product_name=f"bench-{made + i}",
                                notebook_instance_name=f"bench-{made + i}",
                                available_at=month, expires_at=now + timedelta(days=20))
                    for i, r in enumerate(requests))
                Environment.objects.filter(pk__in=[e.pk for e in environments]).update(
                    created_at=month)
                Lease.objects.bulk_create(
                    Lease(environment=e,
                          due_at=now - timedelta(minutes=1) if made + i < due
                          else now + timedelta(days=13))
                    for i, e in enumerate(environments))
            made += size


def _quiet_side_effects() -> None:
    """Tasks and e-mail are counted as sent, not sent."""
    from leases import tasks
    from portal import notifications

    for task in (tasks.lease_enforce_task, tasks.autostop_stop_task):
        task.apply_async = lambda args=(), **kw: None  # type: ignore[method-assign]
    notifications.email_enqueue = lambda *, messages: None


def _did_something(result: Any) -> bool:
    """Whether a sweep's report says it did any work (lists, counts and mappings in it)."""
    if result is None:
        return False
    if isinstance(result, dict):  # counts by name: work when any of them is not zero
        return any(bool(v) for v in result.values())
    if isinstance(result, (int, list, tuple, set)):
        return bool(result)
    values = vars(result).values() if hasattr(result, "__dict__") else [result]
    return any(bool(v) for v in values if isinstance(v, (int, list, dict, tuple, set)))


def run_sweep(sweep: Callable[..., Any], rounds: int) -> list[tuple[float, int, bool]]:
    """(seconds, queries, did work) of each call, until one does nothing or ``rounds`` ran."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    calls = []
    for _ in range(rounds):
        with CaptureQueriesContext(connection) as queries:
            begin = time.perf_counter()
            result = sweep(now=timezone.now())
            seconds = time.perf_counter() - begin
        worked = _did_something(result)
        calls.append((seconds, len(queries), worked))
        if not worked:
            break
    return calls


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--environments", type=int, default=20_000)
    parser.add_argument("--projects", type=int, default=20)
    parser.add_argument("--due", type=int, default=2_000)
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--sweep", action="append", default=[],
                        help=f"a name ({', '.join(SWEEPS)}) or a dotted path; repeatable")
    options = parser.parse_args(argv)
    django_start("bench-sweeps")
    from django.conf import settings
    from django.db import connection
    from django.utils.module_loading import import_string

    names = options.sweep or list(SWEEPS)
    sweeps = {name: import_string(SWEEPS.get(name, name)) for name in names}
    print(f"database: {connection.vendor}, lease batch {settings.PORTAL_LEASE_SWEEP_BATCH}, "
          f"at {datetime.now(UTC):%Y-%m-%d %H:%M} UTC")
    begin = time.monotonic()
    populate(options.environments, options.projects, options.due)
    print(f"{options.environments} environments in {options.projects} projects, "
          f"{options.due} leases due, made in {time.monotonic() - begin:.1f} s")
    _quiet_side_effects()
    for name, sweep in sweeps.items():
        calls = run_sweep(sweep, options.rounds)
        worked = [c for c in calls if c[2]]
        print(f"{name}: {len(calls)} calls ({len(worked)} with work), "
              f"{sum(c[0] for c in calls):.2f} s in all")
        for seconds, queries, did in calls:
            print(f"  {seconds * 1000:8.1f} ms, {queries:3d} queries"
                  f"{'' if did else ' (nothing left to do)'}")


if __name__ == "__main__":
    main()
