"""Issue 13 in a real browser: a double-clicked Submit makes one request, a double-clicked
Approve one decision. The button is disabled after the first click and the second click sends
nothing (static/approvals/submit_once.js; the server's idempotency key is the backstop)."""

from __future__ import annotations

import os
import re
from typing import Any

import pytest

from approvals.models import Decision, Request
from approvals.services import workflow
from portal.models import Project, User
from tests.e2e.conftest import demo_catalog_curated, sign_in_through_idp

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


# Records, from the page itself, whether the button was disabled once the first submit ran
# (read back after the navigation: sessionStorage survives it, same origin).
_WATCH = """(selector) => {
  const button = document.querySelector(selector);
  button.form.addEventListener("submit", () => window.setTimeout(() => {
    sessionStorage.setItem("disabled-after-submit", String(button.disabled));
  }, 20));
}"""


def _double_click(page: Any, selector: str, path: str) -> list[str]:
    """Double-click the button; the bodies of the POSTs the page sent to ``path``."""
    bodies: list[str] = []
    page.on("request", lambda r: bodies.append(r.post_data or "")
            if r.method == "POST" and path in r.url else None)
    page.evaluate(_WATCH, selector)
    with page.expect_navigation():
        page.dblclick(selector)
    page.wait_for_load_state()
    assert page.evaluate("() => sessionStorage.getItem('disabled-after-submit')") == "true"
    assert len(bodies) == 1, bodies
    return bodies


def test_a_double_clicked_submit_makes_one_request_and_a_double_clicked_approve_one_decision(
    page: Any, live_server: Any, live_idp: Any, scientist: User, manager: User, project: Project,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The journey ends at the decisions: no hand-off task on the shared test broker.
    monkeypatch.setattr(workflow, "request_hand_off", lambda *, request: None)
    url = live_server.url
    demo_catalog_curated()

    sign_in_through_idp(page, url, "dana.scientist")
    page.click("nav.nav a[data-nav='approvals:request_list']")
    page.click("#request-something a:has-text('SageMaker notebook instance')")
    page.fill("[name=NotebookInstanceName]", "dana-twice")
    page.select_option("select[name=InstanceType]", "ml.p3.2xlarge")
    page.select_option("select[name='req-tag:workload']", "notebook")
    page.select_option("select[name='req-tag:data-classification']", "internal")
    page.fill("[name=req-justification]", "Retrain the fraud model on a GPU.")
    bodies = _double_click(page, "#submit-request", "/requests/new")
    assert "idempotency_key=" in bodies[0]
    assert re.search(r"/requests/[0-9a-f-]{36}/$", page.url)
    assert page.inner_text("#request-status") == "Pending approval"
    request = Request.objects.get()
    assert request.parameters["NotebookInstanceName"] == "dana-twice"
    page.click("text=Sign out")
    page.wait_for_url(f"{url}/accounts/login/")

    # The manager double-clicks Approve: one POST, and it still says which button was pressed.
    sign_in_through_idp(page, url, "maria.manager")
    page.goto(f"{url}/requests/{request.pk}/")
    page.fill("[name=comment]", "Fine.")
    bodies = _double_click(page, "#approve", "/decide")
    assert "verdict=approve" in bodies[0]
    assert page.url == f"{url}/requests/inbox/"
    decision = Decision.objects.get()
    assert decision.approver == manager and decision.verdict == Decision.Verdict.APPROVE
    assert decision.comment == "Fine."
