"""Each refusal of request_create names its field and says what is wrong, in the words the form
and the API show; a refused request writes nothing."""

from __future__ import annotations

from typing import Any

import pytest

from approvals.errors import RequestInvalid
from approvals.models import Request
from approvals.services import request_create
from approvals.services.validate import JUSTIFICATION_MAX
from catalog.models import Product
from portal.models import AuditEvent, Project, User
from tests.approvals.conftest import notebook_values

pytestmark = pytest.mark.django_db


def refusal(user: User, project: Project, product: Product, **overrides: Any) -> dict[str, Any]:
    kwargs: dict[str, Any] = {
        "requester": user, "project_slug": project.slug, "product_id": product.pk,
        "parameters": notebook_values(), "tag_choices": {"data-classification": "internal"},
        "justification": "Feature engineering for the fraud model.",
    }
    kwargs.update(overrides)
    with pytest.raises(RequestInvalid) as refused:
        request_create(**kwargs)
    assert not Request.objects.exists()
    assert not AuditEvent.objects.filter(action="request.created").exists()
    return refused.value.errors


@pytest.mark.parametrize(("overrides", "field", "messages"), [
    ({"version_id": 987654}, "version", ["This version cannot be requested."]),
    ({"action": "explode"}, "action", ["Choose one of: create, update, extend, terminate."]),
    ({"environment_ref": "env-1"}, "environment_ref",
     ["A new environment has no environment reference."]),
    ({"action": "update", "environment_ref": "  "}, "environment_ref",
     ["Say which environment this request is about."]),
    ({"action": "terminate"}, "environment_ref", ["Say which environment this request is about."]),
    ({"justification": "   "}, "justification", ["Explain why you need this environment."]),
    ({"justification": "x" * (JUSTIFICATION_MAX + 1)}, "justification",
     [f"At most {JUSTIFICATION_MAX} characters."]),
    ({"parameters": ["InstanceType"]}, "parameters",
     {"__all__": ["Parameters must be an object of key/value."]}),
])
def test_a_bad_field_is_refused_with_its_own_message(
        scientist: User, project: Project, notebook: Product, overrides: dict[str, Any],
        field: str, messages: Any) -> None:
    assert refusal(scientist, project, notebook, **overrides) == {field: messages}


def test_a_project_the_requester_is_not_in_is_refused(
        scientist: User, other_project: Project, notebook: Product) -> None:
    errors = refusal(scientist, other_project, notebook)
    assert errors["project"] == ["You are not a member of this project."]


def test_a_justification_of_exactly_the_limit_is_accepted(
        scientist: User, project: Project, notebook: Product) -> None:
    request = request_create(
        requester=scientist, project_slug=project.slug, product_id=notebook.pk,
        parameters=notebook_values(), tag_choices={"data-classification": "internal"},
        justification="x" * JUSTIFICATION_MAX)
    assert len(request.justification) == JUSTIFICATION_MAX
