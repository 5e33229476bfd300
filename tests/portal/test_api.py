"""API v1 shell: /me and /projects, session (CSRF kept) and token authentication, the schema."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from portal.models import Membership, Project, User
from portal.services import api_token_rotate

ME = "/api/v1/me"
PROJECTS = "/api/v1/projects"


def token_client(user: User) -> Client:
    key = api_token_rotate(user=user)
    return Client(HTTP_AUTHORIZATION=f"Token {key}")


def slugs(response: Any) -> list[str]:
    assert response.status_code == 200
    return [p["slug"] for p in response.json()["results"]]


# --- anonymous ---------------------------------------------------------------------------------

@pytest.mark.parametrize("url", [ME, PROJECTS, "/api/schema/"])
def test_anonymous_gets_401_with_the_challenge(url: str, client: Client, project: Project) -> None:
    response = client.get(url)

    # RFC 7235 §3.1: a 401 carries WWW-Authenticate; both accepted schemes are offered.
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Bearer realm="ml-portal", Token realm="ml-portal"'
    assert b"Fraud detection" not in response.content


def test_anonymous_visitors_of_the_api_docs_are_sent_to_sign_in(client: Client, db: None) -> None:
    response = client.get("/api/docs/")

    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/api/docs/"


@pytest.mark.parametrize("scheme", ["Token", "Bearer", "bearer"])
def test_a_wrong_token_is_refused_as_invalid(scheme: str, client: Client, project: Project) -> None:
    response = client.get(PROJECTS, HTTP_AUTHORIZATION=f"{scheme} " + "0" * 40)

    assert response.status_code == 401
    assert response.json() == {"detail": "Invalid or expired token."}
    challenge = response["WWW-Authenticate"]
    assert challenge.startswith('Bearer realm="ml-portal", error="invalid_token"')


def test_the_bearer_scheme_works_as_the_token_scheme_does(scientist: User) -> None:
    key = api_token_rotate(user=scientist)

    response = Client(HTTP_AUTHORIZATION=f"Bearer {key}").get(ME)

    assert response.status_code == 200
    assert response.json()["username"] == scientist.username


def test_the_token_of_a_deactivated_person_is_refused(scientist: User, project: Project) -> None:
    client = token_client(scientist)
    User.objects.filter(pk=scientist.pk).update(is_active=False)

    assert client.get(PROJECTS).status_code == 401


# --- /me ---------------------------------------------------------------------------------------

def test_me_describes_the_caller_with_a_token(scientist: User) -> None:
    response = token_client(scientist).get(ME)

    assert response.status_code == 200
    assert response.json() == {
        "username": "dana.scientist",
        "name": "Dana Example",
        "email": "dana.scientist@bank.example",
        "department": "Data Science",
        "cost_center": "CC-1001",
        "owner_id": "AROAEXAMPLEDATASCIENTIST:dana.scientist",
        "roles": [],
        "groups": [],
        "manager": {"username": "maria.manager", "name": "Maria Example",
                    "email": "maria.manager@bank.example"},
    }


def test_me_works_with_the_session(client: Client, auditor: User) -> None:
    client.force_login(auditor)

    body = client.get(ME).json()

    assert body["username"] == "audrey.auditor"
    assert body["roles"] == ["auditor"]
    assert body["manager"] is None


# --- /projects ---------------------------------------------------------------------------------

@pytest.mark.usefixtures("project", "other_project")
def test_projects_lists_only_the_caller_s_projects(scientist: User) -> None:
    response = token_client(scientist).get(PROJECTS)

    assert slugs(response) == ["fraud"]
    assert response.json()["results"][0] == {
        "slug": "fraud", "name": "Fraud detection", "description": "", "cost_center": "CC-1001",
        "environment": "dev", "aws_account_id": "111111111111", "aws_region": "eu-west-1",
        "monthly_budget": "2000.00", "my_role": "member",
    }


@pytest.mark.usefixtures("project", "other_project")
def test_the_outsider_never_sees_the_fraud_project(outsider: User) -> None:
    response = token_client(outsider).get(PROJECTS)

    assert slugs(response) == ["credit-risk"]
    assert response.json()["results"][0]["my_role"] == "lead"
    assert b"fraud" not in response.content


@pytest.mark.usefixtures("project", "other_project")
def test_a_platform_admin_sees_no_project_they_are_not_in(platform_admin: User) -> None:
    assert slugs(token_client(platform_admin).get(PROJECTS)) == []


@pytest.mark.usefixtures("project")
def test_a_lead_sees_their_role(client: Client, manager: User) -> None:
    client.force_login(manager)

    assert client.get(PROJECTS).json()["results"][0]["my_role"] == "lead"


def test_an_inactive_project_is_not_listed(scientist: User, project: Project) -> None:
    Project.objects.filter(pk=project.pk).update(active=False)

    assert slugs(token_client(scientist).get(PROJECTS)) == []


def test_projects_query_count_does_not_grow_with_the_number_of_projects(
    scientist: User, outsider: User, other_project: Project
) -> None:
    client = token_client(scientist)

    def add(count: int) -> None:
        first = Project.objects.count()
        for n in range(first, first + count):
            p = Project.objects.create(
                slug=f"p{n}", name=f"Project {n:02}", cost_center="CC", environment="dev",
                aws_account_id=f"{n:012}", aws_region="eu-west-1", monthly_budget=Decimal(1))
            Membership.objects.create(user=scientist, project=p)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            response = client.get(PROJECTS)
        assert response.status_code == 200
        return len(captured)

    add(1)
    with_one = queries()
    add(19)
    with_twenty = queries()

    assert with_twenty == with_one
    assert len(client.get(PROJECTS).json()["results"]) == 20


# --- CSRF on session authentication ---------------------------------------------------------------

def test_a_session_post_without_csrf_token_is_refused_before_anything_else(
    scientist: User,
) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(scientist)

    response = client.post(PROJECTS, {}, content_type="application/json")

    assert response.status_code == 403
    assert response.json()["detail"].startswith("CSRF Failed")


def test_a_session_post_with_the_csrf_token_gets_past_authentication(scientist: User) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(scientist)
    client.get("/")  # the page carries the sign-out form, which sets the CSRF cookie
    token = client.cookies["portal_csrftoken"].value

    response = client.post(PROJECTS, {}, content_type="application/json",
                           HTTP_X_CSRFTOKEN=token)

    assert response.status_code == 405


def test_a_token_post_needs_no_csrf_token(scientist: User) -> None:
    key = api_token_rotate(user=scientist)
    client = Client(enforce_csrf_checks=True, HTTP_AUTHORIZATION=f"Token {key}")

    assert client.post(PROJECTS, {}, content_type="application/json").status_code == 405


# --- schema and docs -----------------------------------------------------------------------------

def test_the_schema_is_served_to_signed_in_people(client: Client, scientist: User) -> None:
    client.force_login(scientist)

    response = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")

    assert response.status_code == 200
    schema = response.json()
    assert schema["openapi"].startswith("3.")
    assert {"/api/v1/me", "/api/v1/projects"} <= set(schema["paths"])


def test_the_docs_page_loads_its_assets_from_static(
    client: Client, scientist: User, settings: Any
) -> None:
    settings.WHITENOISE_USE_FINDERS = True  # serve the sidecar's files without collectstatic
    client.force_login(scientist)

    response = client.get("/api/docs/")

    assert response.status_code == 200
    html = response.content.decode()
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", html), "an asset from another host"
    assert "cdn" not in html.lower()
    assets = re.findall(r"""(?:src|href)=["']([^"']+)["']""", html)
    assert any(a.endswith("swagger-ui-bundle.js") for a in assets)
    assert all(a.startswith("/static/") for a in assets)
    for asset in assets:
        assert client.get(asset).status_code == 200, asset
