"""What the hand-off locks while provisioning acts on a request (PostgreSQL only).

``request_hand_off`` reads the request ``SELECT … FOR UPDATE OF`` the request table only, with
its project joined in: the request is locked (a second hand-off waits, so it runs once), the
project row is not, so other requests of the project can still be submitted, decided and handed
off while one hand-off runs its handlers. PostgreSQL's ``FOR UPDATE`` without ``OF`` locks the
rows of every joined table (docs: "SELECT … FOR UPDATE", "The Locking Clause"). SQLite has no
row locks (Django leaves the clause out), so there the test checks the statement as Django
compiles it for PostgreSQL, and on PostgreSQL (CI) it also probes the locks themselves.
"""

from __future__ import annotations

import pytest
from django.db import connection

from approvals.models import Request
from approvals.services import handoff, request_hand_off
from portal.models import Project
from tests.pg_locks import as_postgresql, lock_now, locks_recorded

pytestmark = pytest.mark.django_db(transaction=True)


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
        seen["request"] = lock_now(Request, request.pk)
        seen["project"] = lock_now(Project, request.project_id)

    locking = locks_recorded(monkeypatch)
    if connection.vendor == "postgresql":
        monkeypatch.setattr(handoff, "_handlers", [probe])
    request_hand_off(request=approved)

    lock = locking[0]  # the hand-off's own (the probe's NOWAIT locks come after it)
    assert as_postgresql(lock).endswith('FOR UPDATE OF "approvals_request"')
    if connection.vendor == "postgresql":
        assert seen == {"request": "busy", "project": "locked"}
    approved.refresh_from_db()
    assert approved.handed_off_at is not None
