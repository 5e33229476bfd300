"""The demo journey's browser (``scripts/demo_journey.py``): one page, the demo's people signing
in and out of it through the dev IdP, and what they do and check on the portal's pages; every
step prints a line and leaves a screenshot."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from portal.devidp.browser import idp_sign_in

PROVISION_TIMEOUT_MS = 120_000
HANDOVER_TIMEOUT = 90.0
# The change preview's red (portal.css --bad, #b3261e) as the browser computes it.
BAD_RED = "rgb(179, 38, 30)"


class JourneyFailed(Exception):
    pass


class Journey:
    """One browser page, the demo's people signing in and out of it, a screenshot per step."""

    def __init__(self, page: Any, portal_url: str, shots: Path) -> None:
        self.page = page
        self.url = portal_url.rstrip("/")
        self.shots = shots
        self.number = 0
        self.shot = Path()
        self.started = time.monotonic()

    @contextmanager
    def step(self, title: str) -> Iterator[None]:
        self.number += 1
        shot = self.shot = self.shots / f"{self.number:02d}-{_slug(title)}.png"
        shot.unlink(missing_ok=True)  # from an earlier run
        print(f"[{time.monotonic() - self.started:6.1f}s] {self.number:2d}. {title} ...",
              end="", flush=True)
        try:
            yield
        except Exception as exc:
            self.page.screenshot(path=str(shot), full_page=True)  # the page it failed on
            print(" FAILED", flush=True)
            raise JourneyFailed(f"step {self.number} ({title}) failed: {exc}\n"
                                f"  page: {_without_query(self.page.url)}\n"
                                f"  screenshot: {shot}") from exc
        if not shot.exists():  # a step that signs out took it before leaving the page
            self.page.screenshot(path=str(shot), full_page=True)
        print(" ok", flush=True)

    # -- people ----------------------------------------------------------------------------
    def sign_in(self, username: str, password: str = "demo") -> None:
        idp_sign_in(self.page, self.url, username, password)

    def sign_out(self) -> None:
        """Sign out; the step's screenshot shows the page before (the outcome, not the login)."""
        self.page.screenshot(path=str(self.shot), full_page=True)
        self.page.click("text=Sign out")
        self.page.wait_for_url(f"{self.url}/accounts/login/")

    def as_(self, username: str, action: Callable[[], None]) -> None:
        self.sign_in(username)
        try:
            action()
        finally:
            self.sign_out()

    # -- requests --------------------------------------------------------------------------
    def request_new(self, product: str, fields: dict[str, str], selects: dict[str, str],
                    justification: str) -> str:
        """Fill the request form of ``product``; returns the request page's path."""
        page = self.page
        page.click("nav.nav a[data-nav='approvals:request_list']")
        page.click(f"#request-something a:has-text({product!r})")
        return self.submit(fields, selects, justification)

    def submit(self, fields: dict[str, str], selects: dict[str, str], justification: str) -> str:
        """Fill and submit the request form on the page; returns the request page's path."""
        page = self.page
        for name, value in fields.items():
            page.fill(f"[name={name!r}]", value)
        for name, value in selects.items():
            page.select_option(f"select[name={name!r}]", value)
        page.fill("[name=req-justification]", justification)
        with page.expect_navigation():
            page.click("#submit-request")
        if not page.locator("#request-status").count():
            errors = page.locator(".errorlist, #request-errors").all_inner_texts()
            raise JourneyFailed(f"the request was refused: {errors}")
        return str(urlparse(page.url).path)

    def expect_status(self, expected: str) -> None:
        status = str(self.page.inner_text("#request-status")).strip()
        if status != expected:
            raise JourneyFailed(f"the request is {status!r}, expected {expected!r}")

    def approve_in_inbox(self, request_path: str, comment: str,
                         check: Callable[[], None] | None = None) -> None:
        """Find the request in the signed-in person's inbox and approve it with a comment
        (``check`` looks at the request page first)."""
        page = self.page
        page.click("nav.nav a[data-nav='approvals:inbox']")
        link = page.locator(f"#inbox a[href={request_path!r}]")
        if not link.count():
            raise JourneyFailed(f"{request_path} is not in the inbox: "
                                f"{page.inner_text('#inbox')!r}")
        link.click()
        self.wait_change_preview()
        if check is not None:
            check()
        page.fill("[name=comment]", comment)
        with page.expect_navigation():
            page.click("#approve")

    def wait_change_preview(self, timeout: float = 60.0) -> None:
        """A change request is approved on its plan: reload the request page until the worker
        has made it (the preview is pending until then; approving earlier is refused)."""
        deadline = time.monotonic() + timeout
        while self.page.locator("#change-preview-pending").count():
            if time.monotonic() > deadline:
                raise JourneyFailed("the change preview was never ready")
            time.sleep(1)
            self.page.reload()
        if self.page.locator("#change-preview-error").count():
            raise JourneyFailed("the change preview failed: "
                                + self.page.inner_text("#change-preview-error"))

    def expect_replacement_flagged(self, logical_id: str, because: str) -> None:
        """The change preview says in words that ``logical_id`` is replaced because of the
        property ``because`` (and of no other), and shows it red."""
        page = self.page
        warning = page.locator("#change-preview-warning")
        if not warning.count() or "will be replaced" not in warning.inner_text():
            raise JourneyFailed("no replacement warning on the request page")
        row = page.locator("#change-preview-rows tr[data-replacement='TRUE']",
                           has=page.locator(f"code:text-is({logical_id!r})"))
        if not row.count():
            raise JourneyFailed(f"{logical_id} is not shown as replaced: "
                                f"{page.inner_text('#change-preview-rows')!r}")
        action = row.locator(".change-action")
        words = action.inner_text()
        if "Replaced: deleted and created again, its data is lost" not in words:
            raise JourneyFailed(f"the replacement is not said in words: {words!r}")
        causes = row.locator("[data-recreates]").evaluate_all(
            "marks => marks.map(mark => mark.dataset.recreates)")
        if causes != [because]:
            raise JourneyFailed(f"replaced because of {causes}, expected only {because}")
        for shown in (action, warning):
            colour = shown.evaluate("element => getComputedStyle(element).color")
            if colour != BAD_RED:
                raise JourneyFailed(f"the replacement is {colour}, not red")
        # What the approver saw before approving (the step's own shot shows the inbox after).
        page.screenshot(path=str(self.shot.with_name(f"{self.shot.stem}-preview.png")),
                        full_page=True)

    # -- people (platform admin) -----------------------------------------------------------
    def leavers_open(self) -> None:
        with self.page.expect_navigation():
            self.page.click("nav.nav a[data-nav='identity:leavers_report']")

    def deactivate(self, username: str, reason: str) -> None:
        """On the leavers page: deactivate ``username`` (the audited admin action)."""
        page = self.page
        self.leavers_open()
        page.fill("#deactivate-username", username)
        page.fill("#deactivate-reason", reason)
        page.check("#deactivate-form [name=confirm]")
        with page.expect_navigation():
            page.click("#deactivate")
        if page.locator("#deactivate-error").count():
            raise JourneyFailed(page.inner_text("#deactivate-error"))

    def wait_handed_over(self, environment_id: str, new_owner: str,
                         timeout: float = HANDOVER_TIMEOUT) -> str:
        """Reload the leavers page until the environment's newest handover is done; returns
        its row's text (what the platform admin reads)."""
        deadline = time.monotonic() + timeout
        while True:
            row = self.page.locator(f"tr.handover[data-environment={environment_id!r}]").first
            state = row.get_attribute("data-state") if row.count() else None
            if state == "done":
                text = str(row.inner_text())
                if new_owner not in text:
                    raise JourneyFailed(f"handed to someone else: {text!r}")
                return text
            if state == "failed":
                raise JourneyFailed(f"the handover failed: {row.inner_text()!r}")
            if time.monotonic() > deadline:
                raise JourneyFailed(f"the handover of {environment_id} is still {state!r}")
            time.sleep(2)
            self.page.reload()

    def reactivate(self, username: str) -> None:
        page = self.page
        self.leavers_open()
        form = page.locator(".reactivate-form",
                            has=page.locator(f"input[name=username][value={username!r}]")).first
        form.locator("[name=confirm]").check()
        with page.expect_navigation():
            form.locator("button").click()
        if page.locator("#reactivate-error").count():
            raise JourneyFailed(page.inner_text("#reactivate-error"))

    # -- environments ----------------------------------------------------------------------
    def environment_ids(self) -> set[str]:
        """The environments on the signed-in person's "My environments" page."""
        self.page.click("nav.nav a[data-nav='provisioning:environment_list']")
        rows = self.page.locator("#environments tr[data-environment]")
        return {str(rows.nth(i).get_attribute("data-environment")) for i in range(rows.count())}

    def environment_new(self, known: set[str]) -> str:
        """The one environment on "My environments" that is not in ``known``."""
        new = self.environment_ids() - known
        if len(new) != 1:
            raise JourneyFailed(f"expected one new environment, found {sorted(new)}")
        return new.pop()

    def environment_open_page(self, environment_id: str) -> None:
        self.page.goto(f"{self.url}/environments/{environment_id}/")
        self.page.wait_for_selector("#environment")

    def wait_status(self, *statuses: str, timeout: int = PROVISION_TIMEOUT_MS) -> str:
        """Wait on the environment page (updated in place) until it shows one of ``statuses``."""
        selector = ", ".join(f"#environment[data-status-value={s!r}]" for s in statuses)
        try:
            self.page.wait_for_selector(selector, timeout=timeout)
        except Exception as exc:
            now = self.page.get_attribute("#environment", "data-status-value")
            message = self.page.inner_text("[data-status-message]")
            raise JourneyFailed(f"still {now!r} ({message!r}), expected {statuses}") from exc
        return str(self.page.get_attribute("#environment", "data-status-value"))

    def wait_timeline(self, text: str, timeout: float = PROVISION_TIMEOUT_MS / 1000) -> None:
        """Reload the environment page until its timeline shows ``text`` (the timeline is not
        updated in place)."""
        deadline = time.monotonic() + timeout
        while text not in self.page.inner_text("#timeline"):
            if time.monotonic() > deadline:
                raise JourneyFailed(f"{text!r} never appeared on the timeline")
            time.sleep(2)
            self.page.reload()

    def open_environment(self, app_name: str) -> None:
        page = self.page
        with page.expect_navigation():
            page.click("#environment [data-open-form] button")
        # The fake's page names the app: the notebook, or "<domain id>/<user profile>".
        page.wait_for_selector(f"[data-fakeaws-app$={app_name!r}]", timeout=30_000)


def _without_query(url: str) -> str:
    """A page address fit to print: a presigned URL's token (its query) is never shown."""
    return url.split("?", 1)[0]


def _slug(text: str) -> str:
    return "".join(c if c.isalnum() else "-" for c in text.lower()).strip("-")[:50]
