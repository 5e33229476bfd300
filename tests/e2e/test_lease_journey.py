"""Issue 14's lease journey in a real browser: the lease on the request form, the warning (the
e-mail and the lease page), a one-click extension request, the manager's approval."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from django.core import mail

from approvals.models import Request
from leases.services import lease_enforce
from leases.sweep import leases_sweep
from portal.models import Project, User
from provisioning.models import Environment
from tests.e2e.conftest import demo_catalog_curated, demo_catalog_worker, sign_in_through_idp
from tests.provisioning.worker import WorkerProcess

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def worker() -> Iterator[WorkerProcess]:
    with demo_catalog_worker(operation_seconds=0) as process:
        yield process


def _sign_out(page: Any, url: str) -> None:
    page.click("text=Sign out")
    page.wait_for_url(f"{url}/accounts/login/")


def test_a_data_scientist_is_warned_and_extends_the_lease_with_the_managers_approval(
        page: Any, live_server: Any, live_idp: Any, worker: WorkerProcess, scientist: User,
        manager: User, project: Project, settings: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    url = live_server.url
    settings.PORTAL_BASE_URL = url
    settings.FAKEAWS_CATALOG_FILE = ""
    settings.FAKEAWS_CONSISTENCY_SECONDS = 0
    project.lease_max_days = 30
    project.save(update_fields=["lease_max_days"])
    demo_catalog_curated()

    # The request form offers the lease (the portal's default, at most the project's 30 days).
    sign_in_through_idp(page, url, "dana.scientist")
    page.click("nav.nav a[data-nav='approvals:request_list']")
    page.click("#request-something a:has-text('SageMaker notebook instance')")
    lease = page.locator("[name=req-lease_days]")
    assert lease.input_value() == "30" and lease.get_attribute("max") == "30"
    assert "at most 30 days" in page.inner_text("#id_req-lease_days_helptext")
    lease.fill("5")
    page.fill("[name=NotebookInstanceName]", "dana-lease-1")
    page.select_option("select[name='req-tag:workload']", "notebook")
    page.select_option("select[name='req-tag:data-classification']", "internal")
    page.fill("[name=req-justification]", "A short experiment.")
    page.click("#submit-request")
    assert page.inner_text("#request-status") == "Approved"  # a CPU notebook: auto-approved
    assert page.inner_text("#lease-days") == "5 days"

    environment = Environment.objects.get()
    assert environment.expires_at is not None
    page.goto(f"{url}/environments/")
    page.locator("#environments [data-status]:has-text('Available')").wait_for(timeout=60_000)
    assert f"{environment.expires_at:%Y-%m-%d %H:%M}" in page.inner_text("#environments")

    # Beat's sweep and the worker's task (run here, where the mail outbox is): five days left,
    # so the seven-day warning goes out by e-mail with the one-click link.
    # The sweep's own hand-off to the worker is held back: the real worker of this test would
    # otherwise take the task first (it did, on PostgreSQL in CI) and the mail would go to its
    # outbox, not this process's; what was dispatched is run here instead.
    mail.outbox.clear()
    sent: list[Any] = []
    with monkeypatch.context() as held:
        held.setattr("leases.sweep.task_enqueue_on_commit",
                     lambda task, *args: sent.append(args))
        dispatched = leases_sweep().dispatched
    assert dispatched and sent == [(environment_id,) for environment_id in dispatched]
    for environment_id in dispatched:
        assert lease_enforce(environment_id=environment_id) == "warned"
    warning = next(m for m in mail.outbox if "Lease ends" in m.subject)
    assert warning.to == ["dana.scientist@bank.example"]
    link = re.search(r"Request an extension: (\S+)", warning.body)
    assert link is not None and link.group(1) == f"{url}/leases/{environment.pk}/"

    page.goto(link.group(1))
    assert "warning sent" in page.inner_text("#lease-state")
    assert "Warning sent" in page.inner_text("#lease-history")
    page.fill("#extension-days", "14")  # over the demo's seven days at once: the manager
    page.fill("#extension-justification", "The model needs two more weeks of training.")
    page.click("#request-extension")
    assert page.inner_text("#request-status") == "Pending approval"
    assert "Requester's manager" in page.inner_text("#timeline")
    assert page.inner_text("#lease-days") == "14 days more"
    _sign_out(page, url)

    sign_in_through_idp(page, url, "maria.manager")
    page.click("nav.nav a[data-nav='approvals:inbox']")
    assert "Extend an environment's lease" in page.inner_text("#inbox")
    page.click("#inbox a")
    assert page.inner_text("#lease-days") == "14 days more"
    page.fill("[name=comment]", "Two weeks, then we review.")
    with page.expect_navigation(url=f"{url}/requests/inbox/"):
        page.click("#approve")
    _sign_out(page, url)

    request = Request.objects.get(action="extend")
    assert request.status == Request.Status.APPROVED and request.handed_off_at is not None
    before = environment.expires_at
    environment.refresh_from_db()
    assert environment.expires_at == before + timedelta(days=14)
    sign_in_through_idp(page, url, "dana.scientist")
    page.goto(f"{url}/environments/{environment.pk}/")
    assert f"{environment.expires_at:%Y-%m-%d %H:%M}" in page.inner_text("#lease-ends")
    assert page.inner_text("[data-note]").startswith("Active.")
