"""A platform admin finds the AWS policy pack in the menu and downloads a document in the
browser; the file is the generated JSON and the download is in the audit trail."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from portal.models import AuditEvent, Project, User

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_an_admin_downloads_the_scp_from_the_policy_pack_page(
        browser: Any, live_server: Any, platform_admin: User, project: Project,
        tmp_path: Path) -> None:
    client = Client()
    client.force_login(platform_admin)
    context = browser.new_context(accept_downloads=True)
    context.add_cookies([{"name": "portal_session",
                          "value": client.cookies["portal_session"].value,
                          "url": live_server.url}])
    page = context.new_page()
    page.goto(f"{live_server.url}/")
    page.click("nav >> text=AWS policy pack")
    rows = page.inner_text("#policy-documents")
    assert f"{project.slug}-trust.json" in rows
    with page.expect_download() as info:
        page.click("#policy-documents a[href$='/scp-guardrails.json']")
    download = info.value
    assert download.suggested_filename == "scp-guardrails.json"
    target = tmp_path / "scp.json"
    download.save_as(target)
    scp = json.loads(target.read_text())
    assert {s["Effect"] for s in scp["Statement"]} == {"Deny"}
    context.close()
    event = AuditEvent.objects.get(action="policy_pack.downloaded")
    assert (event.actor, event.data["documents"]) == (platform_admin, ["scp-guardrails"])
