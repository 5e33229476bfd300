"""Live pages in a real browser (issue 10): the requester keeps the request page open while the
approvers decide in their own browsers, and it shows each decision and the final state without
a reload; the approver's inbox and menu count show a new task as it arrives. No CSP violation
on the way (htmx runs without inline styles or eval)."""

from __future__ import annotations

import os
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.contrib.auth.models import Group
from django.test import Client
from playwright.sync_api import expect

from approvals.models import Request
from approvals.services import handoff
from catalog.models import Product
from portal.models import Project, User
from tests.approvals.conftest import ADMIN_GROUP
from tests.e2e.conftest import demo_catalog_curated
from tests.e2e.test_content_security_policy import RECORD_VIOLATIONS

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _browser_of(browser: Any, live_server: Any, user: User) -> Any:
    """A page in a browser context of its own, signed in as ``user``; it records navigations
    (``page.navigations``) and CSP violations (``window.__csp``)."""
    client = Client()
    client.force_login(user)
    context = browser.new_context()
    context.add_cookies([{"name": django_settings.SESSION_COOKIE_NAME, "url": live_server.url,
                          "value": client.cookies[django_settings.SESSION_COOKIE_NAME].value}])
    context.add_init_script(RECORD_VIOLATIONS)
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.navigations = []
    page.on("framenavigated", lambda frame: page.navigations.append(frame.url)
            if frame == page.main_frame else None)
    return page


@pytest.fixture
def handed_off(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Provisioning's hand-off handler, recorded: the request is handed off (and says so) but
    no provisioning task reaches the shared test broker."""
    calls: list[str] = []
    monkeypatch.setattr(handoff, "_handlers",
                        [lambda *, request: calls.append(str(request.pk))])
    return calls


def test_the_request_page_and_the_inbox_follow_the_approvers_without_a_reload(
        browser: Any, live_server: Any, scientist: User, manager: User, platform_admin: User,
        project: Project, settings: Any, handed_off: list[str]) -> None:
    # As the SAML sign-in leaves a platform admin: in the IdP group the demo policy names.
    platform_admin.groups.add(Group.objects.get_or_create(name=ADMIN_GROUP)[0])
    settings.FAKEAWS_CATALOG_FILE = ""
    settings.PORTAL_LIVE_POLL_SECONDS = 1
    settings.PORTAL_LIVE_IDLE_POLL_SECONDS = 1
    demo_catalog_curated()
    product = Product.objects.get(name="SageMaker notebook instance")
    url = live_server.url

    # The manager has the inbox open: nothing waits yet.
    inbox = _browser_of(browser, live_server, manager)
    inbox.goto(f"{url}/requests/inbox/")
    assert "Nothing waits for you." in inbox.inner_text("#inbox")
    assert inbox.locator("#menu-count .count").count() == 0
    inbox_loads = len(inbox.navigations)

    # The data scientist asks for a GPU notebook (two approval steps) and stays on its page.
    mine = _browser_of(browser, live_server, scientist)
    mine.goto(f"{url}/requests/new?product={product.pk}")
    mine.fill("[name=NotebookInstanceName]", "dana-live-1")
    mine.select_option("select[name=InstanceType]", "ml.p3.2xlarge")
    mine.select_option("select[name='req-tag:workload']", "notebook")
    mine.select_option("select[name='req-tag:data-classification']", "internal")
    mine.fill("[name=req-justification]", "Retrain the fraud model on a GPU.")
    with mine.expect_navigation():
        mine.click("#submit-request")
    assert mine.inner_text("#request-status") == "Pending approval"
    request = Request.objects.get()
    mine_loads = len(mine.navigations)

    # The new task arrives in the open inbox, and in the manager's menu count.
    inbox.locator(f"#inbox tr[data-request='{request.pk}']").wait_for()
    assert "Dana Example" in inbox.inner_text("#inbox")
    expect(inbox.locator("#menu-count .count")).to_have_text("2")
    assert len(inbox.navigations) == inbox_loads  # no reload

    # The manager approves the first step in their browser...
    with inbox.expect_navigation():
        inbox.click(f"#inbox tr[data-request='{request.pk}'] a")
    inbox.fill("[name=comment]", "Fine for this quarter.")
    with inbox.expect_navigation(url=f"{url}/requests/inbox/"):
        inbox.click("#approve")

    # ...and the requester's page shows the decision where it stands, still pending.
    expect(mine.locator("#timeline")).to_contain_text("Maria Example approved")
    assert mine.inner_text("#request-status") == "Pending approval"
    assert mine.get_attribute("#timeline", "data-live") == "on"

    # A platform admin ticks it in their inbox; the box stays ticked while the inbox refreshes.
    admin = _browser_of(browser, live_server, platform_admin)
    polls: list[str] = []
    admin.on("request", lambda r: polls.append(r.url) if "/requests/inbox/live" in r.url
             else None)
    admin.goto(f"{url}/requests/inbox/")
    box = f"#select-task-{request.tasks.get(position=1).pk}"
    admin.check(box)
    for _ in range(2):  # two refreshes of the inbox swap its table
        with admin.expect_response(lambda r: "/requests/inbox/live" in r.url):
            pass
    admin.wait_for_timeout(200)  # the swap after the last answer
    assert len(polls) >= 2 and admin.is_checked(box)
    with admin.expect_navigation(url=f"{url}/requests/inbox/"):
        admin.click("#approve-selected")

    # The requester's page turns Approved, handed to provisioning, and stops polling.
    expect(mine.locator("#request-status")).to_have_text("Approved")
    expect(mine.locator("#timeline")).to_have_attribute("data-live", "off")
    assert "handed to provisioning" in mine.inner_text("#request-state")
    assert "Pat Example approved" in mine.inner_text("#timeline")
    assert mine.locator("#cancel-form").count() == 0  # nothing left to cancel
    assert len(mine.navigations) == mine_loads  # the page was never reloaded
    assert handed_off == [str(request.pk)]

    for page in (mine, inbox, admin):
        assert page.evaluate("window.__csp") == []
        page.context.close()
