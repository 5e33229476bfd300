"""Drive the running ``make demo`` through its whole journey in a real browser, printing each step.

Start ``make demo`` in one terminal, then run ``.venv/bin/python scripts/demo_journey.py`` in
another. Headless chromium (Playwright, ``/usr/bin/chromium`` or ``$CHROMIUM``) signs in through
the dev SAML IdP as the demo people and goes:

1. dana.scientist requests a GPU notebook in fraud-detection;
2. maria.manager (her manager) approves it, then pat.admin (the platform team) approves it;
3. dana watches it provision, opens it (a presigned URL to the fake AWS's notebook page), stops it
   and starts it again;
4. dana requests a change (another instance type); pat.admin approves it (a changed GPU notebook
   needs the platform team again, see ``approvals/demo.py``); dana watches the update;
5. dana terminates it and watches it go;
6. dana requests a Studio user profile (maria.manager approves as the project lead) and a
   SageMaker project (maria, then pat.admin), and opens the Studio profile once it is available;
7. dana gets a CPU notebook (approved at once) and asks for a resize that replaces it: a bigger
   instance under a new name (CloudFormation resizes a notebook in place; only the rename, a
   create-only property, replaces it); pat.admin's request page shows the replacement in red
   and in words, pat approves, and the plan is executed;
8. pat.admin deactivates dana on the leavers page and sees her environments stopped and handed
   to maria.manager, who now finds them in "My environments"; pat then reactivates dana (what
   was handed over stays with maria), so the journey can run again.

Every step prints a line (with the seconds since the start) and leaves a screenshot in
``--shots`` (``/tmp/demo-journey`` by default). Names get a random suffix, so the journey can
run again against the same demo. Exit code 0 when every step passed; otherwise the failing step
and where its screenshot is.
"""

from __future__ import annotations

import argparse
import os
import secrets
import shutil
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

DEFAULT_PORTAL = "http://localhost:8000"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run"]
PROVISION_TIMEOUT_MS = 120_000
GPU_TYPE = "ml.p3.2xlarge"
CHANGE_TO = "ml.m5.xlarge"
CPU_TYPE = "ml.t3.medium"  # under the CPU rule's $150/month: approved at once
RESIZE_TO = "ml.m5.xlarge"  # over it: the platform team reviews the change
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
        page = self.page
        page.goto(f"{self.url}/accounts/login/")
        page.click("#sso-sign-in")
        page.fill("#username", username)
        page.fill("#password", password)
        page.click("#idp-sign-in")
        page.wait_for_url(f"{self.url}/")

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


def run(journey: Journey) -> None:
    """The whole journey: the notebook's life, a Studio profile and a SageMaker project, then a
    change that replaces a notebook and the data scientist leaving."""
    suffix = secrets.token_hex(2)
    run_notebook(journey, suffix)
    run_studio_and_project(journey, suffix)
    run_replacement_and_leaver(journey, suffix)


def run_notebook(journey: Journey, suffix: str) -> None:
    """Request, two approvals, provision, open, stop, start, change, approval, terminate."""
    notebook = f"dana-gpu-{suffix}"
    tags = {"req-tag:workload": "notebook", "req-tag:data-classification": "internal"}
    j = journey

    with j.step(f"dana.scientist requests a GPU notebook {notebook} ({GPU_TYPE})"):
        j.sign_in("dana.scientist")
        known = j.environment_ids()
        request = j.request_new("SageMaker notebook instance", {"NotebookInstanceName": notebook},
                                {"InstanceType": GPU_TYPE, **tags},
                                "Retrain the fraud model on a GPU.")
        j.expect_status("Pending approval")
        j.sign_out()
    with j.step("maria.manager (Dana's manager) approves it from her inbox"):
        j.as_("maria.manager", lambda: j.approve_in_inbox(request, "Fine for this quarter."))
    with j.step("pat.admin (platform team) approves it from the inbox"):
        j.as_("pat.admin", lambda: j.approve_in_inbox(request, "GPU quota is available."))
    with j.step("dana.scientist watches it provision until Available"):
        j.sign_in("dana.scientist")
        environment = j.environment_new(known)
        j.environment_open_page(environment)
        j.wait_status("available")
    with j.step("dana opens it (presigned URL to the fake AWS's notebook page)"):
        j.open_environment(notebook)
        j.environment_open_page(environment)
    with j.step("dana stops it"):
        j.page.click("[data-stop-form] button")
        j.wait_status("stopped")
    with j.step("dana starts it again"):
        j.page.click("[data-start-form] button")
        j.wait_status("available")
    with j.step(f"dana requests a change: {GPU_TYPE} -> {CHANGE_TO}"):
        j.page.click("#change-link")
        j.page.wait_for_selector("#day-2")
        change = j.submit({}, {"InstanceType": CHANGE_TO},
                          "Training is done; a CPU with more memory is enough now.")
        j.expect_status("Pending approval")  # over the CPU rule's $150/month: platform review
        j.sign_out()
    with j.step("pat.admin approves the change request (platform review)"):
        j.as_("pat.admin", lambda: j.approve_in_inbox(change, "Downsizing is welcome."))
    with j.step("dana watches the update until it is applied and Available"):
        j.sign_in("dana.scientist")
        j.environment_open_page(environment)
        j.wait_timeline("The change was applied.")
        j.wait_status("available")
    with j.step("dana terminates it and watches it go"):
        j.page.check("#terminate-form [name=confirm]")
        j.page.click("#terminate-form button")
        j.wait_status("terminated")
        j.sign_out()


def run_studio_and_project(journey: Journey, suffix: str) -> None:
    """A Studio user profile (the project lead approves; opened) and a SageMaker project (the
    project lead, then the platform team)."""
    j = journey
    profile = f"dana-studio-{suffix}"
    with j.step(f"dana.scientist requests a Studio user profile {profile}"):
        j.sign_in("dana.scientist")
        known = j.environment_ids()
        request = j.request_new("SageMaker Studio user profile", {"UserProfileName": profile},
                                {"req-tag:data-classification": "internal"},
                                "Studio for the feature-store exploration.")
        j.expect_status("Pending approval")
        j.sign_out()
    with j.step("maria.manager (fraud-detection's lead) approves the Studio profile"):
        j.as_("maria.manager", lambda: j.approve_in_inbox(request, "Go ahead."))
    with j.step("dana watches the Studio profile provision and opens it"):
        j.sign_in("dana.scientist")
        environment = j.environment_new(known)
        j.environment_open_page(environment)
        j.wait_status("available")
        j.open_environment(profile)

    with j.step("dana requests a SageMaker project (the portal names it)"):
        known = j.environment_ids()
        request = j.request_new("SageMaker project", {},
                                {"req-tag:data-classification": "internal"},
                                "An MLOps pipeline for the fraud model.")
        j.expect_status("Pending approval")
        j.sign_out()
    with j.step("maria.manager (project lead) approves the SageMaker project"):
        j.as_("maria.manager", lambda: j.approve_in_inbox(request, "Yes."))
    with j.step("pat.admin (platform team) approves the SageMaker project"):
        j.as_("pat.admin", lambda: j.approve_in_inbox(request, "Pipeline template approved."))
    with j.step("dana watches the SageMaker project become Available"):
        j.sign_in("dana.scientist")
        j.environment_open_page(j.environment_new(known))
        j.wait_status("available")
        j.sign_out()


def run_replacement_and_leaver(journey: Journey, suffix: str) -> None:
    """A resize that replaces the notebook (seen as a replacement by its approver), then the
    data scientist deactivated: her environments stopped and handed to her manager.

    CloudFormation changes a notebook's InstanceType and VolumeSizeInGB in place ("No
    interruption"); the demo catalog fixes its subnet, security groups and KMS key (the
    "Replacement" properties a requester could otherwise move), and CloudFormation replaces a
    custom-named resource only under a new name. So the replacing change a requester can really
    make is a resize with a rename (NotebookInstanceName: "Replacement")."""
    j = journey
    notebook, renamed = f"dana-cpu-{suffix}", f"dana-train-{suffix}"
    tags = {"req-tag:workload": "notebook", "req-tag:data-classification": "internal"}

    with j.step(f"dana.scientist requests a CPU notebook {notebook} ({CPU_TYPE}), approved at "
                "once, and watches it become Available"):
        j.sign_in("dana.scientist")
        known = j.environment_ids()
        j.request_new("SageMaker notebook instance", {"NotebookInstanceName": notebook},
                      {"InstanceType": CPU_TYPE, **tags},
                      "Feature engineering for the fraud model.")
        j.expect_status("Approved")  # the CPU rule under $150/month: nobody needs to approve
        environment = j.environment_new(known)
        j.environment_open_page(environment)
        j.wait_status("available")
    with j.step(f"dana requests a resize that replaces it: {CPU_TYPE} -> {RESIZE_TO}, "
                f"renamed {renamed}"):
        j.page.click("#change-link")
        j.page.wait_for_selector("#day-2")
        change = j.submit({"NotebookInstanceName": renamed}, {"InstanceType": RESIZE_TO},
                          "Training runs now: more memory, and the team's name for it.")
        j.expect_status("Pending approval")  # over the CPU rule's $150/month: platform review
        j.sign_out()
    with j.step("pat.admin sees the replacement on the request page, in red and in words, and "
                "approves (the plan is executed)"):
        j.as_("pat.admin", lambda: j.approve_in_inbox(
            change, "Replacement understood: Dana keeps her work in git.",
            check=lambda: j.expect_replacement_flagged("NotebookInstance",
                                                 because="NotebookInstanceName")))
    with j.step(f"dana watches the notebook replaced by {renamed} until Available"):
        j.sign_in("dana.scientist")
        j.environment_open_page(environment)
        j.wait_timeline("The change was applied.")
        j.wait_status("available")
        j.sign_out()
    with j.step("pat.admin deactivates dana.scientist on the leavers page"):
        j.sign_in("pat.admin")
        j.deactivate("dana.scientist", "Left the bank (demo).")
    with j.step("pat.admin sees her notebook stopped and handed to maria.manager"):
        row = j.wait_handed_over(environment, "maria.manager")
        if "(stopped)" not in row:
            raise JourneyFailed(f"the notebook was not stopped: {row!r}")
        j.sign_out()
    with j.step("maria.manager (her manager) finds it, Stopped, in My environments"):
        j.sign_in("maria.manager")
        if environment not in j.environment_ids():
            raise JourneyFailed("the notebook is not in maria.manager's environments")
        j.environment_open_page(environment)
        j.wait_status("stopped")
        j.sign_out()
    with j.step("pat.admin reactivates dana (the journey can run again); the notebook stays "
                "maria's"):
        j.sign_in("pat.admin")
        j.reactivate("dana.scientist")
        j.sign_out()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--portal", default=os.environ.get("DEMO_PORTAL_URL", DEFAULT_PORTAL))
    parser.add_argument("--shots", type=Path, default=Path("/tmp/demo-journey"))
    parser.add_argument("--headed", action="store_true", help="show the browser window")
    args = parser.parse_args(argv)
    args.shots.mkdir(parents=True, exist_ok=True)
    chromium = os.environ.get("CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"

    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS,
                                    headless=not args.headed)
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        page = context.new_page()
        page.set_default_timeout(20_000)
        journey = Journey(page, args.portal, args.shots)
        try:
            run(journey)
        except JourneyFailed as exc:
            print(f"journey FAILED: {exc}", file=sys.stderr)
            return 1
        finally:
            browser.close()
    print(f"journey passed in {time.monotonic() - journey.started:.0f}s; "
          f"screenshots in {args.shots}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
