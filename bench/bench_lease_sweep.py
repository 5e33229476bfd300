"""Benchmark: the lease sweep over 20,000 environments, time and queries per batch.

Into a throwaway SQLite database under a temporary PORTAL_VAR_DIR, or into DATABASE_URL when set
(use an empty, throwaway database: the script migrates it and adds rows).

* ``--environments N`` (20,000) available notebooks with leases, ``--due`` of them (2,000) due
  now (a warning), the rest due later; ``--missing`` (1,000) more without a lease (from before
  leases existed).
* The sweep runs as beat runs it, batch after batch (``PORTAL_LEASE_SWEEP_BATCH``, 500) until
  nothing is due: the time and the queries of each batch (the tasks it sends are counted, not
  sent: the broker is not what is measured here).
* Then ``--enforce`` (200) of the due leases' tasks run ``lease_enforce`` in this process (a
  warning each: the timeline, the audit event, the e-mail queued on commit, not sent).

    .venv/bin/python bench/bench_lease_sweep.py [--environments 20000] [--due 2000]

Figures are in the README ("Benchmarks").
"""

from __future__ import annotations

import argparse
import statistics
import time
import uuid
from datetime import timedelta

from bench_django import django_start


def populate(total: int, due: int, missing: int) -> None:
    from django.db import transaction
    from django.utils import timezone

    from approvals.models import Request
    from catalog.models import Product, ProductVersion
    from leases.models import Lease
    from portal.models import Project, User
    from provisioning.models import Environment

    now = timezone.now()
    owner = User.objects.create(username="bench.owner", email="bench@bank.example")
    project = Project.objects.create(slug="bench", name="Bench", cost_center="CC-1",
                                     environment="dev", aws_account_id="111111111111",
                                     aws_region="eu-west-1")
    product = Product.objects.create(aws_account_id="111111111111", aws_region="eu-west-1",
                                     product_id="prod-bench", name="Notebook",
                                     kind=Product.Kind.NOTEBOOK_INSTANCE, published=True)
    version = ProductVersion.objects.create(product=product, artifact_id="pa-bench", name="v1")
    for start in range(0, total + missing, 2000):
        size = min(2000, total + missing - start)
        with transaction.atomic():
            requests = Request.objects.bulk_create(
                Request(requester=owner, project=project, product=product, version=version,
                        justification="bench", status=Request.Status.APPROVED,
                        number=1_000_000 + start + i)  # bulk_create skips save()'s numbering
                for i in range(size))
            environments = Environment.objects.bulk_create(
                Environment(id=uuid.uuid4(), origin_request=r, owner=owner, project=project,
                            product=product, version=version, status="available",
                            provisioned_product_name=f"bench-{start + i}",
                            notebook_instance_name=f"bench-{start + i}",
                            expires_at=now + timedelta(days=5 if start + i < due else 20))
                for i, r in enumerate(requests))
            Lease.objects.bulk_create(
                Lease(environment=e,
                      due_at=now - timedelta(minutes=1) if start + i < due
                      else now + timedelta(days=13))
                for i, e in enumerate(environments) if start + i < total)


def sweep_batches() -> list[tuple[float, int, int, int]]:
    """(seconds, queries, opened, dispatched) of each batch until nothing is left to do."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from leases import tasks
    from leases.sweep import leases_sweep

    sent: list[str] = []
    tasks.lease_enforce_task.apply_async = (  # type: ignore[method-assign]
        lambda args=(), **kw: sent.append(args[0]))
    batches = []
    while True:
        with CaptureQueriesContext(connection) as queries:
            begin = time.perf_counter()
            report = leases_sweep()
            seconds = time.perf_counter() - begin
        if not report.opened and not report.dispatched:
            break
        batches.append((seconds, len(queries), report.opened, len(report.dispatched)))
    global DISPATCHED
    DISPATCHED = sent
    return batches


DISPATCHED: list[str] = []


def enforce(count: int) -> tuple[list[float], list[int]]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from leases.services import lease_enforce
    from portal import notifications

    notifications.email_enqueue = lambda *, messages: None  # type: ignore[assignment]
    seconds, queries = [], []
    for environment_id in DISPATCHED[:count]:
        with CaptureQueriesContext(connection) as captured:
            begin = time.perf_counter()
            outcome = lease_enforce(environment_id=environment_id)
            seconds.append(time.perf_counter() - begin)
        assert outcome == "warned", outcome
        queries.append(len(captured))
    return seconds, queries


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--environments", type=int, default=20_000)
    parser.add_argument("--due", type=int, default=2_000)
    parser.add_argument("--missing", type=int, default=1_000)
    parser.add_argument("--enforce", type=int, default=200)
    options = parser.parse_args(argv)
    django_start("bench-lease")
    from django.conf import settings
    from django.db import connection

    print(f"database: {connection.vendor}, batch {settings.PORTAL_LEASE_SWEEP_BATCH}")
    begin = time.monotonic()
    populate(options.environments, options.due, options.missing)
    print(f"{options.environments} environments with leases ({options.due} due), "
          f"{options.missing} without, made in {time.monotonic() - begin:.1f} s")
    batches = sweep_batches()
    for seconds, queries, opened, dispatched in batches:
        print(f"  batch: {seconds * 1000:7.1f} ms, {queries:2d} queries, opened {opened:4d}, "
              f"sent {dispatched:4d}")
    total = sum(b[0] for b in batches)
    print(f"sweep: {len(batches)} batches, {total:.2f} s in all, "
          f"{sum(b[3] for b in batches)} leases sent, {sum(b[2] for b in batches)} opened; "
          f"queries per batch {sorted({b[1] for b in batches})}")
    if options.enforce:
        seconds, queries = enforce(options.enforce)
        print(f"lease_enforce (a warning) x {len(seconds)}: median "
              f"{statistics.median(seconds) * 1000:.1f} ms, p99 "
              f"{sorted(seconds)[int(len(seconds) * 0.99) - 1] * 1000:.1f} ms, queries "
              f"{sorted(set(queries))}")



if __name__ == "__main__":
    main()
