"""Issue 10's browser journey: a project lead opens the project view from the menu and sees a
member's environment and request with the month's metered cost; a member who is no lead gets a
404.

Real pieces: chromium, the live portal, the dev IdP, the approvals workflow and the one boto3
backend on the fake AWS (its demo catalog); the provisioning runs in this process (the journey is
about the view), with the task messages kept off the broker. Its status edges are the ones the
metering reads.
"""

from __future__ import annotations

import os
from typing import Any

import pytest

from portal.models import Project, User
from provisioning import tasks
from tests.e2e.conftest import demo_catalog_curated, sign_in_through_idp
from tests.e2e.test_change_request_journey import _running_notebook

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_a_lead_sees_a_members_environment_and_request_and_a_member_gets_a_404(
        browser: Any, page: Any, live_server: Any, live_idp: Any, scientist: User,
        manager: User, project: Project, settings: Any,
        monkeypatch: pytest.MonkeyPatch) -> None:
    for task in (tasks.environment_provision_task, tasks.environment_follow_task):
        monkeypatch.setattr(task, "apply_async", lambda *a, **k: None)
        monkeypatch.setattr(task, "delay", lambda *a, **k: None)
    url = live_server.url
    settings.PORTAL_BASE_URL = url
    settings.FAKEAWS_CATALOG_FILE = ""
    settings.FAKEAWS_OPERATION_SECONDS = 0
    settings.FAKEAWS_CONSISTENCY_SECONDS = 0
    demo_catalog_curated()
    environment = _running_notebook(scientist, project)  # dana's, in the fraud project

    # maria.manager leads the fraud project (tests/conftest.py).
    sign_in_through_idp(page, url, "maria.manager")
    page.click("nav.nav a[data-nav='projects:project_list']")
    page.click("#projects a:has-text('Fraud detection')")
    row = page.locator(
        f"#project-environments tr[data-environment-name='{environment.provisioned_product_name}']")
    assert "Dana" in row.inner_text() and "Available" in row.inner_text()
    assert "about $36.50" in row.inner_text()  # ml.t3.medium running a month
    request_row = page.locator("#project-requests tbody tr").first
    assert "Dana" in request_row.inner_text() and "Approved" in request_row.inner_text()
    assert page.inner_text("#monthly-budget") == "$2000.00"
    assert page.inner_text("#month-to-date").startswith("$")
    assert page.locator("#people tr[data-person='dana.scientist']").is_visible()

    # Dana is a member, not a lead: no menu entry, and the page is a 404.
    member = browser.new_context().new_page()
    sign_in_through_idp(member, url, "dana.scientist")
    assert member.locator("nav.nav a[data-nav='projects:project_list']").count() == 0
    response = member.goto(f"{url}/projects/fraud/")
    assert response is not None and response.status == 404
    assert environment.provisioned_product_name not in member.content()
    member.context.close()
