"""A refused request names every bad field in one answer, so a client fixes them in one go."""

from __future__ import annotations

from typing import Any

import pytest
from rest_framework.test import APIClient

from catalog.models import Product
from portal.models import Project, User
from tests.approvals.conftest import notebook_values, snapshot

pytestmark = pytest.mark.django_db


def _post(user: User, body: dict[str, Any]) -> Any:
    client = APIClient()
    client.force_authenticate(user)
    return client.post("/api/v1/requests", body, format="json")


def test_every_bad_value_of_the_request_is_reported_at_once(
    scientist: User, project: Project, notebook: Product
) -> None:
    before = snapshot()
    response = _post(scientist, {
        "project": project.slug, "product": notebook.pk,
        "parameters": notebook_values("ml.x99.huge") | {"VolumeSizeInGB": "9999999"},
        "tag_choices": {"data-classification": "public"}, "justification": ""})

    assert response.status_code == 400
    errors = response.json()["errors"]
    assert {"parameters", "tag_choices", "justification"} <= set(errors), errors
    assert {"InstanceType", "VolumeSizeInGB"} <= set(errors["parameters"]), errors
    assert snapshot() == before


def test_every_mistyped_field_is_reported_at_once(scientist: User, project: Project) -> None:
    response = _post(scientist, {"project": 7, "product": "one", "justification": False,
                                 "action": "explode"})

    assert response.status_code == 400
    assert {"project", "product", "justification", "action"} <= set(response.json()), \
        response.json()
