"""Scrape-time metrics of provisioning (listed in PORTAL_METRICS_COLLECTORS)."""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client.core import Metric

from portal.metrics import count_by, duration_histogram
from provisioning.models import Environment


def environment_families() -> Iterator[Metric]:
    yield count_by("portal_environments", "Environments by status.", Environment.objects.all(),
                   field="status", choices=Environment.Status.values)
    yield duration_histogram(
        "portal_provisioning_duration_seconds", "From an environment's creation to available.",
        Environment.objects.all(), start="created_at", end="available_at")
