"""The policy pack's page, downloads and API: platform admins only (404 for everyone else),
every download audited as ``policy_pack.downloaded``."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from portal.models import AuditEvent, Project, User

pytestmark = pytest.mark.django_db
PAGE = "/policy-pack/"
API = "/api/v1/policy-pack"


@pytest.fixture
def projects(project: Project, other_project: Project) -> list[Project]:
    return [project, other_project]


def downloads() -> list[tuple[str, list[str]]]:
    return [(e.actor_username, e.data["documents"])
            for e in AuditEvent.objects.filter(action="policy_pack.downloaded").order_by("pk")]


def test_an_admin_sees_every_document_listed_with_a_download_link(
        client: Client, platform_admin: User, projects: list[Project],
        django_assert_max_num_queries: Any) -> None:
    client.force_login(platform_admin)
    with django_assert_max_num_queries(6):
        page = client.get(PAGE)
    assert page.status_code == 200
    text = page.content.decode()
    for name in ("scp-guardrails", f"{projects[0].slug}-trust",
                 f"{projects[1].slug}-permissions"):
        assert f'href="/policy-pack/{name}.json"' in text
    assert downloads() == []  # looking at the list is not a download


def test_more_projects_cost_no_more_queries(
        client: Client, platform_admin: User, projects: list[Project],
        django_assert_max_num_queries: Any) -> None:
    for n in range(10):
        Project.objects.create(slug=f"p{n}", name=f"P{n}", aws_account_id=f"44444444444{n}",
                               aws_region="eu-west-1")
    client.force_login(platform_admin)
    with django_assert_max_num_queries(6):
        assert client.get(PAGE).status_code == 200


def test_a_download_is_json_and_audited(client: Client, platform_admin: User,
                                        projects: list[Project]) -> None:
    client.force_login(platform_admin)
    name = f"{projects[0].slug}-permissions"
    answer = client.get(f"/policy-pack/{name}.json")
    assert answer.status_code == 200
    assert answer["Content-Type"] == "application/json"
    assert answer["Content-Disposition"] == f'attachment; filename="{name}.json"'
    body = json.loads(answer.content)
    assert body["Version"] == "2012-10-17"
    assert projects[0].aws_account_id in json.dumps(body)
    assert downloads() == [(platform_admin.username, [name])]
    event = AuditEvent.objects.get(action="policy_pack.downloaded")
    assert event.project == projects[0]


@pytest.mark.parametrize("who", ["scientist", "auditor", "manager"])
def test_everyone_else_gets_404_on_the_page_downloads_and_api(
        client: Client, who: str, request: pytest.FixtureRequest,
        projects: list[Project]) -> None:
    client.force_login(request.getfixturevalue(who))
    for url in (PAGE, "/policy-pack/scp-guardrails.json", API, f"{API}/scp-guardrails"):
        assert client.get(url).status_code == 404, url
    assert downloads() == []


def test_anonymous_is_sent_to_sign_in_and_the_api_answers_401(client: Client) -> None:
    assert client.get(PAGE).status_code == 302
    assert client.get("/policy-pack/scp-guardrails.json").status_code == 302
    assert client.get(API).status_code == 401
    assert downloads() == []


def test_an_unknown_document_is_404_and_not_audited(client: Client, platform_admin: User,
                                                    projects: list[Project]) -> None:
    client.force_login(platform_admin)
    assert client.get("/policy-pack/nope.json").status_code == 404
    assert client.get(f"{API}/nope").status_code == 404
    assert downloads() == []


def test_the_api_returns_all_documents_or_one_and_audits_each(
        client: Client, platform_admin: User, projects: list[Project]) -> None:
    client.force_login(platform_admin)
    everything = client.get(API)
    assert everything.status_code == 200
    documents = everything.json()["documents"]
    names = [d["name"] for d in documents]
    assert names[0] == "scp-guardrails" and len(names) == 5
    assert documents[0]["project"] is None and documents[0]["kind"] == "scp"
    assert documents[1]["project"] == min(p.slug for p in projects)  # by slug
    one = client.get(f"{API}/{names[1]}")
    assert one.status_code == 200
    assert one.json()["document"] == documents[1]["document"]
    assert downloads() == [(platform_admin.username, names),
                           (platform_admin.username, [names[1]])]


def test_a_configuration_that_cannot_make_the_pack_says_so(
        client: Client, platform_admin: User, projects: list[Project], settings: Any) -> None:
    settings.PORTAL_AWS_MODE = "aws"
    settings.PORTAL_AWS_PORTAL_PRINCIPAL_ARN = ""
    client.force_login(platform_admin)
    page = client.get(PAGE)
    assert page.status_code == 409
    assert "PORTAL_AWS_PORTAL_PRINCIPAL_ARN" in page.content.decode()
    api = client.get(API)
    assert api.status_code == 400
    assert "PORTAL_AWS_PORTAL_PRINCIPAL_ARN" in api.json()["detail"]
    assert downloads() == []


def test_the_admin_navigation_links_the_page(client: Client, platform_admin: User,
                                             scientist: User) -> None:
    client.force_login(platform_admin)
    assert f'href="{PAGE}"' in client.get("/").content.decode()
    client.force_login(scientist)
    assert f'href="{PAGE}"' not in client.get("/").content.decode()
