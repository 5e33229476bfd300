"""Lists page by number as well as by offset, and say how many pages there are."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.test import Client

from portal.models import Membership, Project, User
from portal.services import api_token_rotate

PROJECTS = "/api/v1/projects"


@pytest.fixture
def client_with_seven_projects(scientist: User) -> Client:
    for n in range(7):
        project = Project.objects.create(
            slug=f"p{n}", name=f"Project {n:02}", cost_center="CC", environment="dev",
            aws_account_id=f"{n + 100:012}", aws_region="eu-west-1", monthly_budget=Decimal(1))
        Membership.objects.create(user=scientist, project=project)
    return Client(HTTP_AUTHORIZATION=f"Bearer {api_token_rotate(user=scientist)}")


def names(body: dict[str, object]) -> list[str]:
    return [p["name"] for p in body["results"]]  # type: ignore[attr-defined,index]


def test_page_numbers_walk_the_list_and_say_how_many_there_are(
        client_with_seven_projects: Client) -> None:
    first = client_with_seven_projects.get(PROJECTS, {"limit": 3, "page": 1}).json()
    third = client_with_seven_projects.get(PROJECTS, {"limit": 3, "page": 3}).json()

    assert names(first) == ["Project 00", "Project 01", "Project 02"]
    assert names(third) == ["Project 06"]
    assert (first["count"], first["page"], first["pages"]) == (7, 1, 3)
    assert (third["page"], third["pages"], third["next"]) == (3, 3, None)


def test_the_links_of_a_numbered_page_lead_on_without_contradicting_it(
        client_with_seven_projects: Client) -> None:
    second = client_with_seven_projects.get(PROJECTS, {"limit": 3, "page": 2}).json()

    assert "page=" not in second["next"] and "offset=6" in second["next"]
    following = client_with_seven_projects.get(second["next"]).json()
    assert names(following) == ["Project 06"] and following["page"] == 3
    back = client_with_seven_projects.get(second["previous"]).json()
    assert back["page"] == 1


def test_offset_answers_say_their_page_too(client_with_seven_projects: Client) -> None:
    body = client_with_seven_projects.get(PROJECTS, {"limit": 2, "offset": 4}).json()

    assert names(body) == ["Project 04", "Project 05"]
    assert (body["page"], body["pages"]) == (3, 4)


def test_a_page_past_the_end_is_empty_not_an_error(client_with_seven_projects: Client) -> None:
    response = client_with_seven_projects.get(PROJECTS, {"limit": 3, "page": 9})

    assert response.status_code == 200
    assert response.json()["results"] == [] and response.json()["pages"] == 3


def test_an_empty_list_has_one_page(scientist: User) -> None:
    client = Client(HTTP_AUTHORIZATION=f"Bearer {api_token_rotate(user=scientist)}")

    body = client.get(PROJECTS).json()

    assert (body["count"], body["page"], body["pages"]) == (0, 1, 1)


@pytest.mark.parametrize("query", [{"page": "0"}, {"page": "-1"}, {"page": "x"},
                                   {"page": "1.5"}, {"page": "99999999999"},
                                   {"page": "2", "offset": "3"}])
def test_a_bad_page_is_a_400_that_names_the_parameter(
        query: dict[str, str], client_with_seven_projects: Client) -> None:
    response = client_with_seven_projects.get(PROJECTS, query)

    assert response.status_code == 400
    assert list(response.json()) == ["page"]


def test_the_schema_documents_page_and_pages(client: Client, scientist: User) -> None:
    client.force_login(scientist)

    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json").content.decode()

    assert '"name": "page"' in schema or "name: page" in schema
    assert "pages" in schema
