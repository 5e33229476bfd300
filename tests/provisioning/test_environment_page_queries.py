"""The environment page (and its API detail) in an exact number of statements that does not grow
with its parameters, overrides, requests or timeline events (issue 16)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from rest_framework.test import APIClient

from approvals.models import Request
from catalog.models import ParameterOverride, ParameterSpec
from portal.models import User
from provisioning.models import Environment, EnvironmentEvent

pytestmark = pytest.mark.django_db


def _more(environment: Environment, user: User, n: int) -> None:
    """``n`` more parameters (each with an override), day-2 requests and timeline events."""
    start = ParameterSpec.objects.filter(version=environment.version).count()
    for i in range(start, start + n):
        ParameterSpec.objects.create(version=environment.version, key=f"Extra{i}",
                                     position=100 + i, no_echo=i % 2 == 0)
        ParameterOverride.objects.create(product=environment.product, key=f"Extra{i}",
                                         label=f"Extra {i}", hidden=i % 3 == 0)
        Request.objects.create(
            requester=user, project=environment.project, product=environment.product,
            version=environment.version, action=Request.Action.UPDATE,
            environment_ref=str(environment.pk), name=environment.name,
            parameters={"InstanceType": "ml.m5.xlarge"}, justification=f"Change {i}")
        EnvironmentEvent.objects.create(environment=environment,
                                        kind=EnvironmentEvent.Kind.PROGRESS, message=f"Event {i}")
    environment.parameters = {**environment.parameters,
                              **{f"Extra{i}": f"v{i}" for i in range(start, start + n)}}
    environment.save()


def _statements(client: Client | APIClient, url: str) -> list[str]:
    client.get(url)  # the menu's roles are kept in the session from the first page on
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return [q["sql"] for q in queries.captured_queries]


def test_the_page_reads_twelve_statements_however_much_it_shows(
        client: Client, scientist: User, available: Environment) -> None:
    client.force_login(scientist)
    url = reverse("provisioning:environment_detail", args=[available.pk])
    _more(available, scientist, 2)
    few = _statements(client, url)
    # 1 session, 2 user, 3 the environment with its product, project, owner, version and origin
    # request, 4 the parameters with their overrides' labels (one statement), 5 the timeline, 6
    # the prices, 7 the status edges, 8 the Cost Explorer actuals, 9 the lease, 10 the
    # requests, 11 the menu's count of what waits, 12 the auto-stop policies. (3, 5, 6, 7, 9,
    # 10 and 12 are statements compiled once: provisioning.environment_read, issue 16.)
    assert len(few) == 12, "\n".join(few)
    for position, table in ((2, "provisioning_environment"), (4, "provisioning_environmentevent"),
                            (5, "catalog_instanceprice"), (6, "portal_auditevent"),
                            (8, "leases_lease"), (9, "approvals_request"),
                            (11, "leases_stoppolicy")):
        assert f'FROM "{table}"' in few[position], (position, few[position])
    # The environment with its five related rows, in one statement.
    for joined in ("catalog_product", "portal_project", "portal_user", "catalog_productversion",
                   "approvals_request"):
        assert f'JOIN "{joined}"' in few[2]
    assert sum("catalog_parameterspec" in s for s in few) == 1
    assert not any(s.startswith('SELECT "catalog_parameteroverride"') for s in few)
    _more(available, scientist, 5)
    page = client.get(url).content.decode()
    assert page.count('data-parameter="Extra') == 7 and page.count('data-request="') == 8
    assert len(_statements(client, url)) == 12


def test_the_api_detail_does_not_grow_with_its_requests(
        scientist: User, available: Environment) -> None:
    client = APIClient()
    client.force_authenticate(scientist)
    url = f"/api/v1/environments/{available.pk}"
    few = len(_statements(client, url))
    _more(available, scientist, 4)
    body = client.get(url).json()
    assert [r["requester"] for r in body["requests"]] == [scientist.username] * 5
    assert len(_statements(client, url)) == few
