"""Requests made at the same moment get distinct, consecutive references.

Real transactions, one connection per thread (as test_concurrent_submits): in two projects, so
the project row lock does not serialise them; only the counter's row lock does (PostgreSQL) or
the write lock of BEGIN IMMEDIATE (SQLite). ``DATABASE_URL=postgres://… pytest`` this file.
"""

from __future__ import annotations

import threading
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection

from approvals.models import Request
from approvals.services import request_create
from catalog.models import Product
from portal.models import Membership, Project, User
from tests.approvals.conftest import notebook_values

pytestmark = pytest.mark.django_db(transaction=True)


def test_simultaneous_requests_get_distinct_consecutive_numbers(
    scientist: User, outsider: User, project: Project, notebook: Product
) -> None:
    second = Project.objects.create(
        slug="fraud-two", name="Fraud two", cost_center="CC-1001", environment="dev",
        aws_account_id=project.aws_account_id, aws_region=project.aws_region,
        monthly_budget=Decimal("1000"))
    Membership.objects.create(user=outsider, project=second)
    people = [(scientist, project), (outsider, second)] * 3
    barrier = threading.Barrier(len(people))
    outcomes: list[Any] = [None] * len(people)

    def run(index: int, user: User, where: Project) -> None:
        try:
            barrier.wait(timeout=10)
            outcomes[index] = request_create(
                requester=user, project_slug=where.slug, product_id=notebook.pk,
                parameters=notebook_values(NotebookInstanceName=f"nb-{index}"),
                justification="Race", tag_choices={"data-classification": "internal"})
        except Exception as exc:  # recorded and asserted below
            outcomes[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, u, p)) for i, (u, p) in enumerate(people)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    made = [o for o in outcomes if isinstance(o, Request)]
    assert len(made) == len(people), outcomes
    numbers = sorted(r.number for r in made)
    assert numbers == list(range(numbers[0], numbers[0] + len(people)))
    assert sorted(Request.objects.values_list("number", flat=True)) == numbers
