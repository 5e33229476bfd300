"""SCIM and offboarding run on provisioning's fixtures (the fake AWS, the cast's notebook) and
record the identity app's tasks instead of sending them."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from tests.provisioning.conftest import *  # noqa: F403  (fixtures: available, queued, …)
from tests.provisioning.conftest import SentTasks, _no_real_aws  # noqa: F401


@pytest.fixture(autouse=True)
def identity_tasks(sent_tasks: SentTasks, monkeypatch: pytest.MonkeyPatch) -> SentTasks:
    from identity import tasks

    for task in (tasks.handover_transfer_task, tasks.handover_terminate_task,
                 tasks.handover_tags_follow_task):
        def apply_async(args: tuple[Any, ...] = (), kwargs: Any = None, *, _name: str = task.name,
                        countdown: float | None = None, **options: Any) -> None:
            sent_tasks.calls.append((_name, tuple(args), countdown))

        def delay(*args: Any, _name: str = task.name) -> None:
            sent_tasks.calls.append((_name, args, None))

        monkeypatch.setattr(task, "apply_async", apply_async)
        monkeypatch.setattr(task, "delay", delay)
    return sent_tasks


class Scim:
    """An IdP's provisioning client: the bearer token, application/scim+json bodies."""

    def __init__(self, key: str) -> None:
        self.client = Client()
        self.key = key

    def call(self, method: str, path: str, body: Any = None, *, key: str | None = None,
             content_type: str = "application/scim+json") -> Any:
        headers = {"HTTP_AUTHORIZATION": f"Bearer {self.key if key is None else key}"}
        url = "/scim/v2/" + path
        if body is None:
            return getattr(self.client, method.lower())(url, **headers)
        return getattr(self.client, method.lower())(
            url, data=json.dumps(body), content_type=content_type, **headers)


@pytest.fixture
def scim(db: None) -> Scim:
    from identity.scim_auth import scim_token_create

    _, key = scim_token_create(name="entra")
    return Scim(key)
