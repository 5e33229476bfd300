"""Malformed input gets a 400 (or 413) with a clear message, never a 500 (issue 12's 7 causes).

Each is refused at one depth: BadInputMiddleware (address, query string, forms, body size),
PortalJSONParser (JSON bodies) or PortalPagination (limit/offset).
"""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
from django.test import Client
from rest_framework.exceptions import ParseError
from rest_framework.request import Request
from rest_framework.test import APIRequestFactory

from portal.api_input import (
    MAX_JSON_DEPTH,
    MAX_PAGE_SIZE,
    PayloadTooLarge,
    PortalJSONParser,
    PortalPagination,
)
from portal.models import Project, User

pytestmark = pytest.mark.django_db


def signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def nested(depth: int) -> str:
    return "[" * depth + "]" * depth


# --- NUL characters --------------------------------------------------------------------------

@pytest.mark.parametrize("url", [
    "/api/v1/catalog/products?q=%00",
    "/api/v1/environments?status=a%00b",
    "/catalog/?q=%00",
    "/environments/all/?product=%00",
    "/admin/provisioning/environment/?status=%00",
    "/admin/provisioning/environment/?q=x%00",
    "/api/v1/catalog/admin/products/1/parameters/%00",
    "/catalog/manage/1/parameters/a%00b/",
])
def test_a_nul_in_the_address_or_query_string_is_a_400(url: str, platform_admin: User) -> None:
    response = signed_in(platform_admin).get(url)

    assert response.status_code == 400
    assert b"NUL characters are not accepted" in response.content


def test_the_api_explains_it_in_json(platform_admin: User) -> None:
    response = signed_in(platform_admin).get("/api/v1/catalog/products?q=%00")

    assert response.json()["code"] == "bad_input"


@pytest.mark.parametrize("body", [
    {"project": "fraud", "product": 1, "justification": "a\u0000b"},
    {"project": "fraud", "product": 1, "justification": "x", "parameters": {"Key\u0000": "v"}},
    {"project": "fraud", "product": 1, "justification": "x", "parameters": {"K": ["\u0000"]}},
])
def test_a_nul_inside_a_json_body_is_a_400_and_nothing_is_created(
        body: dict[str, Any], scientist: User, project: Project) -> None:
    from approvals.models import Request

    response = signed_in(scientist).post("/api/v1/requests", json.dumps(body),
                                         content_type="application/json")

    assert response.status_code == 400
    assert "NUL characters" in response.json()["detail"]
    assert not Request.objects.exists()


def test_a_nul_in_a_form_is_a_400(scientist: User, project: Project) -> None:
    response = signed_in(scientist).post("/requests/new", {"justification": "a\x00b"})

    assert response.status_code == 400
    assert b"NUL characters" in response.content


# --- size and depth --------------------------------------------------------------------------

def test_a_body_over_the_upload_limit_is_a_413(scientist: User, settings: Any) -> None:
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    client = signed_in(scientist)

    api = client.post("/api/v1/requests", json.dumps({"justification": "x" * 2000}),
                      content_type="application/json")
    form = client.post("/requests/new", {"justification": "x" * 2000})

    assert api.status_code == 413 and "larger than 1000 bytes" in api.json()["detail"]
    assert form.status_code == 413 and b"larger than 1000 bytes" in form.content


def test_the_parser_enforces_the_limit_without_a_content_length(settings: Any) -> None:
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    with pytest.raises(PayloadTooLarge):
        PortalJSONParser().parse(io.BytesIO(b'"' + b"x" * 2000 + b'"'))


def test_a_malformed_content_length_is_a_400(scientist: User) -> None:
    response = signed_in(scientist).post("/api/v1/requests", "{}",
                                         content_type="application/json", CONTENT_LENGTH="²")

    assert response.status_code == 400
    assert "Content-Length" in response.json()["detail"]


@pytest.mark.parametrize("depth", [MAX_JSON_DEPTH + 1, 1000, 100_000])
def test_json_nested_too_deep_is_a_400(depth: int, scientist: User, project: Project) -> None:
    body = json.dumps({"project": "fraud", "product": 1, "justification": "x",
                       "parameters": {"a": "HERE"}}).replace('"HERE"', nested(depth))
    response = signed_in(scientist).post("/api/v1/requests", body,
                                         content_type="application/json")

    assert response.status_code == 400
    assert "nested deeper than" in response.json()["detail"]


def test_json_as_deep_as_allowed_is_parsed() -> None:
    assert PortalJSONParser().parse(io.BytesIO(nested(MAX_JSON_DEPTH).encode())) is not None


@pytest.mark.parametrize("raw", [b"NaN", b"[Infinity]", b"{", b"\xff"])
def test_what_is_not_json_is_a_parse_error(raw: bytes) -> None:
    with pytest.raises(ParseError):
        PortalJSONParser().parse(io.BytesIO(raw))


def test_a_form_body_is_refused_by_the_api(scientist: User, project: Project) -> None:
    response = signed_in(scientist).post("/api/v1/requests", {"project": "fraud"})

    assert response.status_code == 415, response.content


# --- limit/offset and numbers ----------------------------------------------------------------

@pytest.mark.parametrize("query", ["limit=true", "limit=%C2%B2", "limit=0", "limit=-1",
                                   "limit=99999999999999999999999", "offset=%C2%B2",
                                   "offset=99999999999999999999999", "limit=1.5"])
@pytest.mark.parametrize("url", ["/api/v1/environments", "/api/v1/requests", "/api/v1/inbox",
                                 "/api/v1/projects", "/api/v1/catalog/products"])
def test_a_limit_or_offset_that_is_not_a_plain_number_is_a_400(
        url: str, query: str, platform_admin: User) -> None:
    response = signed_in(platform_admin).get(f"{url}?{query}")

    assert response.status_code == 400, response.content
    assert "whole number" in json.dumps(response.json())


def test_a_large_limit_is_capped_at_500(scientist: User, project: Project) -> None:
    response = signed_in(scientist).get("/api/v1/projects?limit=100000")

    assert response.status_code == 200
    assert response.json()["count"] == 1
    request = Request(APIRequestFactory().get("/", {"limit": "100000"}))
    assert PortalPagination().get_limit(request) == MAX_PAGE_SIZE == 500


@pytest.mark.parametrize("product", ["²", "99999999999999999999999", "٣"])
def test_a_unicode_or_huge_digit_in_the_admin_product_filter_is_no_500(
        product: str, platform_admin: User) -> None:
    response = signed_in(platform_admin).get("/environments/all/", {"product": product})

    assert response.status_code == 200


# --- HEAD ------------------------------------------------------------------------------------

@pytest.mark.parametrize("url", ["/", "/catalog/", "/requests/", "/environments/", "/audit/",
                                 "/healthz"])
def test_head_answers_like_get_without_a_body(url: str, auditor: User) -> None:
    client = signed_in(auditor)
    get = client.get(url)
    head = client.head(url)

    assert head.status_code == get.status_code == 200
    assert head.content == b""
    assert head["Content-Type"] == get["Content-Type"]
