"""Benchmark: reconcile of 20,000 environments in 10 accounts / 200 projects, on the fake AWS.

Into a throwaway SQLite database under a temporary PORTAL_VAR_DIR, or into DATABASE_URL when set
(use an empty, throwaway database: the script migrates it and adds rows).

* ``--accounts`` (10) accounts of ``--projects`` (20) projects each, ``--environments`` (100)
  available notebooks per project, made in bulk with the fake AWS's provisioned products and
  notebook instances behind them (``tests/provisioning/reconcile_fleet.py``): nothing changed, the
  steady state a periodic reconcile meets almost every run.
* ``per-project`` is the reconcile the portal had before, kept here only as the baseline: each
  project searches its whole account, then one DescribeNotebookInstance and one
  read-lock-write transaction per environment. ``per-account`` is ``environments_reconcile``.
* Each is run twice: once for the wall time and the counts, once under tracemalloc for the peak
  of Python memory (tracemalloc slows everything down, so its time is not the one reported).
  AWS calls are counted at the fake (every request botocore sent, AssumeRole left out); SQL
  statements are the portal's own (the fake shares the database; its statements are not counted).

    .venv/bin/python bench/bench_reconcile.py [--accounts 10] [--projects 20] [--environments 100]

Figures are in the README ("Benchmarks").
"""

from __future__ import annotations

import argparse
import time
import tracemalloc
from collections import Counter, defaultdict
from collections.abc import Callable
from typing import Any

from bench_django import django_start

IN_FAKE = [False]  # set while the fake AWS answers a request (its SQL is not the portal's)


def reconcile_per_project(*, projects: int) -> dict[str, int]:
    """The reconcile before issue 16, as the baseline: one account search per project, then a
    DescribeNotebookInstance and three statements in their own transaction per environment.

    It loads every settled environment first, as it did; only the first ``projects`` projects
    are then reconciled (the whole fleet would take most of an hour), and the figures scaled."""
    from provisioning.backends import NotFound, backend_for
    from provisioning.models import Environment
    from provisioning.reconcile import SETTLED, Observed, environment_reconcile_observed
    from provisioning.services import Status

    report: dict[str, int] = defaultdict(int)
    by_project: dict[int, list[Any]] = defaultdict(list)
    for environment in Environment.objects.filter(status__in=SETTLED).exclude(
            provisioned_product_id="").select_related("project"):
        by_project[environment.project_id].append(environment)
    for environments in list(by_project.values())[:projects]:
        backend = backend_for(environments[0].project)
        listed = {p.provisioned_product_id: p for p in backend.search_provisioned_products()}
        for environment in environments:
            seen = listed.get(environment.provisioned_product_id)
            if seen is None:
                try:
                    seen = backend.describe_provisioned_product(
                        provisioned_product_id=environment.provisioned_product_id)
                except NotFound:
                    seen = None
            notebook_status = ""
            if seen is not None and seen.status == "AVAILABLE" \
                    and environment.notebook_instance_name \
                    and environment.status in (Status.AVAILABLE, Status.STOPPED):
                try:
                    notebook_status = backend.notebook_status(
                        notebook_name=environment.notebook_instance_name)
                except NotFound:
                    notebook_status = "Deleted"
            report[environment_reconcile_observed(
                environment_id=environment.pk,
                seen=Observed(product=seen, notebook_status=notebook_status),
                backend=backend)] += 1
    return dict(report)


def counted_fake() -> None:
    """Mark the fake AWS's work, so the SQL counter leaves its statements out."""
    from fakeaws import hook

    answer = hook._answer  # noqa: SLF001 - the bench wraps the fake's entry point

    def marked(*args: Any, **kwargs: Any) -> Any:
        IN_FAKE[0] = True
        try:
            return answer(*args, **kwargs)
        finally:
            IN_FAKE[0] = False

    hook._answer = marked  # noqa: SLF001


def measure(run: Callable[[], dict[str, int]], *, memory: bool) -> dict[str, Any]:
    from django.db import connection

    from fakeaws.models import CallLog

    statements = [0]

    def count(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        if not IN_FAKE[0]:
            statements[0] += 1
        return execute(sql, params, many, context)

    CallLog.objects.all().delete()
    if memory:
        tracemalloc.start()
    with connection.execute_wrapper(count):
        begin = time.perf_counter()
        report = run()
        seconds = time.perf_counter() - begin
    peak = 0
    if memory:
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    calls = Counter(CallLog.objects.exclude(service="sts").values_list("operation", flat=True))
    return {"report": report, "seconds": seconds, "sql": statements[0], "calls": calls,
            "peak": peak}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, default=10)
    parser.add_argument("--projects", type=int, default=20, help="per account")
    parser.add_argument("--environments", type=int, default=100, help="per project")
    parser.add_argument("--baseline-projects", type=int, default=10,
                        help="projects the old per-project reconcile is run for (scaled up)")
    options = parser.parse_args(argv)
    django_start("bench-reconcile")
    from django.conf import settings
    from django.db import connection

    from portal.models import User
    from provisioning.reconcile import environments_reconcile
    from tests.provisioning.reconcile_fleet import fleet_create

    begin = time.monotonic()
    owner = User.objects.create(username="bench.owner", email="bench@bank.example")
    fleet = fleet_create(accounts=options.accounts, projects_per_account=options.projects,
                         environments_per_project=options.environments, owner=owner)
    total = len(fleet.environment_ids)
    print(f"database: {connection.vendor}; {total} environments in {options.accounts} accounts, "
          f"{options.accounts * options.projects} projects, made in "
          f"{time.monotonic() - begin:.1f} s")
    counted_fake()
    # With DEBUG Django keeps the last 9,000 statements in connection.queries, which would be
    # counted in the memory peak: off for the measured runs.
    settings.DEBUG = False
    projects = options.accounts * options.projects
    sample = min(options.baseline_projects, projects)
    scale = projects / sample
    results = {}
    for name, run, expected in (
            ("per-project", lambda: reconcile_per_project(projects=sample),
             sample * options.environments),
            ("per-account", environments_reconcile, total)):
        timed = measure(run, memory=False)
        assert timed["report"] == {"unchanged": expected}, timed["report"]
        timed["peak"] = measure(run, memory=True)["peak"]
        results[name] = timed
        calls = ", ".join(f"{op} {n}" for op, n in sorted(timed["calls"].items()))
        print(f"{name:>12}: {timed['seconds']:8.1f} s, {sum(timed['calls'].values()):6d} AWS "
              f"calls ({calls}), {timed['sql']:6d} SQL statements, peak "
              f"{timed['peak'] / 2**20:6.1f} MiB, for {expected} environments")
    old, new = results["per-project"], results["per-account"]
    old_seconds, old_calls = old["seconds"] * scale, sum(old["calls"].values()) * scale
    old_sql = old["sql"] * scale
    print(f"per-project scaled from {sample} to {projects} projects: {old_seconds:.0f} s, "
          f"{old_calls:.0f} AWS calls, {old_sql:.0f} SQL statements")
    print(f"ratio old/new: time {old_seconds / new['seconds']:.0f}x, AWS calls "
          f"{old_calls / sum(new['calls'].values()):.0f}x, SQL {old_sql / new['sql']:.0f}x, "
          f"peak memory {old['peak'] / new['peak']:.1f}x")

if __name__ == "__main__":
    main()
