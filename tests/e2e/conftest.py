"""Browser journeys: Debian's chromium driven by Playwright against a live portal and dev IdP."""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from approvals.demo import demo_policies_seed
from catalog.demo import demo_network_seed, demo_prices_seed, demo_rename_seed
from catalog.models import Product, SyncRun
from catalog.sync import catalog_sync, sync_run_start
from portal.devidp.browser import idp_sign_in
from portal.devidp.idp import DevIdP, UserDirectory
from portal.devidp.server import DevIdPApp, build_server
from portal.models import Project, User
from tests.e2e.axe import AxeAudit, axe_settled
from tests.provisioning.worker import FOLLOW_SETTINGS, WorkerProcess
from tests.saml_idp import DEMO_USERS, SP_ENTITY_ID, configure_portal_for

# Playwright's sync API runs an event loop in this thread; the ORM calls the tests make are safe.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture(autouse=True)
def _follow_as_the_worker(settings: Any) -> None:
    """The live portal schedules the first check of what a person starts (stop, start, open a
    stopped notebook, terminate) as the journeys' worker follows: 1 s, not the default 5 s."""
    for name, value in FOLLOW_SETTINGS.items():
        setattr(settings, name, value)


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    """A fresh browser context whose every loaded page axe-core checks (tests/e2e/axe.py); the
    test fails when any of them had a serious or critical violation."""
    context = browser.new_context()
    audit = AxeAudit.attach(context)
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    # The last page's check may still be running: wait until it has reported.
    axe_settled(page)
    context.close()
    audit.assert_clean()


@pytest.fixture
def live_idp(live_server: Any, settings: Any, tmp_path: Path) -> Iterator[DevIdP]:
    """The dev IdP served over HTTP on a free port, trusting this live portal."""
    acs = f"{live_server.url}/accounts/saml/sso/acs/"
    directory = UserDirectory.load(DEMO_USERS)
    # Bind first to learn the free port, then give the IdP its real public URL.
    placeholder = DevIdP(base_url="http://localhost:0", state_dir=tmp_path,
                         sp_entity_id=SP_ENTITY_ID, sp_acs_url=acs)
    httpd = build_server(DevIdPApp(placeholder, directory), "127.0.0.1", 0)
    port = httpd.server_address[1]
    idp = DevIdP(base_url=f"http://localhost:{port}", state_dir=tmp_path,
                 sp_entity_id=SP_ENTITY_ID, sp_acs_url=acs)
    httpd.set_app(DevIdPApp(idp, directory))
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    configure_portal_for(settings, idp)
    yield idp
    httpd.shutdown()
    httpd.server_close()


# The journeys' name for the one dev-IdP sign-in, which the demo journey uses too.
sign_in_through_idp = idp_sign_in


def demo_catalog_curated(*, publish: bool = True, policies: bool = True,
                         renames: bool = False) -> None:
    """The fake AWS's demo catalog synced and curated as `make demo` does (seed_demo_catalog:
    prices, the account's network choices, every product published; seed_demo_policies; with
    ``renames`` also its renamable notebooks, a rename flagged as a replacement)."""
    assert catalog_sync(run=sync_run_start(trigger=SyncRun.Trigger.COMMAND)).status == "succeeded"
    demo_prices_seed()
    demo_network_seed()
    if renames:
        demo_rename_seed()
    if publish:
        Product.objects.update(published=True)
    if policies:
        demo_policies_seed()


@pytest.fixture
def demo_worker() -> Iterator[WorkerProcess]:
    """A worker on the fake's demo catalog (empty FAKEAWS_CATALOG_FILE), as the test syncs it,
    1 s per AWS operation (the demo journeys)."""
    with demo_catalog_worker(operation_seconds=1) as process:
        yield process


@pytest.fixture
def demo_portal(live_server: Any, live_idp: Any, settings: Any, scientist: User,
                manager: User, project: Project) -> str:
    """The live portal on the fake's demo catalog, synced and curated as `make demo` does."""
    settings.PORTAL_BASE_URL = live_server.url
    settings.FAKEAWS_CATALOG_FILE = ""
    settings.FAKEAWS_CONSISTENCY_SECONDS = 0
    demo_catalog_curated(renames=True)
    return str(live_server.url)


@contextmanager
def demo_catalog_worker(*, operation_seconds: int) -> Iterator[WorkerProcess]:
    """A Celery worker on the test broker whose fake AWS takes ``operation_seconds`` per stack or
    notebook transition (long enough to watch), on the fake's demo catalog as the test process
    syncs it (an empty FAKEAWS_CATALOG_FILE)."""
    process = WorkerProcess(extra_env={"FAKEAWS_OPERATION_SECONDS": str(operation_seconds),
                                       "FAKEAWS_CATALOG_FILE": ""})
    process.start(purge=True)
    try:
        yield process
    finally:
        process.stop()
