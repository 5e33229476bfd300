"""Two submits at the same moment: one key makes one request, one name goes to one request.

Real transactions and one connection per thread, as in test_concurrent_decisions: on SQLite
(writers serialised by BEGIN IMMEDIATE) and on PostgreSQL (the unique index makes the second
insert wait for the first to commit, then fail; the project row lock serialises name checks):
``DATABASE_URL=postgres://… pytest tests/approvals/test_concurrent_submits.py``.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection

from approvals.errors import RequestInvalid
from approvals.models import ApprovalTask, Request
from approvals.services import RequestSubmitted, request_submit
from catalog.models import Product
from portal.models import AuditEvent, Project, User
from tests.approvals.conftest import notebook_values

pytestmark = pytest.mark.django_db(transaction=True)


def _race(*submits: Callable[[], RequestSubmitted]) -> list[Any]:
    barrier = threading.Barrier(len(submits))
    outcomes: list[Any] = [None] * len(submits)

    def run(index: int, submit: Callable[[], RequestSubmitted]) -> None:
        try:
            barrier.wait(timeout=10)
            outcomes[index] = submit()
        except Exception as exc:  # recorded and asserted below
            outcomes[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, s)) for i, s in enumerate(submits)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return outcomes


def _submit(user: User, project: Project, product: Product, *, key: str,
            name: str = "dana-gpu") -> Callable[[], RequestSubmitted]:
    return lambda: request_submit(
        requester=user, project_slug=project.slug, product_id=product.pk,
        parameters=notebook_values("ml.p3.2xlarge", NotebookInstanceName=name),
        tag_choices={"data-classification": "internal"}, justification="GPU training",
        idempotency_key=key)


@pytest.mark.usefixtures("demo_policies")
def test_two_simultaneous_submits_with_one_key_store_one_request(
    scientist: User, project: Project, notebook: Product
) -> None:
    outcomes = _race(_submit(scientist, project, notebook, key="k-1"),
                     _submit(scientist, project, notebook, key="k-1"))
    assert all(isinstance(o, RequestSubmitted) for o in outcomes), outcomes
    assert sorted(o.created for o in outcomes) == [False, True]
    assert outcomes[0].request.pk == outcomes[1].request.pk
    assert Request.objects.count() == 1 and ApprovalTask.objects.count() == 1
    assert AuditEvent.objects.filter(action="request.created").count() == 1


@pytest.mark.usefixtures("demo_policies")
def test_two_simultaneous_requests_for_one_name_store_one(
    scientist: User, colleague: User, project: Project, notebook: Product
) -> None:
    outcomes = _race(_submit(scientist, project, notebook, key="a"),
                     _submit(colleague, project, notebook, key="b"))
    made = [o for o in outcomes if isinstance(o, RequestSubmitted)]
    refused = [o for o in outcomes if isinstance(o, RequestInvalid)]
    assert len(made) == 1 and len(refused) == 1, outcomes
    assert "NotebookInstanceName" in refused[0].errors["parameters"]
    assert Request.objects.count() == 1
