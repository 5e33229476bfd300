"""The OpenAPI schema matches the API: envelopes, refusals, JSON only, strict types."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from drf_spectacular.generators import SchemaGenerator

from portal.models import Project, User

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def schema() -> dict[str, Any]:
    return SchemaGenerator().get_schema(request=None, public=True)  # type: ignore[no-any-return]


def operations(schema: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [(method.upper(), path, op) for path, ops in schema["paths"].items()
            for method, op in ops.items()]


def resolve(schema: dict[str, Any], ref: dict[str, Any]) -> dict[str, Any]:
    name = ref["$ref"].rsplit("/", 1)[-1]
    return schema["components"]["schemas"][name]  # type: ignore[no-any-return]


def signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_every_operation_documents_its_refusals(schema: dict[str, Any]) -> None:
    for method, path, op in operations(schema):
        codes = set(op["responses"])
        assert {"400", "403"} <= codes, (method, path)
        assert ("404" in codes) == ("{" in path), (method, path)
        if method != "GET" and path != "/api/v1/catalog/products/{id}/validate":
            assert "409" in codes, (method, path)
        if "requestBody" in op:
            assert {"413", "415"} <= codes, (method, path)


def test_bodies_are_json_only(schema: dict[str, Any]) -> None:
    for method, path, op in operations(schema):
        if "requestBody" in op:
            assert list(op["requestBody"]["content"]) == ["application/json"], (method, path)


def test_reject_requires_a_comment_and_approve_does_not(schema: dict[str, Any]) -> None:
    def body(path: str) -> dict[str, Any]:
        ref = schema["paths"][path]["post"]["requestBody"]["content"]["application/json"]
        return resolve(schema, ref["schema"])

    assert "comment" in body("/api/v1/tasks/{id}/reject").get("required", [])
    assert "comment" not in body("/api/v1/tasks/{id}/approve").get("required", [])


def test_list_operations_are_paginated_as_documented(
        schema: dict[str, Any], platform_admin: User, project: Project) -> None:
    client = signed_in(platform_admin)
    for method, path, op in operations(schema):
        if method != "GET" or "{" in path:
            continue
        documented = resolve(schema, op["responses"]["200"]["content"]["application/json"]
                             ["schema"])
        paginated = {"count", "results"} <= set(documented.get("properties", {}))
        body = client.get(path).json()
        assert paginated == (isinstance(body, dict) and "results" in body), path
        if paginated:
            limit = next(p for p in op["parameters"] if p["name"] == "limit")
            assert limit["schema"]["maximum"] == 500


@pytest.mark.parametrize(("body", "field", "message"), [
    ({"project": "fraud", "product": "1", "justification": "x"}, "product", "number"),
    ({"project": "fraud", "product": True, "justification": "x"}, "product", "number"),
    ({"project": "fraud", "product": 1, "justification": 5}, "justification", "string"),
    ({"project": 7, "product": 1, "justification": "x"}, "project", "string"),
    ({"project": "fraud", "product": 1, "justification": "x", "version": "2"}, "version",
     "number"),
    ({"project": "fraud", "product": 1, "justification": "x", "tag_choices": []},
     "tag_choices", "dictionary"),
])
def test_requests_refuse_the_wrong_json_type(body: dict[str, Any], field: str, message: str,
                                             scientist: User, project: Project) -> None:
    from approvals.models import Request

    response = signed_in(scientist).post("/api/v1/requests", body,
                                         content_type="application/json")

    assert response.status_code == 400
    assert message in " ".join(response.json()[field]).lower()
    assert not Request.objects.exists()


def test_every_mistake_is_reported_at_once(scientist: User, project: Project) -> None:
    response = signed_in(scientist).post("/api/v1/requests", {"product": "1"},
                                         content_type="application/json")

    assert response.status_code == 400
    assert {"product", "project", "justification"} <= set(response.json())


def test_a_boolean_must_be_a_boolean_and_nothing_changes(scientist: User,
                                                         project: Project) -> None:
    from provisioning.models import Environment
    from tests.provisioning.conftest import approved_request, make_notebook_product

    product, version = make_notebook_product(project)
    origin = approved_request(requester=scientist, project=project, product=product,
                              version=version)
    environment = Environment.objects.create(
        origin_request=origin, owner=scientist, project=project, product=product,
        version=version, provisioned_product_name="fraud-dana-nb-1",
        status=Environment.Status.AVAILABLE)

    response = signed_in(scientist).post(f"/api/v1/environments/{environment.pk}/terminate",
                                         {"confirm": "true"}, content_type="application/json")

    assert response.status_code == 400
    assert "boolean" in response.json()["confirm"][0]
    environment.refresh_from_db()
    assert environment.status == Environment.Status.AVAILABLE
