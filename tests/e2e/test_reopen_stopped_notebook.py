"""Reopening a notebook stopped overnight, the most common path: Open on a Stopped notebook starts
it, the waiting page opens it by itself once it is in service, and its Open button works too.

Both used to fail with "This form has expired" (403): the waiting page was served with
`Referrer-Policy: no-referrer`, so the browser sent its POSTs with `Origin: null`, which Django's
CSRF check refuses. Real pieces: chromium, the live portal, the dev IdP, a Celery worker on the
broker, the one boto3 backend on the fake AWS (4 s per operation: long enough to click the
button while the notebook starts).
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
def worker() -> Iterator[WorkerProcess]:
    with demo_catalog_worker(operation_seconds=4) as process:
        yield process


def test_open_on_a_stopped_notebook_starts_it_and_opens_it_by_itself_and_by_the_button(
        page: Any, live_server: Any, live_idp: Any, worker: WorkerProcess,
        scientist: User, project: Project, settings: Any) -> None:
    url = live_server.url
    settings.PORTAL_BASE_URL = url
    settings.FAKEAWS_CATALOG_FILE = ""
    settings.FAKEAWS_CONSISTENCY_SECONDS = 0
    demo_catalog_curated()
    forbidden: list[str] = []
    page.on("response", lambda r: forbidden.append(r.url) if r.status == 403 else None)

    sign_in_through_idp(page, url, "dana.scientist")
    page.goto(f"{url}/catalog/")
    page.click("nav.nav a[data-nav='approvals:request_list']")
    page.click("#request-something a:has-text('SageMaker notebook instance')")
    page.fill("[name=NotebookInstanceName]", "dana-overnight")
    page.select_option("select[name='req-tag:workload']", "notebook")
    page.select_option("select[name='req-tag:data-classification']", "internal")
    page.fill("[name=req-justification]", "Keep working on yesterday's model.")
    page.click("#submit-request")
    assert page.inner_text("#request-status") == "Approved"
    environment = _wait_for_status(page, url, "Available")

    # Stopped overnight.
    page.click("[data-stop-form] button")
    page.locator("#environment [data-status]:has-text('Stopped')").wait_for(timeout=60_000)

    # Open: the portal starts it and shows the waiting page, whose button works while it starts...
    page.click("#environment [data-open-form] button")
    page.wait_for_selector("h1:has-text('Starting')")
    assert page.locator("[data-open-form]").count() == 1
    page.evaluate("document.querySelector('[data-open-form]').hidden = false")
    page.click("[data-open-form] button")
    page.wait_for_selector("h1:has-text('Starting')")
    assert "This form has expired" not in page.content()

    # ...and which opens the notebook by itself once it is in service.
    page.wait_for_selector("[data-fakeaws-app='dana-overnight']", timeout=60_000)
    assert "/fakeaws/notebook/eu-west-1/dana-overnight/" in page.url
    assert forbidden == []
    environment.refresh_from_db()
    assert environment.status == Environment.Status.AVAILABLE
    assert environment.events.filter(kind="launch").exists()


def _wait_for_status(page: Any, url: str, label: str) -> Environment:
    page.goto(f"{url}/environments/")
    row = page.locator("#environments tr[data-environment]")
    row.locator(f"[data-status]:has-text('{label}')").wait_for(timeout=60_000)
    environment = Environment.objects.get()
    page.goto(f"{url}/environments/{environment.pk}/")
    return environment
