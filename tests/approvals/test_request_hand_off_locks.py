"""What the hand-off locks while provisioning acts on a request (PostgreSQL only).

``request_hand_off`` reads the request ``SELECT … FOR UPDATE OF`` the request table only, with
its project joined in: the request is locked (a second hand-off waits, so it runs once), the
project row is not, so other requests of the project can still be submitted, decided and handed
off while one hand-off runs its handlers. PostgreSQL's ``FOR UPDATE`` without ``OF`` locks the
rows of every joined table (docs: "SELECT … FOR UPDATE", "The Locking Clause"). SQLite has no
row locks (Django leaves the clause out), so these tests run only on PostgreSQL:

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/test_<name> pytest tests/approvals/...
"""

from __future__ import annotations

import threading
from typing import Any

import pytest
from django.db import DatabaseError, connection, transaction

from approvals.models import Request
from approvals.services import handoff, request_hand_off
from portal.models import Project

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="row locks need PostgreSQL (SQLite has no SELECT … FOR UPDATE)",
    ),
]


def _lock_now(model: type[Any], pk: Any) -> str:
    """In another connection: 'locked' if ``model`` row ``pk`` can be locked NOWAIT, else
    'busy' (another transaction holds it)."""
    outcome: list[str] = []

    def run() -> None:
        try:
            with transaction.atomic():
                model.objects.select_for_update(nowait=True).get(pk=pk)
            outcome.append("locked")
        except DatabaseError:
            outcome.append("busy")
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(timeout=30)
    return outcome[0] if outcome else "no answer"


@pytest.fixture
def approved(gpu_request: Request) -> Request:
    Request.objects.filter(pk=gpu_request.pk).update(status=Request.Status.APPROVED)
    gpu_request.refresh_from_db()
    return gpu_request


def test_while_handing_off_the_request_is_locked_but_its_project_is_not(
    approved: Request,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    seen: dict[str, str] = {}

    def probe(*, request: Request) -> None:  # runs inside the hand-off's transaction
        seen["request"] = _lock_now(Request, request.pk)
        seen["project"] = _lock_now(Project, request.project_id)

    monkeypatch.setattr(handoff, "_handlers", [probe])
    request_hand_off(request=approved)

    assert seen == {"request": "busy", "project": "locked"}
    approved.refresh_from_db()
    assert approved.handed_off_at is not None
