"""Every request and inbox endpoint, HTML and API, for the whole cast.

The request is the scientist's pending GPU notebook; its open task is the manager's. Expected
status per person: the owner acts, people who may see it but not do this get 403, people who may
not see it get 404, anonymous is sent to sign in (HTML) or refused (API).
"""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from approvals.models import Request
from portal.models import User
from tests.approvals.conftest import snapshot

pytestmark = pytest.mark.django_db

CAST = ["scientist", "colleague", "outsider", "manager", "other_manager", "platform_admin",
        "auditor", "anonymous"]


def _client(who: str, request: pytest.FixtureRequest) -> Client:
    client = Client()
    if who != "anonymous":
        client.force_login(request.getfixturevalue(who))
    return client


def _expect(table: dict[str, int], who: str) -> int:
    return table[who]


ANON_HTML = 302  # to the sign-in page
ANON_API = 401   # no credentials: 401 with the WWW-Authenticate challenge

ENDPOINTS: list[tuple[str, str, str, dict[str, int], bool]] = [
    # (name, method, url template, expected statuses, changes state when allowed)
    ("my requests page", "get", "/requests/",
     dict.fromkeys(CAST, 200) | {"anonymous": ANON_HTML}, False),
    ("inbox page", "get", "/requests/inbox/",
     dict.fromkeys(CAST, 200) | {"anonymous": ANON_HTML}, False),
    ("request form", "get", "/requests/new?product={product}",
     {"scientist": 200, "colleague": 200, "manager": 200, "outsider": 404, "other_manager": 404,
      "platform_admin": 404, "auditor": 404, "anonymous": ANON_HTML}, False),
    ("request page", "get", "/requests/{req}/",
     {"scientist": 200, "manager": 200, "platform_admin": 200, "auditor": 200, "colleague": 404,
      "outsider": 404, "other_manager": 404, "anonymous": ANON_HTML}, False),
    ("cancel", "post", "/requests/{req}/cancel",
     {"scientist": 302, "manager": 403, "platform_admin": 403, "auditor": 403, "colleague": 404,
      "outsider": 404, "other_manager": 404, "anonymous": ANON_HTML}, True),
    ("decide", "post", "/requests/tasks/{task}/decide",
     {"manager": 302, "scientist": 403, "colleague": 404, "outsider": 404, "other_manager": 404,
      "platform_admin": 404, "auditor": 404, "anonymous": ANON_HTML}, True),
    ("bulk approve", "post", "/requests/inbox/approve",
     {"manager": 302, "scientist": 400, "colleague": 400, "outsider": 400, "other_manager": 400,
      "platform_admin": 400, "auditor": 400, "anonymous": ANON_HTML}, True),
    ("API my requests", "get", "/api/v1/requests",
     dict.fromkeys(CAST, 200) | {"anonymous": ANON_API}, False),
    ("API inbox", "get", "/api/v1/inbox", dict.fromkeys(CAST, 200) | {"anonymous": ANON_API},
     False),
    ("API request", "get", "/api/v1/requests/{req}",
     {"scientist": 200, "manager": 200, "platform_admin": 200, "auditor": 200, "colleague": 404,
      "outsider": 404, "other_manager": 404, "anonymous": ANON_API}, False),
    ("API cancel", "post", "/api/v1/requests/{req}/cancel",
     {"scientist": 200, "manager": 403, "platform_admin": 403, "auditor": 403, "colleague": 404,
      "outsider": 404, "other_manager": 404, "anonymous": ANON_API}, True),
    ("API approve", "post", "/api/v1/tasks/{task}/approve",
     {"manager": 201, "scientist": 403, "colleague": 404, "outsider": 404, "other_manager": 404,
      "platform_admin": 404, "auditor": 404, "anonymous": ANON_API}, True),
    ("API reject", "post", "/api/v1/tasks/{task}/reject",
     {"manager": 201, "scientist": 403, "colleague": 404, "outsider": 404, "other_manager": 404,
      "platform_admin": 404, "auditor": 404, "anonymous": ANON_API}, True),
]

CASES = [(name, method, url, table, changes, who)
         for name, method, url, table, changes in ENDPOINTS for who in CAST]


@pytest.mark.parametrize(("name", "method", "url", "table", "changes", "who"), CASES,
                         ids=[f"{c[0]}-{c[5]}" for c in CASES])
def test_endpoint_answers_each_member_of_the_cast(
    name: str, method: str, url: str, table: dict[str, int], changes: bool, who: str,
    gpu_request: Request, manager: User, colleague: User, outsider: User, other_manager: User,
    auditor: User, request: pytest.FixtureRequest,
) -> None:
    client = _client(who, request)
    task = gpu_request.tasks.get()
    target = url.format(req=gpu_request.pk, task=task.pk, product=gpu_request.product_id)
    data: dict[str, Any] = {}
    if "decide" in url:
        data = {"verdict": "approve"}
    elif "inbox/approve" in url:
        data = {"tasks": [task.pk]}
    elif "reject" in url:
        data = {"comment": "Too expensive for a first try"}
    before = snapshot()
    # The API takes JSON bodies only (a form body is a 415); the pages take forms.
    as_json = {"content_type": "application/json"} if target.startswith("/api/") else {}
    response = getattr(client, method)(target, data, **as_json)
    expected = _expect(table, who)
    assert response.status_code == expected, response.content[:500]
    if expected == ANON_HTML and who == "anonymous":
        assert response["Location"].startswith("/accounts/login/")
    if method == "post" and (expected >= 400 or who == "anonymous"):
        assert snapshot() == before
    if changes and expected < 400 and who != "anonymous":
        assert snapshot() != before
    body = response.content.decode()
    if expected == 200 and "{req}" in url and method == "get":
        assert "Train the fraud model" in body
    if name in {"my requests page", "API my requests"} and who != "anonymous":
        assert (str(gpu_request.pk) in body) == (who == "scientist")


@pytest.mark.parametrize("path", ["/requests/inbox/", "/api/v1/inbox"])
def test_only_the_named_approver_sees_the_task_in_the_inbox(
    path: str, gpu_request: Request, request: pytest.FixtureRequest
) -> None:
    task = gpu_request.tasks.get()
    for who in CAST[:-1]:
        body = _client(who, request).get(path).content.decode()
        shown = f'data-task="{task.pk}"' in body or f'"id":{task.pk},' in body
        assert shown == (who == "manager"), who
