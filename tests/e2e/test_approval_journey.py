"""Issue 4's journey in a real browser: a GPU notebook request through two approvals."""

from __future__ import annotations

import os
from typing import Any

import pytest

from approvals.models import Request
from approvals.services import workflow
from portal.models import Project, User
from tests.e2e.conftest import demo_catalog_curated, sign_in_through_idp

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _sign_out(page: Any, url: str) -> None:
    page.click("text=Sign out")
    page.wait_for_url(f"{url}/accounts/login/")


@pytest.fixture
def handed_off(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The hand-off to provisioning, recorded: this journey ends at the approval, and leaves no
    task on the shared test broker (provisioning's own journeys run a worker)."""
    calls: list[str] = []
    monkeypatch.setattr(workflow, "request_hand_off",
                        lambda *, request: calls.append(str(request.pk)))
    return calls


def test_a_gpu_notebook_request_is_approved_by_the_manager_then_a_platform_admin(
    page: Any, live_server: Any, live_idp: Any, scientist: User, manager: User, project: Project,
    handed_off: list[str],
) -> None:
    url = live_server.url
    demo_catalog_curated()

    # The data scientist asks for a GPU notebook.
    sign_in_through_idp(page, url, "dana.scientist")
    page.click("nav.nav a[data-nav='approvals:request_list']")
    # The form's estimate script runs at the end of the page: wait for the page's load event
    # before changing the instance type, or a loaded machine changes it before the script
    # listens (seen once: the estimate still showed the default type's $36.50).
    with page.expect_navigation():
        page.click("#request-something a:has-text('SageMaker notebook instance')")
    page.fill("[name=NotebookInstanceName]", "dana-gpu-1")
    page.select_option("select[name=InstanceType]", "ml.p3.2xlarge")
    assert page.inner_text("#estimate-month") == "$2792.25"
    # The product's own TagOption and the portfolio's (read through the launch path).
    page.select_option("select[name='req-tag:workload']", "notebook")
    page.select_option("select[name='req-tag:data-classification']", "internal")
    page.fill("[name=req-justification]", "Retrain the fraud model on a GPU.")
    with page.expect_navigation():
        page.click("#submit-request")
    assert page.inner_text("#request-status") == "Pending approval"
    assert "Requester's manager" in page.inner_text("#timeline")
    _sign_out(page, url)

    # The manager finds it in the inbox and approves with a comment.
    sign_in_through_idp(page, url, "maria.manager")
    page.click("nav.nav a[data-nav='approvals:inbox']")
    assert "Dana" in page.inner_text("#inbox")
    page.click("#inbox a")
    assert "139.6%" in page.inner_text("#estimated-cost")  # of the project's $2000 budget
    page.fill("[name=comment]", "Fine for this quarter.")
    with page.expect_navigation(url=f"{url}/requests/inbox/"):
        page.click("#approve")
    assert "Nothing waits for you." in page.inner_text("#inbox")
    _sign_out(page, url)

    # A platform admin (first sign-in: the IdP puts them in ml-platform-admins) approves.
    sign_in_through_idp(page, url, "pat.admin")
    page.click("nav.nav a[data-nav='approvals:inbox']")
    assert "Dana" in page.inner_text("#inbox")
    page.check("#inbox input[name=tasks]")
    with page.expect_navigation(url=f"{url}/requests/inbox/"):
        page.click("#approve-selected")
    assert "Approved 1 request(s)." in page.inner_text(".messages")
    _sign_out(page, url)

    # The requester sees it approved, with both decisions on the timeline.
    sign_in_through_idp(page, url, "dana.scientist")
    page.click("nav.nav a[data-nav='approvals:request_list']")
    assert "Approved" in page.inner_text("#my-requests")
    page.click("#my-requests a")
    assert page.inner_text("#request-status") == "Approved"
    timeline = page.inner_text("#timeline")
    assert "Maria Manager approved: “Fine for this quarter.”" in timeline
    assert "Pat Admin approved" in timeline
    request = Request.objects.get()
    assert request.status == Request.Status.APPROVED
    assert handed_off == [str(request.pk)]
