"""Issue 10 in a real browser: the request page shows its REQ reference and the whole approval
chain with people's names (the waiting step highlighted, since when; the step to come with who
will decide), and "My requests" shows name, kind, project, status and the next approver."""

from __future__ import annotations

import os
import re
from typing import Any

import pytest
from django.contrib.auth.models import Group

from approvals.models import Request
from approvals.services import workflow
from portal.models import Project, User
from tests.conftest import make_user
from tests.e2e.conftest import demo_catalog_curated, sign_in_through_idp

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _sign_out(page: Any, url: str) -> None:
    page.click("text=Sign out")
    page.wait_for_url(f"{url}/accounts/login/")


def test_the_request_page_shows_the_reference_and_the_chain_with_names(
    page: Any, live_server: Any, live_idp: Any, scientist: User, manager: User, project: Project,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The journey ends at the approvals; nothing is handed to a worker.
    monkeypatch.setattr(workflow, "request_hand_off", lambda *, request: None)
    url = live_server.url
    demo_catalog_curated()
    admins = Group.objects.get(name="ml-platform-admins")
    for username in ("pat.admin", "paula.platform"):
        make_user(username, department="ML Platform").groups.add(admins)

    sign_in_through_idp(page, url, "dana.scientist")
    page.click("nav.nav a[data-nav='approvals:request_list']")
    page.click("#request-something a:has-text('SageMaker notebook instance')")
    page.fill("[name=NotebookInstanceName]", "dana-chain-1")
    page.select_option("select[name=InstanceType]", "ml.p3.2xlarge")
    page.select_option("select[name='req-tag:workload']", "notebook")
    page.select_option("select[name='req-tag:data-classification']", "internal")
    page.fill("[name=req-justification]", "Retrain the fraud model on a GPU.")
    with page.expect_navigation():
        page.click("#submit-request")

    request = Request.objects.get()
    reference = page.inner_text("#request-reference")
    assert re.fullmatch(r"REQ-\d{4,}", reference) and reference == request.reference
    assert "dana-chain-1" in page.inner_text("h1")
    waiting = page.locator("#approval-chain li[data-state=waiting]")
    assert waiting.get_attribute("aria-current") == "step"
    text = waiting.inner_text()
    assert "Requester's manager" in text and "Waiting for Maria" in text and "since " in text
    future = page.inner_text("#approval-chain li[data-state=future]")
    assert "Platform admin" in future
    assert "Will be decided by any one of 2: Pat Example, Paula Example" in future

    page.click("text=← My requests")
    row = page.locator(f"#my-requests tr[data-reference='{reference}']")
    assert row.locator("[data-col=name]").inner_text() == "dana-chain-1"
    assert row.locator("[data-col=kind]").inner_text().startswith("SageMaker notebook instance")
    assert row.locator("[data-col=project]").inner_text() == project.name
    assert row.locator("[data-col=status]").inner_text() == "Pending approval"
    assert row.locator("[data-col=next-approver]").inner_text().startswith("Maria")
    _sign_out(page, url)

    # The manager opens it by its reference, as quoted in a chat, and approves.
    sign_in_through_idp(page, url, "maria.manager")
    page.goto(f"{url}/requests/{reference}/")
    assert page.url == f"{url}/requests/{request.pk}/"
    page.fill("[name=comment]", "Fine for this quarter.")
    with page.expect_navigation(url=f"{url}/requests/inbox/"):
        page.click("#approve")
    _sign_out(page, url)

    sign_in_through_idp(page, url, "dana.scientist")
    page.goto(f"{url}/requests/{reference}/")
    decided = page.inner_text("#approval-chain li[data-step='0']")
    assert "Approved" in decided and "Maria" in decided and "Fine for this quarter." in decided
    waiting = page.inner_text("#approval-chain li[data-state=waiting]")
    assert "Platform admin" in waiting
    assert "Waiting for any one of 2: Pat Example, Paula Example" in waiting
    page.click("text=← My requests")
    row = page.locator(f"#my-requests tr[data-reference='{reference}']")
    assert row.locator("[data-col=next-approver]").inner_text().startswith(
        "any one of 2: Pat Example, Paula Example")
