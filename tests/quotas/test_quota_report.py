"""Usage against every limit: ``GET /api/v1/me/quota``, the dashboard and the request form, in a
constant number of queries."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from catalog.models import Product
from portal.models import Project, User
from tests.approvals.conftest import make_environment
from tests.quotas.conftest import cap, grant

pytestmark = pytest.mark.django_db
URL = "/api/v1/me/quota"


def _running(owner: User, project: Project, product: Product, instance_type: str) -> None:
    environment = make_environment(owner, project, product)
    environment.parameters = {"InstanceType": instance_type}
    environment.save(update_fields=["parameters"])


@pytest.fixture
def limits(scientist: User, colleague: User, outsider: User, project: Project,
           other_project: Project, notebook: Product) -> None:
    grant("running_environments", 3)
    grant("gpu_instances", 1, group="ml-gpu-users", members=[scientist])
    grant("daily_credits", 50)
    cap(project, "gpu_instances", 2)
    cap(other_project, "running_environments", 9)  # the scientist is not in it
    _running(scientist, project, notebook, "ml.p3.2xlarge")  # 91.80 a day, over 50
    _running(colleague, project, notebook, "ml.g4dn.xlarge")
    _running(outsider, other_project, notebook, "ml.t3.medium")


@pytest.mark.usefixtures("limits")
def test_the_api_shows_my_limits_and_my_projects(client: Client, scientist: User) -> None:
    client.force_login(scientist)
    response = client.get(URL)
    assert response.status_code == 200
    rows = [(r["scope"], r["project"], r["measure"], r["limit"], r["used"], r["left"])
            for r in response.json()["quotas"]]
    assert rows == [
        ("user", "", "running_environments", "3.00", "1.00", "2.00"),
        ("user", "", "gpu_instances", "1.00", "1.00", "0.00"),
        ("user", "", "daily_credits", "50.00", "91.80", "0.00"),
        ("project", "fraud", "gpu_instances", "2.00", "2.00", "0.00"),
    ]
    first = response.json()["quotas"][1]
    assert first["granted_to"] == ["ml-gpu-users"] and first["name"] == "GPU instances"
    assert "your requests not provisioned yet" in first["counts"]


@pytest.mark.usefixtures("limits")
def test_someone_outside_every_group_sees_zero_for_what_groups_are_granted(
        client: Client, colleague: User) -> None:
    client.force_login(colleague)
    gpu = [r for r in client.get(URL).json()["quotas"] if r["measure"] == "gpu_instances"]
    assert [(r["scope"], r["limit"], r["used"], r["granted_to"]) for r in gpu] == [
        ("user", "0.00", "1.00", []), ("project", "2.00", "2.00", [])]


def test_without_any_quota_the_list_is_empty(client: Client, scientist: User) -> None:
    client.force_login(scientist)
    assert client.get(URL).json() == {"quotas": []}


def test_anonymous_gets_401(client: Client, db: None) -> None:
    assert client.get(URL).status_code == 401
    assert client.post(URL).status_code == 401


def test_it_reads_only(client: Client, scientist: User) -> None:
    client.force_login(scientist)
    assert client.post(URL, {}, content_type="application/json").status_code == 405


@pytest.mark.usefixtures("limits")
def test_the_dashboard_and_the_request_form_show_the_usage(
        client: Client, scientist: User, notebook: Product) -> None:
    client.force_login(scientist)
    for url in ("/", f"/requests/new?product={notebook.pk}"):
        page = client.get(url).content.decode()
        assert 'id="quota-usage"' in page, url
        assert 'data-quota="user::gpu_instances" class="quota-full"' in page
        assert "granted to ml-gpu-users" in page
        assert 'data-quota="project:fraud:gpu_instances"' in page
        assert "credit-risk" not in page.split('id="quota-usage"')[1]


def test_no_panel_without_quotas(client: Client, scientist: User) -> None:
    client.force_login(scientist)
    assert 'id="quota-usage"' not in client.get("/").content.decode()


def test_the_api_counts_in_constant_queries(client: Client, scientist: User, project: Project,
                                            notebook: Product,
                                            django_assert_max_num_queries: Any) -> None:
    grant("running_environments", 30)
    grant("daily_credits", 500)
    cap(project, "running_environments", 30)
    client.force_login(scientist)
    client.get(URL)
    for instance_type in ["ml.t3.medium", "ml.p3.2xlarge"] * 10:
        _running(scientist, project, notebook, instance_type)
    with django_assert_max_num_queries(12):
        response = client.get(URL)
    assert response.json()["quotas"][0]["used"] == "20.00"


def test_the_dashboard_reads_the_caps_of_any_number_of_projects_in_the_same_queries(
    client: Client, scientist: User, project: Project,
) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from portal.models import Membership

    grant("running_environments", 3)
    cap(project, "running_environments", 5)
    client.force_login(scientist)
    client.get("/")

    def dashboard() -> tuple[int, str]:
        with CaptureQueriesContext(connection) as queries:
            body = client.get("/").content.decode()
        return len(queries), body

    with_one, _ = dashboard()
    for n in range(20):
        more = Project.objects.create(
            slug=f"capped-{n}", name=f"Capped {n:02}", cost_center="CC-9", environment="dev",
            aws_account_id=f"{n:012}", aws_region="eu-west-1")
        Membership.objects.create(user=scientist, project=more)
        cap(more, "running_environments", 5)
    with_twenty_one, body = dashboard()
    assert with_twenty_one == with_one
    assert all(f"capped-{n}" in body for n in range(20))
