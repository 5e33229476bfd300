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
from pathlib import Path

# The browser helpers live next to this script (run as a script or imported by the tests); they
# sign in with the project's own helper (portal.devidp.browser), from this checkout.
sys.path[:0] = [str(Path(__file__).resolve().parent), str(Path(__file__).resolve().parent.parent)]
from demo_browser import Journey, JourneyFailed  # noqa: E402

__all__ = ["Journey", "JourneyFailed", "main", "run", "run_notebook", "run_replacement_and_leaver",
           "run_studio_and_project"]

DEFAULT_PORTAL = "http://localhost:8000"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run"]
GPU_TYPE = "ml.p3.2xlarge"
CHANGE_TO = "ml.m5.xlarge"
CPU_TYPE = "ml.t3.medium"  # under the CPU rule's $150/month: approved at once
RESIZE_TO = "ml.m5.xlarge"  # over it: the platform team reviews the change


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
