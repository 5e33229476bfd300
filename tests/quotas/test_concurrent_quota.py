"""Two requests racing for the last unit of a quota: one wins, the other is refused.

Real transactions and one connection per thread, as in tests/approvals/test_concurrent_submits:
on SQLite (writers serialised by BEGIN IMMEDIATE) and on PostgreSQL (the check locks the project
row, then the requester's, before counting): ``DATABASE_URL=postgres://… pytest <this file>``.
The per-person race is across two projects, so only the requester's row lock serialises it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection

from approvals.errors import RequestInvalid
from approvals.models import Request
from approvals.services import RequestSubmitted, request_submit
from catalog.models import Product
from portal.models import Membership, Project, User
from tests.approvals.conftest import notebook_values
from tests.quotas.conftest import cap, grant

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


def _submit(user: User, project: Project, product: Product, *, name: str
            ) -> Callable[[], RequestSubmitted]:
    return lambda: request_submit(
        requester=user, project_slug=project.slug, product_id=product.pk,
        parameters=notebook_values("ml.p3.2xlarge", NotebookInstanceName=name),
        tag_choices={"data-classification": "internal"}, justification="GPU training",
        idempotency_key=name)


def _one_wins(outcomes: list[Any], *, expected: str) -> None:
    made = [o for o in outcomes if isinstance(o, RequestSubmitted)]
    refused = [o for o in outcomes if isinstance(o, RequestInvalid)]
    assert len(made) == 1 and len(refused) == 1, outcomes
    assert expected in refused[0].errors["limits"][0]
    assert Request.objects.count() == 1


def test_one_person_racing_for_their_last_gpu_in_two_projects_gets_one(
        scientist: User, project: Project, notebook: Product) -> None:
    second = Project.objects.create(
        slug="fraud-lab", name="Fraud lab", cost_center="CC-1001", environment="dev",
        aws_account_id=project.aws_account_id, aws_region=project.aws_region,
        monthly_budget=Decimal("1000"))
    Membership.objects.create(user=scientist, project=second)
    grant("gpu_instances", 1)
    outcomes = _race(_submit(scientist, project, notebook, name="gpu-a"),
                     _submit(scientist, second, notebook, name="gpu-b"))
    _one_wins(outcomes, expected="Your quota of gpu instances is 1")


def test_two_members_racing_for_a_projects_last_environment_get_one(
        scientist: User, colleague: User, project: Project, notebook: Product) -> None:
    cap(project, "running_environments", 1)
    outcomes = _race(_submit(scientist, project, notebook, name="env-a"),
                     _submit(colleague, project, notebook, name="env-b"))
    _one_wins(outcomes, expected="The quota of project fraud of running environments is 1")
