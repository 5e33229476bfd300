"""Issue 5's browser journey: a data scientist requests an auto-approved notebook, watches it
become Available without reloading, opens it and lands on the fake AWS's notebook page.

Real pieces throughout: chromium, the live portal, the dev IdP, the approvals workflow, the broker
and a Celery worker process provisioning through the one boto3 backend on the fake AWS (its demo
catalog, synced and curated as `make demo` does).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest

from portal.models import Project, User
from provisioning.models import Environment
from tests.e2e.conftest import demo_catalog_curated, demo_catalog_worker, sign_in_through_idp
from tests.provisioning.worker import WorkerProcess

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def slow_worker() -> Iterator[WorkerProcess]:
    with demo_catalog_worker(operation_seconds=4) as process:
        yield process


def test_a_data_scientist_requests_a_notebook_watches_it_become_available_and_opens_it(
        page: Any, live_server: Any, live_idp: Any, slow_worker: WorkerProcess,
        scientist: User, project: Project, settings: Any) -> None:
    url = live_server.url
    settings.PORTAL_BASE_URL = url
    settings.FAKEAWS_CATALOG_FILE = ""
    settings.FAKEAWS_CONSISTENCY_SECONDS = 0
    demo_catalog_curated()

    sign_in_through_idp(page, url, "dana.scientist")
    page.click("nav.nav a[data-nav='approvals:request_list']")
    page.click("#request-something a:has-text('SageMaker notebook instance')")
    page.fill("[name=NotebookInstanceName]", "dana-nb-1")
    # The product's own TagOption and the portfolio's (read through the launch path).
    page.select_option("select[name='req-tag:workload']", "notebook")
    page.select_option("select[name='req-tag:data-classification']", "internal")
    page.fill("[name=req-justification]", "Explore this month's transactions.")
    page.click("#submit-request")
    assert page.inner_text("#request-status") == "Approved"  # a CPU notebook: auto-approved

    page.click("nav.nav a[data-nav='provisioning:environment_list']")
    row = page.locator("#environments tr[data-environment]")
    assert row.locator("[data-status]").inner_text() in ("Queued", "Provisioning")
    assert row.locator("[data-open-form]").is_hidden()
    page.evaluate("window.__notReloaded = true")
    row.locator("[data-status]:has-text('Available')").wait_for(timeout=60_000)
    assert page.evaluate("window.__notReloaded") is True  # updated in place, no reload
    assert row.locator("[data-open-form]").is_visible()

    row.locator("[data-open-form] button").click()
    page.wait_for_selector("[data-fakeaws-app='dana-nb-1']", timeout=15_000)
    assert "/fakeaws/notebook/eu-west-1/dana-nb-1/" in page.url
    environment = Environment.objects.get()
    assert environment.events.filter(kind="launch").exists()
