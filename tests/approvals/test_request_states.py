"""The request and task state machines: every (from, to) pair, and the generated doc."""

from __future__ import annotations

import re
from itertools import product
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from approvals.errors import InvalidTransition
from approvals.models import ApprovalTask, Request
from approvals.states import TRANSITIONS, states_markdown, status_transition
from catalog.models import Product
from portal.models import Project, User
from tests.approvals.conftest import request_notebook

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]

# approved → pending: a change request whose plan went stale goes back to its approvers.
REQUEST_ALLOWED = {("pending", "approved"), ("pending", "rejected"), ("pending", "cancelled"),
                   ("pending", "expired"), ("approved", "pending")}
TASK_ALLOWED = {("pending", "approved"), ("pending", "rejected"), ("pending", "expired"),
                ("pending", "skipped")}
REQUEST_PAIRS = list(product(Request.Status.values, repeat=2))
TASK_PAIRS = list(product(ApprovalTask.Status.values, repeat=2))


@pytest.fixture
def pending(scientist: User, manager: User, project: Project, notebook: Product) -> Request:
    """A pending request with one pending task (the default platform review)."""
    return request_notebook(scientist, project, notebook)


def _stored(obj: Request | ApprovalTask) -> tuple[str, Any]:
    fresh = type(obj).objects.get(pk=obj.pk)
    return fresh.status, fresh.decided_at


@pytest.mark.parametrize(("source", "target"), REQUEST_PAIRS)
def test_every_request_transition_is_allowed_or_refused(
    pending: Request, source: str, target: str
) -> None:
    Request.objects.filter(pk=pending.pk).update(status=source)  # test data: the start state
    request = Request.objects.get(pk=pending.pk)
    before = timezone.now()
    if (source, target) in REQUEST_ALLOWED:
        status_transition(obj=request, to=target)
        status, decided_at = _stored(request)
        assert status == target and decided_at is not None and decided_at >= before
    else:
        with pytest.raises(InvalidTransition, match=f"from {source} to {target}"):
            status_transition(obj=request, to=target)
        assert _stored(request) == (source, None)


@pytest.mark.parametrize(("source", "target"), TASK_PAIRS)
def test_every_task_transition_is_allowed_or_refused(
    pending: Request, source: str, target: str
) -> None:
    ApprovalTask.objects.filter(request=pending).update(status=source)
    task = ApprovalTask.objects.get(request=pending)
    if (source, target) in TASK_ALLOWED:
        status_transition(obj=task, to=target)
        status, decided_at = _stored(task)
        assert status == target and decided_at is not None
    else:
        with pytest.raises(InvalidTransition):
            status_transition(obj=task, to=target)
        assert _stored(task) == (source, None)


def test_the_table_is_the_one_the_tests_expect() -> None:
    def pairs(table: dict[str, frozenset[str]]) -> set[tuple[str, str]]:
        return {(s, t) for s, targets in table.items() for t in targets}

    assert pairs(TRANSITIONS[Request]) == REQUEST_ALLOWED
    assert pairs(TRANSITIONS[ApprovalTask]) == TASK_ALLOWED


def test_other_fields_named_are_saved_with_the_move(pending: Request) -> None:
    pending.status_reason = "Because."
    status_transition(obj=pending, to=Request.Status.CANCELLED, update_fields=["status_reason"])
    assert Request.objects.get(pk=pending.pk).status_reason == "Because."


def test_the_docs_page_is_generated_from_the_table() -> None:
    """Run `python manage.py request_states_doc` when this fails."""
    page = (ROOT / "docs" / "request-states.md").read_text(encoding="utf-8")
    assert page == states_markdown() + "\n"
    assert "| `pending` (Pending approval) | `approved`, `cancelled`, `expired`, `rejected` |" \
        in page
    assert "| `skipped` (Skipped) | — | yes |" in page


def test_the_command_rewrites_the_docs_page(tmp_path: Path, settings: Any) -> None:
    from django.core.management import call_command

    (tmp_path / "docs").mkdir()
    settings.BASE_DIR = tmp_path
    call_command("request_states_doc")
    assert (tmp_path / "docs" / "request-states.md").read_text() == states_markdown() + "\n"


def test_no_code_of_approvals_writes_a_status_but_the_enforcing_function() -> None:
    writes = []
    for path in sorted((ROOT / "approvals").rglob("*.py")):
        if "migrations" in path.parts or path.name == "states.py":
            continue
        for number, line in enumerate(path.read_text().splitlines(), 1):
            if re.search(r"\.status\s*=[^=]|\.update\(.*\bstatus=", line):
                writes.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert writes == []
