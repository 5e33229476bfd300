"""Benchmark: approval-to-ProvisionProduct latency and end-to-end provisioning throughput,
each next to the same Celery round trip with a no-op task (the baseline), measured in the same run.

Real Celery worker processes on the real broker (the filesystem transport, or Redis when
CELERY_BROKER_URL says so) provision through the one boto3 backend on the fake AWS with zero delay
(FAKEAWS_OPERATION_SECONDS=0, FAKEAWS_CONSISTENCY_SECONDS=0), into a throwaway SQLite database
under a temporary PORTAL_VAR_DIR, or into DATABASE_URL when set (use an empty, throwaway database:
the script migrates it and adds rows). The catalog is the fake's demo catalog, synced by the
portal's own catalog sync, so the requests carry what a real one does (the name the portal fills).

* baseline: ``bench.noop`` (bench/bench_tasks.py) sent the way the hand-off sends its task; the
  time from sending to the task starting in a worker, one at a time and N at once.
* latency: ``--latency N`` approvals handed off one at a time (as approvals commit them); for each,
  the time from the hand-off's commit to the fake AWS receiving ProvisionProduct. Median and p99.
* throughput: ``--throughput N`` approvals handed off at once; requests per second until every one
  is available, with ``--workers`` worker processes. A provisioning that fails stops the bench
  with AWS's message (it used to wait for "available" forever).

    .venv/bin/python bench/bench_provisioning.py [--latency 20] [--throughput 60] [--workers 2]

Figures: README, "Benchmarks". DescribeRecord calls for a ten-minute provisioning: at most 12
(5 s doubling to 60 s, +10-30 % jitter), asserted by
tests/provisioning/test_describe_record_budget.py.
"""

from __future__ import annotations

import argparse
import os
import signal
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench_django import ROOT, django_start

# The fake AWS answers at once: the benchmark measures the portal, not the fake's clock.
FAKE_AT_ONCE = {"FAKEAWS_OPERATION_SECONDS": "0", "FAKEAWS_CONSISTENCY_SECONDS": "0",
                "PORTAL_AWS_MODE": "fake", "PORTAL_FOLLOW_FIRST_SECONDS": "0"}
ACCOUNT, REGION = "111111111111", "eu-west-1"


def start_workers(count: int, log_dir: Path) -> list[subprocess.Popen[bytes]]:
    env = {**os.environ, **FAKE_AT_ONCE, "LOG_LEVEL": "WARNING"}
    workers = []
    for i in range(count):
        log = open(log_dir / f"worker{i}.log", "wb")  # noqa: SIM115 (the worker's lifetime)
        workers.append(subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "config", "worker", "--pool=solo",
             "--loglevel=WARNING", "--without-gossip", "--without-mingle", "--without-heartbeat",
             "-I", "bench.bench_tasks", "-n", f"bench{i}-{os.getpid()}@%h"],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT))
    return workers


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def noop_runs(log: Path) -> list[tuple[float, float]]:
    if not log.exists():
        return []
    return [(float(a), float(b)) for a, b in
            (line.split() for line in log.read_text().splitlines() if line.strip())]


def wait_for(done: Callable[[], bool], *, timeout: float, what: str) -> None:
    deadline = time.time() + timeout
    while not done():
        if time.time() > deadline:
            raise SystemExit(f"timed out waiting for {what}")
        time.sleep(0.05)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--latency", type=int, default=20)
    parser.add_argument("--throughput", type=int, default=60)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--spacing", type=float, default=0.2,
                        help="pause after each one finished in the latency runs")
    parser.add_argument("--rate", type=float, default=0.0,
                        help="throughput run: approvals handed off per second (0: all at once, "
                             "which measures the queue once it outgrows the workers)")
    args = parser.parse_args(argv)

    os.environ.update(FAKE_AT_ONCE)
    django_start("bench-provisioning")
    var_dir = Path(os.environ["PORTAL_VAR_DIR"])
    from django.conf import settings

    from config.celery import app

    approve = _portal_setup()
    print(f"database {settings.DATABASES['default']['ENGINE'].rsplit('.', 1)[-1]}, "
          f"broker {settings.CELERY_BROKER_URL.split(':')[0]}, {args.workers} worker(s), "
          f"load average {os.getloadavg()[0]:.1f} at the start")
    workers = start_workers(args.workers, var_dir)
    noop_log = var_dir / "noop.log"

    def noop_send() -> None:
        app.send_task("bench.noop", args=(time.time(), str(noop_log)))

    try:
        noop_send()  # the workers are up once the first no-op has run
        wait_for(lambda: len(noop_runs(noop_log)) >= 1, timeout=120, what="the workers")
        noop_log.unlink()
        if args.latency:
            _latency(args, approve, noop_send, noop_log)
        if args.throughput:
            _throughput(args, approve, noop_send, noop_log)
    finally:
        for worker in workers:
            worker.send_signal(signal.SIGTERM)
        for worker in workers:
            worker.wait(timeout=30)
    print(f"load average {os.getloadavg()[0]:.1f} at the end (the machine is shared)")


def _latency(args: Any, approve: Callable[[], tuple[Any, float]], noop_send: Callable[[], None],
             noop_log: Path) -> None:
    """One at a time, each after the previous one finished: the latency of an idle system, not
    the queueing of a backlog (hand-offs faster than the workers go only measure the queue)."""
    from fakeaws.models import Record

    for done in range(args.latency):
        noop_send()
        wait_for(lambda n=done + 1: len(noop_runs(noop_log)) >= n, timeout=60, what="a no-op")
        time.sleep(args.spacing)
    base = [(ran - sent) * 1000 for sent, ran in noop_runs(noop_log)]
    noop_log.unlink()

    handed: dict[Any, float] = {}
    for _ in range(args.latency):
        environment, at = approve()
        handed[environment.pk] = at
        _wait_available([environment.pk], timeout=120)
        time.sleep(args.spacing)
    received = {  # the fake's record: when ProvisionProduct reached "AWS"
        _environment_of(r.product.tags): r.created_at.timestamp()
        for r in Record.objects.select_related("product").filter(record_type="PROVISION_PRODUCT")
    }
    latencies = [(received[pk] - at) * 1000 for pk, at in handed.items() if pk in received]
    for name, values in (("no-op task", base), ("approval -> ProvisionProduct", latencies)):
        print(f"latency, {name}, {len(values)} one at a time: median "
              f"{statistics.median(values):.0f} ms, p99 {percentile(values, 0.99):.0f} ms")
    ratio = statistics.median(latencies) / statistics.median(base)
    print(f"ratio to the no-op: median x{ratio:.1f}")


def _throughput(args: Any, approve: Callable[[], tuple[Any, float]],
                noop_send: Callable[[], None], noop_log: Path) -> None:
    started = time.time()
    for _ in range(args.throughput):
        noop_send()
    wait_for(lambda: len(noop_runs(noop_log)) >= args.throughput, timeout=600, what="no-ops")
    noop_rate = args.throughput / (max(ran for _, ran in noop_runs(noop_log)) - started)

    started = time.time()
    ids, handed = [], {}
    seen: dict[Any, float] = {}
    for n in range(args.throughput):
        if args.rate:  # paced: the n-th hand-off at n / rate seconds, watching meanwhile
            while (left := started + n / args.rate - time.time()) > 0:
                _seen_available(ids, seen)
                time.sleep(min(0.2, left))
        environment, at = approve()
        ids.append(environment.pk)
        handed[environment.pk] = at
    handed_off = time.time() - started
    done = _wait_available(ids, timeout=1200, seen=seen)
    elapsed = time.time() - started
    rate = args.throughput / elapsed
    took = [done[pk] - at for pk, at in handed.items()]
    pace = f"{args.rate:g} a second" if args.rate else "at once"
    print(f"throughput, no-op task: {args.throughput} at once, {noop_rate:.1f} tasks/s")
    print(f"throughput, provisioning: {args.throughput} approvals handed off {pace} in "
          f"{handed_off:.1f} s, all available after {elapsed:.1f} s: {rate:.2f} requests/s "
          f"(x{noop_rate / rate:.1f} the no-op's time per item); hand-off to available median "
          f"{statistics.median(took):.1f} s, p95 {percentile(took, 0.95):.1f} s, first ten "
          f"{statistics.median(took[:10]):.1f} s, last ten {statistics.median(took[-10:]):.1f} s "
          f"(the same when the workers keep up)")


def _portal_setup() -> Callable[[], tuple[Any, float]]:
    """The project on the fake's baseline role, the demo catalog synced by the portal's own sync,
    and a function that approves one notebook request and hands it off (as approvals does)."""
    from django.db import transaction
    from django.utils import timezone

    from approvals.models import Request
    from catalog.models import Product
    from catalog.sync import catalog_sync, sync_run_start
    from fakeaws.baseline import baseline_for
    from portal.models import Project, User
    from provisioning.models import Environment
    from provisioning.services import environment_provision

    base = baseline_for(account=ACCOUNT, region=REGION)
    project, _ = Project.objects.get_or_create(
        slug="bench", defaults={"name": "Bench", "cost_center": "CC-0", "environment": "dev",
                                "aws_account_id": ACCOUNT, "aws_region": REGION,
                                "aws_role_arn": base.project_role_arn,
                                "aws_external_id": base.project_role_external_id})
    user, _ = User.objects.get_or_create(username="bench.user", defaults={
        "email": "bench@bank.example", "owner_id": "AROABENCH:bench.user"})
    run = catalog_sync(run=sync_run_start(trigger="command"))
    if run.status != "succeeded":
        raise SystemExit(f"catalog sync failed: {run.errors}")
    product = Product.objects.get(aws_account_id=ACCOUNT, product_id="prod-mldemonb0001")
    product.kind, product.published = Product.Kind.NOTEBOOK_INSTANCE, True
    product.save()
    version = product.versions.get(artifact_id="pa-mldemonb0001v2")
    assert version is not None
    known = {"SubnetId": base.subnets[0]["SubnetId"],
             "SecurityGroupIds": base.security_groups[0]["GroupId"], "KmsKeyId": base.kms_alias,
             "InstanceType": "ml.t3.medium", "VolumeSizeInGB": "20"}
    parameters = {spec.key: known.get(spec.key, spec.default or "")
                  for spec in version.parameters.filter(retired_at__isnull=True)}

    def approve() -> tuple[Environment, float]:
        request = Request.objects.create(
            requester=user, project=project, product=product, version=version,
            parameters=parameters, justification="bench", status=Request.Status.APPROVED,
            decided_at=timezone.now())
        with transaction.atomic():
            environment = environment_provision(request=request)
        assert environment is not None
        return environment, time.time()

    return approve


def _seen_available(ids: list[Any], seen: dict[Any, float]) -> None:
    """One look: note when each environment of ``ids`` not yet in ``seen`` is first seen
    available; stop the bench at the first failed one, with its message."""
    from provisioning.models import Environment

    rows = Environment.objects.filter(pk__in=ids)
    failed = rows.filter(status="failed").values_list("status_message", flat=True).first()
    if failed is not None:
        raise SystemExit(f"a provisioning failed: {failed}")
    now = time.time()
    for pk in rows.filter(status="available").exclude(pk__in=list(seen)).values_list(
            "pk", flat=True):
        seen[pk] = now


def _wait_available(ids: list[Any], timeout: float,
                    seen: dict[Any, float] | None = None) -> dict[Any, float]:
    """Wait until every environment is available; returns when each was seen available.
    ``seen``: what a paced run already saw while it was still handing off (without it, an
    environment ready during the hand-offs counted as ready only once the last was handed
    off, which made the first ten look like the slowest)."""
    from provisioning.models import Environment

    deadline = time.time() + timeout
    seen = {} if seen is None else seen
    while True:
        _seen_available(ids, seen)
        if len(seen) == len(ids):
            return seen
        if time.time() > deadline:
            statuses = sorted(set(Environment.objects.filter(pk__in=ids)
                                  .values_list("status", flat=True)))
            raise SystemExit(f"timed out; statuses: {statuses}")
        time.sleep(0.2)


def _environment_of(tags: dict[str, str]) -> object:
    import uuid

    return uuid.UUID(tags["portal-environment"])


if __name__ == "__main__":
    main()
