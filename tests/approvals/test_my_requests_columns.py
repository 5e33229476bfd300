""""My requests" shows the name, kind, project, status and the next approver (the people of the
waiting step, by name), in the same few queries for one row or many; the API list too."""

from __future__ import annotations

import re
from html import unescape
from typing import Any

import pytest
from django.contrib.auth.models import Group
from django.test import Client
from rest_framework.test import APIClient

from approvals.models import Request
from approvals.services import request_approve
from catalog.models import Product
from portal.models import Project, User
from tests.approvals.conftest import ADMIN_GROUP, request_notebook
from tests.conftest import make_user

pytestmark = pytest.mark.django_db


def _row(body: str, request: Request) -> dict[str, str]:
    """The cells of the request's row, by data-col, as text."""
    match = re.search(rf'<tr data-request="{request.pk}".*?</tr>', body, re.S)
    assert match, body
    cells = re.findall(r'<td data-col="([a-z-]+)">(.*?)</td>', match.group(0), re.S)
    return {col: unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))).strip()
            for col, html in cells}


def _mine(user: User) -> str:
    client = Client()
    client.force_login(user)
    response = client.get("/requests/")
    assert response.status_code == 200
    return response.content.decode()


def test_a_row_shows_name_kind_project_status_and_next_approver(
    gpu_request: Request, scientist: User
) -> None:
    row = _row(_mine(scientist), gpu_request)

    assert row["name"] == gpu_request.name and row["name"].startswith("dana-nb-")
    assert row["kind"].startswith("SageMaker notebook instance"), row
    assert row["project"] == "Fraud detection"
    assert row["status"] == "Pending approval"
    assert row["next-approver"].startswith("Maria Example Requester's manager, since ")


def test_the_next_approver_of_a_group_step_is_its_members_by_name(
    gpu_request: Request, scientist: User, manager: User
) -> None:
    make_user("paul.admin").groups.add(Group.objects.get(name=ADMIN_GROUP))
    request_approve(task=gpu_request.tasks.get(), approver=manager, comment="ok")

    row = _row(_mine(scientist), gpu_request)

    assert row["next-approver"].startswith(
        "any one of 2: Pat Example, Paul Example Platform admin, since "), row


def test_a_decided_request_has_no_next_approver(
    scientist: User, project: Project, notebook: Product, demo_policies: None
) -> None:
    approved = request_notebook(scientist, project, notebook, "ml.t3.medium")
    row = _row(_mine(scientist), approved)
    assert (row["status"], row["next-approver"]) == ("Approved", "—")


@pytest.mark.usefixtures("demo_policies", "platform_admin")
def test_the_page_costs_the_same_queries_for_one_row_or_twelve(
    scientist: User, project: Project, notebook: Product, django_assert_max_num_queries: Any
) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = Client()
    client.force_login(scientist)
    counts = []
    for total in (1, 12):
        while Request.objects.filter(requester=scientist).count() < total:
            request_notebook(scientist, project, notebook, "ml.p3.2xlarge")
        with CaptureQueriesContext(connection) as queries:
            client.get("/requests/")
        counts.append(len(queries))
    assert counts[0] == counts[1], counts
    with django_assert_max_num_queries(20):
        client.get("/requests/")


def test_the_api_list_has_the_same_columns(gpu_request: Request, scientist: User) -> None:
    client = APIClient()
    client.force_authenticate(scientist)
    [row] = client.get("/api/v1/requests").json()["results"]

    assert row["reference"] == gpu_request.reference and row["name"] == gpu_request.name
    assert (row["kind"], row["project"], row["status"]) == (
        "notebook_instance", "fraud", "pending")
    assert row["next_approvers"] == [{"username": "maria.manager", "name": "Maria Example"}]
    assert row["environment"] is None


def test_a_day_2_request_takes_the_name_of_its_environment(
    scientist: User, project: Project, notebook: Product, environment: Any
) -> None:
    from approvals.services import request_create

    change = request_create(
        requester=scientist, project_slug=project.slug, product_id=notebook.pk,
        action=Request.Action.TERMINATE, environment_ref=str(environment.pk), parameters={},
        tag_choices={"data-classification": "confidential"}, justification="Done with it.")

    assert change.name == environment.name == environment.provisioned_product_name
    assert _row(_mine(scientist), change)["name"] == environment.name


@pytest.mark.usefixtures("demo_policies", "platform_admin")
def test_the_rows_and_the_products_offered_are_escaped(
    scientist: User, project: Project, notebook: Product
) -> None:
    from decimal import Decimal

    request = request_notebook(scientist, project, notebook, "ml.p3.2xlarge")
    Request.objects.filter(pk=request.pk).update(name="<b>nb</b>",
                                                 estimated_monthly_cost=Decimal("2792.25"))
    Product.objects.filter(pk=notebook.pk).update(name="Notebook <i>GPU</i>")
    body = _mine(scientist)
    assert "<b>nb</b>" not in body and "<i>GPU</i>" not in body
    row = _row(body, request)
    assert row["name"] == "<b>nb</b>" and "Notebook <i>GPU</i>" in row["kind"]
    assert f'<a href="/requests/{request.pk}/" class="reference">{request.reference}</a>' \
        in body
    assert "<td>$2792.25/month</td>" in body
    assert (f'<li><a href="/requests/new?product={notebook.pk}">Notebook &lt;i&gt;GPU&lt;/i&gt;'
            f'</a> <span class="muted small">SageMaker notebook instance</span></li>') in body
    assert "You have not requested anything yet." not in body
    assert "You have not requested anything yet." in _mine(make_user("nobody.yet"))
