"""Friendly error pages, never a stack trace, with DEBUG off."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from portal.models import User
from tests.portal.error_urls import SECRET_DETAIL


@pytest.fixture
def failing_urls(settings: Any) -> None:
    settings.ROOT_URLCONF = "tests.portal.error_urls"


def assert_no_internals(content: bytes) -> None:
    for leak in (b"Traceback", b"RuntimeError", SECRET_DETAIL.encode(), b"hunter2",
                 b"URLconf", b"DEBUG = True", b"site-packages"):
        assert leak not in content, leak


def test_debug_is_off_in_the_test_settings(settings: Any) -> None:
    assert settings.DEBUG is False


def test_an_unknown_page_is_the_friendly_404(client: Client, db: None) -> None:
    response = client.get("/no/such/page/")

    assert response.status_code == 404
    assert b"<h1>Not found</h1>" in response.content
    assert b"portal.css" in response.content
    assert_no_internals(response.content)


def test_a_signed_in_person_gets_the_404_with_navigation(client: Client,
                                                         scientist: User) -> None:
    client.force_login(scientist)

    response = client.get("/no/such/page/")

    assert response.status_code == 404
    assert b"<h1>Not found</h1>" in response.content
    assert b'data-nav="dashboard"' in response.content


@pytest.mark.usefixtures("failing_urls")
def test_a_crash_is_the_friendly_500(client: Client, scientist: User) -> None:
    client.raise_request_exception = False
    client.force_login(scientist)

    response = client.get("/test-only/boom/")

    assert response.status_code == 500
    assert b"Something went wrong" in response.content
    assert b"The error has been logged." in response.content
    assert_no_internals(response.content)


@pytest.mark.usefixtures("failing_urls")
def test_an_anonymous_crash_is_the_friendly_500(client: Client, db: None) -> None:
    client.raise_request_exception = False

    response = client.get("/test-only/boom/")

    assert response.status_code == 500
    assert b"Something went wrong" in response.content
    assert_no_internals(response.content)


@pytest.mark.usefixtures("failing_urls")
def test_an_api_crash_is_a_json_500_without_internals(client: Client, scientist: User) -> None:
    client.raise_request_exception = False
    client.force_login(scientist)

    response = client.get("/test-only/api-boom/")

    assert response.status_code == 500
    assert response.json() == {"detail": "Internal error; it has been logged."}
    assert_no_internals(response.content)
