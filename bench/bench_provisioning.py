"""Benchmark: approval-to-ProvisionProduct latency and end-to-end provisioning throughput.

Real Celery worker processes on the real broker (the filesystem transport, or Redis when
CELERY_BROKER_URL says so) provision through the one boto3 backend on the fake AWS with zero delay
(FAKEAWS_OPERATION_SECONDS=0, FAKEAWS_CONSISTENCY_SECONDS=0), into a throwaway
SQLite database under a temporary PORTAL_VAR_DIR, or into DATABASE_URL when set (use an empty,
throwaway database: the script migrates it and adds rows).

* latency: ``--latency N`` approvals handed off one at a time (as approvals commit them); for each,
  the time from the hand-off's commit to the fake AWS receiving ProvisionProduct. Median and p99.
* throughput: ``--throughput N`` approvals handed off at once; requests per second until every one
  is available, with ``--workers`` worker processes.

    .venv/bin/python bench/bench_provisioning.py [--latency 200] [--throughput 500] [--workers 2]

Figures on the shared 2-core dev box (2026-11-22), two solo-pool workers, measured on the in-house
provisioning stand-in that the fake AWS replaced (the fake does more per call: re-measure):
    PostgreSQL 15 + Redis      latency median 19 ms, p99 34 ms (200 approvals);
                               throughput 500 approvals in 26.4 s: 18.9 requests/s
    SQLite + filesystem broker latency median 556 ms, p99 1,083 ms (the transport polls once a
                               second); throughput 500 in 16.9 s: 29.6 requests/s
DescribeRecord calls for a ten-minute provisioning: at most 12 (5 s doubling to 60 s, +10-30 %
jitter), asserted by tests/provisioning/test_describe_record_budget.py.
"""

from __future__ import annotations

import argparse
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
# The fake AWS answers at once: the benchmark measures the portal, not the fake's clock.
FAKE_AT_ONCE = {"FAKEAWS_OPERATION_SECONDS": "0", "FAKEAWS_CONSISTENCY_SECONDS": "0",
                "PORTAL_AWS_MODE": "fake"}


def start_workers(count: int) -> list[subprocess.Popen[bytes]]:
    env = {**os.environ, **FAKE_AT_ONCE, "PORTAL_FOLLOW_FIRST_SECONDS": "0",
           "LOG_LEVEL": "WARNING"}
    workers = [
        subprocess.Popen([sys.executable, "-m", "celery", "-A", "config", "worker", "--pool=solo",
                          "--loglevel=WARNING", "--without-gossip", "--without-mingle",
                          "--without-heartbeat", "-n", f"bench{i}-{os.getpid()}@%h"],
                         cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for i in range(count)
    ]
    time.sleep(4)  # worker start-up (imports, broker connection)
    return workers


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--latency", type=int, default=200)
    parser.add_argument("--throughput", type=int, default=500)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--spacing", type=float, default=0.05,
                        help="seconds between hand-offs in the latency run")
    args = parser.parse_args()

    os.environ.setdefault("PORTAL_VAR_DIR", tempfile.mkdtemp(prefix="bench-provisioning-"))
    os.environ.setdefault("DEBUG", "true")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.update(FAKE_AT_ONCE)
    os.environ["PORTAL_FOLLOW_FIRST_SECONDS"] = "0"
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import transaction
    from django.utils import timezone

    from approvals.models import Request
    from catalog.models import LaunchPath, Product, ProductVersion
    from fakeaws.baseline import baseline_for
    from fakeaws.models import Record
    from portal.models import Project, User
    from provisioning.models import Environment
    from provisioning.services import environment_provision

    call_command("migrate", verbosity=0)
    base = baseline_for(account="111111111111", region="eu-west-1")
    project, _ = Project.objects.get_or_create(
        slug="bench", defaults={"name": "Bench", "cost_center": "CC-0", "environment": "dev",
                                "aws_account_id": "111111111111", "aws_region": "eu-west-1",
                                "aws_role_arn": base.project_role_arn,
                                "aws_external_id": base.project_role_external_id})
    user, _ = User.objects.get_or_create(username="bench.user", defaults={
        "email": "bench@bank.example", "owner_id": "AROABENCH:bench.user"})
    product, _ = Product.objects.get_or_create(
        aws_account_id="111111111111", aws_region="eu-west-1", product_id="prod-mldemonb0001",
        defaults={"name": "SageMaker notebook instance", "kind": "notebook_instance",
                  "published": True,
                  "output_mapping": {"notebook_instance_name": "NotebookInstanceName"}})
    version, _ = ProductVersion.objects.get_or_create(product=product,
                                                      artifact_id="pa-mldemonb0001v2",
                                                      defaults={"name": "v2"})
    LaunchPath.objects.get_or_create(product=product, path_id="lpv3-mldemonb0001a")
    network = {"SubnetId": base.subnets[0]["SubnetId"],
               "SecurityGroupIds": base.security_groups[0]["GroupId"],
               "KmsKeyId": base.kms_alias}

    def approve() -> tuple[Environment, float]:
        request = Request.objects.create(
            requester=user, project=project, product=product, version=version,
            parameters={"InstanceType": "ml.t3.medium", "VolumeSizeInGB": "20", **network},
            justification="bench", status=Request.Status.APPROVED, decided_at=timezone.now())
        with transaction.atomic():
            environment = environment_provision(request=request)
        assert environment is not None
        return environment, time.time()

    def wait_available(ids: list[object], timeout: float) -> None:
        deadline = time.time() + timeout
        while Environment.objects.filter(pk__in=ids, status="available").count() < len(ids):
            if time.time() > deadline:
                counts = Environment.objects.filter(pk__in=ids).values_list("status", flat=True)
                raise SystemExit(f"timed out; statuses: {sorted(set(counts))}")
            time.sleep(0.2)

    print(f"database {settings.DATABASES['default']['ENGINE'].rsplit('.', 1)[-1]}, "
          f"broker {settings.CELERY_BROKER_URL.split(':')[0]}, {args.workers} worker(s)")
    workers = start_workers(args.workers)
    try:
        if args.latency:
            handed: dict[object, float] = {}
            for _ in range(args.latency):
                environment, at = approve()
                handed[environment.pk] = at
                time.sleep(args.spacing)
            wait_available(list(handed), timeout=300)
            received = {  # the fake's record: when ProvisionProduct reached "AWS"
                _environment_of(r.product.tags): r.created_at.timestamp()
                for r in Record.objects.select_related("product")
                .filter(record_type="PROVISION_PRODUCT")
            }
            latencies = [(received[pk] - at) * 1000 for pk, at in handed.items() if pk in received]
            median, p99 = statistics.median(latencies), percentile(latencies, 0.99)
            print(f"latency over {len(latencies)} approvals: median {median:.0f} ms, "
                  f"p99 {p99:.0f} ms")
        if args.throughput:
            started = time.time()
            ids = [approve()[0].pk for _ in range(args.throughput)]
            handed_off = time.time() - started
            wait_available(ids, timeout=1800)
            elapsed = time.time() - started
            print(f"throughput: {args.throughput} approvals handed off in {handed_off:.1f} s, all "
                  f"available after {elapsed:.1f} s: {args.throughput / elapsed:.1f} requests/s")
    finally:
        for worker in workers:
            worker.send_signal(signal.SIGTERM)
        for worker in workers:
            worker.wait(timeout=30)


def _environment_of(tags: dict[str, str]) -> object:
    import uuid

    return uuid.UUID(tags["portal-environment"])


if __name__ == "__main__":
    main()
