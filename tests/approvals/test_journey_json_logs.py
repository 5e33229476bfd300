"""A full journey with JSON logs at DEBUG: every line is a JSON object, every line written
during a web request carries that request's id, and no line holds the presigned URL, its
launch token, the NoEcho value, the sealed value or an API token.

The journey is the secrets scan's (request with a NoEcho parameter → approvals → provisioning on
the fake AWS → open, which makes a presigned URL → stop → start), plus one API call with a real
API token. The handler is the one `LOGGING` builds with PORTAL_LOG_FORMAT=json (JsonFormatter and
RequestIdFilter), attached to every logger; SQL statements are logged with their parameters.
"""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client
from rest_framework.test import APIClient

from catalog.models import Product
from portal.logs import JsonFormatter, RequestIdFilter
from portal.models import Project, User
from portal.sealing import SEALED_PREFIX
from portal.services import api_token_rotate
from tests.approvals.test_journey_secrets_scan import (  # noqa: F401  (fixtures)
    NOECHO_VALUE,
    Broker,
    journey_product,
    run_journey,
    sent_tasks,
)

pytestmark = pytest.mark.django_db


class JsonLines:
    def __init__(self) -> None:
        self.stream = io.StringIO()
        self.handler = logging.StreamHandler(self.stream)
        self.handler.setLevel(logging.DEBUG)
        self.handler.setFormatter(JsonFormatter())
        self.handler.addFilter(RequestIdFilter())
        # (first line, last line, X-Request-ID) of each test-client request
        self.requests: list[tuple[int, int, str]] = []

    def count(self) -> int:
        return len(self.stream.getvalue().splitlines())

    def lines(self) -> list[str]:
        return self.stream.getvalue().splitlines()


@pytest.fixture
def json_logs(monkeypatch: pytest.MonkeyPatch) -> Iterator[JsonLines]:
    logs = JsonLines()
    connection.force_debug_cursor = True
    loggers = [logging.getLogger()] + [logging.getLogger(name) for name in
                                       list(logging.root.manager.loggerDict)]
    saved = [(lg, lg.level, lg.disabled) for lg in loggers]
    pinned = tuple(settings.LOGGING["loggers"])  # kept at their pinned level, as deployed
    for lg in loggers:
        lg.addHandler(logs.handler)
        if not any(lg.name == name or lg.name.startswith(name + ".") for name in pinned):
            lg.setLevel(logging.DEBUG)
        lg.disabled = False

    real_request = Client.request

    def request(client: Client, **kwargs: Any) -> Any:
        first = logs.count()
        response = real_request(client, **kwargs)
        logs.requests.append((first, logs.count(), response["X-Request-ID"]))
        return response

    monkeypatch.setattr(Client, "request", request)
    yield logs
    connection.force_debug_cursor = False
    for lg, level, disabled in saved:
        lg.removeHandler(logs.handler)
        lg.setLevel(level)
        lg.disabled = disabled


def test_a_journey_logs_json_lines_with_request_ids_and_no_secret(
        scientist: User, manager: User, platform_admin: User, project: Project,
        journey_product: Product, demo_policies: None, sent_tasks: Broker,  # noqa: F811
        json_logs: JsonLines, django_capture_on_commit_callbacks: Callable[..., Any]) -> None:
    environment, url = run_journey(
        scientist=scientist, approvers=[manager, platform_admin], project=project,
        product=journey_product, broker=sent_tasks, capture=django_capture_on_commit_callbacks)
    token = max((v for vs in parse_qs(urlsplit(url).query).values() for v in vs), key=len)
    api_key = api_token_rotate(user=scientist)
    me = APIClient().get("/api/v1/me", HTTP_AUTHORIZATION=f"Token {api_key}")
    assert me.status_code == 200
    bad = APIClient().get("/api/v1/me", HTTP_AUTHORIZATION=f"Token {api_key[:-4]}zzzz")
    assert bad.status_code == 401  # refused, with the WWW-Authenticate challenge

    lines = json_logs.lines()
    parsed = [json.loads(line) for line in lines]  # every line is one JSON object
    assert all({"time", "level", "logger", "message", "request_id"} <= set(p) for p in parsed)

    # Every line written while a web request was being handled carries that request's id.
    web_lines = 0
    for first, last, request_id in json_logs.requests:
        assert request_id
        for record in parsed[first:last]:
            assert record["request_id"] == request_id, record
            web_lines += 1
    # create (auto-approved), open, the presigned landing, stop, start, two API-token calls
    assert len(json_logs.requests) == 7 and web_lines > 200  # SQL at DEBUG: many per request
    assert any(p["logger"] == "django.db.backends" for p in parsed)

    whole = "\n".join(lines)
    for name, secret in (("presigned URL", url), ("launch token", token),
                         ("NoEcho value", NOECHO_VALUE), ("sealed value", SEALED_PREFIX),
                         ("API token", api_key)):
        assert secret not in whole, name
    assert environment.events.filter(kind="launch").exists()
