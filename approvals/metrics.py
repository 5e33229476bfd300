"""Scrape-time metrics of the approval workflow (listed in PORTAL_METRICS_COLLECTORS)."""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client.core import Metric

from approvals.models import Request
from portal.metrics import count_by, duration_histogram


def request_families() -> Iterator[Metric]:
    yield count_by("portal_requests", "Approval requests by status.", Request.objects.all(),
                   field="status", choices=Request.Status.values)
    yield duration_histogram(
        "portal_request_decision_seconds", "From a request to its decision (approved or "
        "rejected).", Request.objects.filter(
            status__in=[Request.Status.APPROVED, Request.Status.REJECTED]),
        start="created_at", end="decided_at")
