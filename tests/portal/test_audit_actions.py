"""The audit trail's action filter: a list of the known actions (portal/audit_actions.py) that
costs no query, complete against what the code writes; the page shows each event on one row
with its details as formatted JSON."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from django.contrib import admin
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from approvals.models import ApprovalTask, Request
from portal.admin import AuditedAdmin
from portal.audit_actions import audit_action_choices, known_audit_actions
from portal.models import AuditEvent, User

ROOT = Path(__file__).resolve().parents[2]
APPS = ("portal", "catalog", "approvals", "provisioning")
LITERAL = re.compile(r'\baction="([a-z_]+\.[a-z_]+)"')


def written_literally() -> set[str]:
    found: set[str] = set()
    for app in APPS:
        for path in (ROOT / app).rglob("*.py"):
            if "migrations" not in path.parts:
                found.update(LITERAL.findall(path.read_text(encoding="utf-8")))
    return found


def test_every_action_the_code_writes_literally_is_known() -> None:
    written = written_literally()
    assert len(written) > 30  # the scan reads the apps
    assert written - set(known_audit_actions()) == set()


def test_the_actions_built_from_statuses_verbs_and_audited_admin_pages_are_known() -> None:
    built = {f"request.{s}" for s in Request.Status.values if s != Request.Status.PENDING}
    built |= {f"approval.task_{s}" for s in ApprovalTask.Status.values
              if s != ApprovalTask.Status.PENDING}
    built |= {"environment.stop", "environment.start"}  # provisioning/lifecycle.py's verbs
    for model, model_admin in admin.site._registry.items():
        if isinstance(model_admin, AuditedAdmin):
            models = [model] + [inline.model for inline in model_admin.inlines]
            built |= {f"{m._meta.model_name}.{verb}" for m in models
                      for verb in ("created", "changed", "deleted")}
    assert built - set(known_audit_actions()) == set()


def test_each_app_registers_its_own_actions() -> None:
    known = known_audit_actions()
    assert known == tuple(sorted(set(known)))
    for family in ("auth", "catalog", "request", "approval", "environment"):
        assert any(action.startswith(f"{family}.") for action in known), family


def test_the_choices_group_actions_by_family_with_a_prefix_entry() -> None:
    choices = dict(audit_action_choices())
    assert choices[""] == "Any action"
    auth = dict(choices["auth"])  # type: ignore[arg-type]
    assert auth["auth."] == "every auth event" and "auth.sign_in" in auth
    # A prefix from an older bookmark stays shown as what is filtered on.
    assert audit_action_choices(current="auth.sign")[1] == ("auth.sign", "auth.sign (starts with)")
    assert audit_action_choices(current="auth.")[1][0] == "api_token"


@pytest.mark.django_db
def test_the_page_lists_the_known_actions_without_reading_the_trail_for_them(
        client: Client, auditor: User) -> None:
    for n in range(60):
        AuditEvent.objects.create(action="catalog.synced", actor_username="system",
                                  data={"run": n, "products": {"new": 1, "updated": 2}})
    client.force_login(auditor)
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/audit/?action=catalog.")
    assert response.status_code == 200
    assert len(queries) <= 8, [q["sql"] for q in queries]
    assert not [q for q in queries if "DISTINCT" in q["sql"].upper()]
    body = response.content.decode()
    for action in ("auth.sign_in", "request.approved", "environment.launch"):
        assert f'<option value="{action}">{action}</option>' in body
    assert '<option value="catalog." selected>every catalog event</option>' in body


@pytest.mark.django_db
def test_an_event_s_details_are_one_line_and_formatted_json(client: Client, auditor: User) -> None:
    data = {"fields": ["name"], "note": "<b>x</b>"}
    AuditEvent.objects.create(action="project.changed", actor_username="pat.admin", data=data)
    AuditEvent.objects.create(action="auth.sign_out", actor_username="pat.admin")
    client.force_login(auditor)
    body = client.get("/audit/").content.decode()
    assert ('<summary><code>{&quot;fields&quot;: [&quot;name&quot;], &quot;note&quot;: '
            '&quot;&lt;b&gt;x&lt;/b&gt;&quot;}</code></summary>') in body
    pretty = json.dumps(data, indent=2, sort_keys=True).replace('"', "&quot;").replace(
        "<", "&lt;").replace(">", "&gt;")
    assert f'<pre class="json">{pretty}</pre>' in body
    assert '<td class="details"><span class="muted">—</span></td>' in body  # no data: a dash
