"""The API's list of my requests (approvals.api_rows) is MyRequestOutput's JSON, byte for byte."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.contrib.auth.models import Group
from rest_framework.renderers import JSONRenderer
from rest_framework.test import APIClient

from approvals.api import MyRequestOutput
from approvals.api_rows import my_request_rows
from approvals.links import environment_links
from approvals.models import Request
from approvals.selectors import my_requests, waiting_tasks_prefetch
from approvals.services import request_approve
from catalog.models import Product
from portal.models import Project, User
from tests.approvals.conftest import ADMIN_GROUP, make_environment, request_notebook
from tests.conftest import make_user

pytestmark = pytest.mark.django_db


def _both(user: User) -> tuple[bytes, bytes]:
    rows = list(my_requests(user=user))
    waiting_tasks_prefetch(rows)
    links = environment_links(requests=rows, user=user)
    expected = MyRequestOutput(rows, many=True, context={"links": links}).data
    return (JSONRenderer().render(my_request_rows(rows, links=links)),
            JSONRenderer().render(expected))


@pytest.mark.usefixtures("demo_policies", "platform_admin")
def test_the_rows_are_the_serializers_json_byte_for_byte(
        scientist: User, manager: User, project: Project, notebook: Product,
        settings: Any) -> None:
    waiting = request_notebook(scientist, project, notebook, "ml.p3.2xlarge")  # manager's step
    group_step = request_notebook(scientist, project, notebook, "ml.p3.2xlarge")
    make_user("paul.admin").groups.add(Group.objects.get(name=ADMIN_GROUP))
    request_approve(task=group_step.tasks.get(), approver=manager, comment="ok")
    request_notebook(scientist, project, notebook, "ml.t3.medium")  # approved at once
    Request.objects.filter(pk=waiting.pk).update(
        estimated_monthly_cost=Decimal("12.5"), lease_days=7, name="<b>&é")
    environment = make_environment(scientist, project, notebook)
    Request.objects.create(
        requester=scientist, project=project, product=notebook, version=environment.version,
        action=Request.Action.TERMINATE, environment_ref=str(environment.pk),
        name=environment.name, parameters={}, justification="Done", estimated_monthly_cost=None)
    for zone in ("UTC", "America/New_York"):
        settings.TIME_ZONE = zone
        built, expected = _both(scientist)
        assert built == expected
    assert built.count(b'"next_approvers":[{') == 2
    assert b'"environment":{"id":"' in built and b'"estimated_monthly_cost":"12.50"' in built
    # The endpoint answers the same rows.
    client = APIClient()
    client.force_authenticate(scientist)
    body = client.get("/api/v1/requests?limit=500").json()
    assert JSONRenderer().render(body["results"]) == expected
