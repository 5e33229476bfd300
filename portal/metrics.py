"""Prometheus metrics: counters for what happens in a process, DB-derived values at scrape time.

Two kinds of numbers, chosen by where their truth lives:

* **State** (environments by status, requests by status, decision and provisioning times,
  sign-in failures, queue depth, the last worker heartbeat) is read from the database or the
  broker by collectors when ``/metrics`` is scraped, in bounded queries. Every web process
  answers the same, whichever gunicorn worker takes the scrape.
* **Events** that leave no row (AWS calls and throttles, sweeper actions, e-mail failures) are
  prometheus_client counters, incremented in whichever process does the work: the web or a
  Celery worker. With ``PROMETHEUS_MULTIPROC_DIR`` set (the image does), each process writes its
  counters to a file in that folder and the scrape adds them up (prometheus_client's multiprocess
  mode); the folder is shared by the web and worker containers, and file names carry host name
  and pid so processes of two containers never share a file. Without it (development, tests) a
  counter counts in its own process only.

Collectors of other apps are listed in ``PORTAL_METRICS_COLLECTORS`` (dotted paths of callables
returning metric families), so this module names no app above it.
"""

from __future__ import annotations

import hmac
import os
import socket
from collections.abc import Callable, Iterable, Iterator
from datetime import timedelta
from functools import cache
from typing import Any

from django.conf import settings
from django.db.models import Count, DurationField, ExpressionWrapper, F, Q, Sum
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.module_loading import import_string
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from prometheus_client import CollectorRegistry, Counter, generate_latest, multiprocess, values
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from prometheus_client.registry import Collector

from portal.models import AuditEvent
from portal.worker_health import worker_last_answer

MULTIPROCESS_DIR = os.environ.get("PROMETHEUS_MULTIPROC_DIR", "")
if MULTIPROCESS_DIR:
    _HOST = socket.gethostname()
    # Distinct across containers sharing the folder (pids repeat between containers).
    values.ValueClass = values.MultiProcessValue(  # type: ignore[no-untyped-call]
        lambda: f"{_HOST}-{os.getpid()}")

COUNTERS = CollectorRegistry()

AWS_CALLS = Counter("portal_aws_calls", "AWS API requests sent (each attempt), by operation.",
                    ["service", "operation"], registry=COUNTERS)
AWS_THROTTLES = Counter("portal_aws_throttles", "AWS API requests answered with throttling.",
                        ["service", "operation"], registry=COUNTERS)
SWEEPER_ACTIONS = Counter("portal_sweeper_actions", "Work the periodic sweeps re-did or sent.",
                          ["sweep", "action"], registry=COUNTERS)
EMAIL_FAILURES = Counter("portal_email_failures", "E-mails that could not be sent, by kind.",
                         ["kind"], registry=COUNTERS)

# The error codes botocore's retry logic treats as throttling (botocore/retries/standard.py,
# ThrottledRetryableChecker), and HTTP 429.
THROTTLING_CODES = frozenset({
    "Throttling", "ThrottlingException", "ThrottledException", "RequestThrottledException",
    "TooManyRequestsException", "ProvisionedThroughputExceededException",
    "RequestLimitExceeded", "BandwidthLimitExceeded", "LimitExceededException",
    "RequestThrottled", "SlowDown", "EC2ThrottledException",
})
SIGN_IN_FAILURE_ACTIONS = {"auth.sign_in_failed": "sso", "auth.sign_in_locked": "locked"}


def aws_request_count(*, response: Any = None, operation: Any = None, **_: Any) -> None:
    """botocore ``needs-retry`` handler: runs once per attempt, fake AWS or real; returns None,
    so botocore's own retry decision stands."""
    if operation is None:
        return
    service = operation.service_model.service_id.hyphenize()
    AWS_CALLS.labels(service, operation.name).inc()
    if not response:
        return
    http_response, parsed = response
    code = (parsed or {}).get("Error", {}).get("Code")
    if code in THROTTLING_CODES or getattr(http_response, "status_code", None) == 429:
        AWS_THROTTLES.labels(service, operation.name).inc()


def aws_client_instrument(client: Any) -> None:
    """Count the requests of a boto3 client (portal.aws makes every client through here)."""
    client.meta.events.register("needs-retry", aws_request_count,
                                unique_id="portal-metrics-aws-requests")


def email_failed(*, kind: str, count: int = 1) -> None:
    """``count`` e-mails of ``kind`` (the notification's name) could not be sent."""
    EMAIL_FAILURES.labels(kind).inc(count)


def sweeper_actions_count(*, sweep: str, report: dict[str, int]) -> None:
    """Add a sweep's report (``{"redispatched": 2, ...}``) to the sweeper counter."""
    for action, count in report.items():
        if count:
            SWEEPER_ACTIONS.labels(sweep, action).inc(count)


def portal_families() -> Iterator[Metric]:
    """Sign-in failures (from the audit trail), the last worker heartbeat, broker queue depth."""
    failures = CounterMetricFamily("portal_sign_in_failures", "Failed or refused sign-ins.",
                                   labels=["reason"])
    counts = dict(AuditEvent.objects.filter(action__in=SIGN_IN_FAILURE_ACTIONS)
                  .values_list("action").annotate(n=Count("pk")).values_list("action", "n"))
    for action, reason in SIGN_IN_FAILURE_ACTIONS.items():
        failures.add_metric([reason], counts.get(action, 0))
    yield failures
    last = worker_last_answer()
    heartbeat = GaugeMetricFamily("portal_worker_last_answer_timestamp_seconds",
                                  "When a Celery worker last ran the heartbeat task (0: never).")
    heartbeat.add_metric([], last.timestamp() if last else 0)
    yield heartbeat
    yield from queue_depth_families()


def queue_depth_families() -> Iterator[Metric]:
    """Messages waiting in the task queue, asked of the broker with a short timeout."""
    from celery import current_app

    queue = current_app.conf.task_default_queue
    up = GaugeMetricFamily("portal_broker_up", "1 when the broker answered this scrape.")
    depth = GaugeMetricFamily("portal_queue_depth", "Tasks waiting in the broker queue.",
                              labels=["queue"])
    try:
        with current_app.connection_for_read() as connection:
            connection.ensure_connection(max_retries=1, timeout=2)
            channel = connection.default_channel
            try:
                _, waiting, _ = channel.queue_declare(queue=queue, passive=True)
            except connection.channel_errors:  # not declared yet: nothing ever waited there
                waiting = 0
    except Exception:  # any broker trouble is "down" for this scrape, never a failed scrape
        up.add_metric([], 0)
        yield up
        return
    up.add_metric([], 1)
    depth.add_metric([queue], waiting)
    yield up
    yield depth


class FamiliesCollector(Collector):
    """A prometheus_client collector made of functions returning metric families."""

    def __init__(self, sources: Iterable[Callable[[], Iterable[Metric]]]) -> None:
        self.sources = list(sources)

    def collect(self) -> Iterator[Metric]:
        for source in self.sources:
            yield from source()


@cache
def _sources() -> list[Callable[[], Iterable[Metric]]]:
    return [portal_families, *(import_string(path) for path in settings.PORTAL_METRICS_COLLECTORS)]


def metrics_registry() -> CollectorRegistry:
    """What one scrape reads: the counters (of all processes in multiprocess mode) and the
    DB-derived families."""
    if MULTIPROCESS_DIR:
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
    else:
        registry = COUNTERS
    scrape = CollectorRegistry()
    scrape.register(_RegistryCollector(registry))
    scrape.register(FamiliesCollector(_sources()))
    return scrape


class _RegistryCollector(Collector):
    def __init__(self, registry: CollectorRegistry) -> None:
        self.registry = registry

    def collect(self) -> Iterator[Metric]:
        yield from self.registry.collect()


def metrics_authorized(request: HttpRequest) -> bool:
    token = settings.PORTAL_METRICS_TOKEN
    given = request.headers.get("Authorization", "")
    return given.startswith("Bearer ") and hmac.compare_digest(
        given.removeprefix("Bearer ").encode(), token.encode())


@require_GET
@never_cache
def metrics_view(request: HttpRequest) -> HttpResponse:
    """``/metrics`` for Prometheus: 404 unless PORTAL_METRICS_TOKEN is set, 401 without it."""
    if not settings.PORTAL_METRICS_TOKEN:
        raise Http404("metrics are off")
    if not metrics_authorized(request):
        response = HttpResponse("A bearer token is required.", status=401,
                                content_type="text/plain")
        response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    return HttpResponse(generate_latest(metrics_registry()), content_type=CONTENT_TYPE_LATEST)


DURATION_BUCKETS = (60.0, 300.0, 900.0, 3600.0, 4 * 3600.0, 24 * 3600.0, 3 * 24 * 3600.0,
                    7 * 24 * 3600.0)


def duration_histogram(name: str, documentation: str, queryset: Any, *, start: str,
                       end: str) -> HistogramMetricFamily:
    """A histogram of ``end - start`` over the rows of ``queryset`` where both are set, counted
    by the database in one aggregate query (no rows are fetched), cumulative as Prometheus
    expects: rows are never deleted, so the histogram only grows."""
    rows = queryset.filter(**{f"{start}__isnull": False, f"{end}__isnull": False}).annotate(
        portal_duration=ExpressionWrapper(F(end) - F(start), output_field=DurationField()))
    aggregates = {f"le_{i}": Count("pk", filter=Q(portal_duration__lte=timedelta(seconds=b)))
                  for i, b in enumerate(DURATION_BUCKETS)}
    result = rows.aggregate(total=Count("pk"), seconds=Sum("portal_duration"), **aggregates)
    total = result["total"] or 0
    buckets = [(str(b), result[f"le_{i}"] or 0) for i, b in enumerate(DURATION_BUCKETS)]
    seconds = result["seconds"].total_seconds() if result["seconds"] else 0.0
    family = HistogramMetricFamily(name, documentation)
    family.add_metric([], [*buckets, ("+Inf", total)], sum_value=seconds)
    return family


def count_by(name: str, documentation: str, queryset: Any, *, field: str,
             choices: Iterable[str]) -> GaugeMetricFamily:
    """A gauge per value of ``field`` (every choice, zeros included), one GROUP BY query."""
    counts = dict(queryset.order_by().values_list(field).annotate(n=Count("pk"))
                  .values_list(field, "n"))
    family = GaugeMetricFamily(name, documentation, labels=[field])
    for choice in choices:
        family.add_metric([choice], counts.get(choice, 0))
    return family
