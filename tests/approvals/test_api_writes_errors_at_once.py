"""Every API write endpoint reports every bad field of a body in one answer (400), and changes
nothing: a client fixes all its mistakes in one go instead of one per round trip."""

from __future__ import annotations

from typing import Any

import pytest
from rest_framework.test import APIClient

from approvals.models import Request
from catalog.models import Product
from portal.models import AuditEvent, Project, User

pytestmark = pytest.mark.django_db


def _call(user: User, method: str, url: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    client = APIClient()
    client.force_authenticate(user)
    before = AuditEvent.objects.count(), Request.objects.count()
    response = getattr(client, method)(url, body, format="json")
    assert (AuditEvent.objects.count(), Request.objects.count()) == before, "something changed"
    return response.status_code, response.json()


def _named(answer: dict[str, Any]) -> set[str]:
    """The fields an error answer names, whichever of the API's two shapes it has."""
    errors = answer.get("errors", answer)
    return set(errors) if isinstance(errors, dict) else set()


def test_a_request_with_every_field_wrong(scientist: User, project: Project,
                                          notebook: Product) -> None:
    status, answer = _call(scientist, "post", "/api/v1/requests", {
        "project": 7, "product": "one", "version": "two", "action": "explode",
        "environment_ref": 5, "parameters": [], "tag_choices": "x", "justification": False})
    assert status == 400
    assert _named(answer) >= {"project", "product", "version", "action", "environment_ref",
                              "parameters", "tag_choices", "justification"}, answer


def test_a_request_whose_values_are_wrong(scientist: User, project: Project,
                                          notebook: Product) -> None:
    status, answer = _call(scientist, "post", "/api/v1/requests", {
        "project": "nope", "product": notebook.pk, "action": "update",
        "parameters": {"InstanceType": "ml.x99.huge"},
        "tag_choices": {"data-classification": "public"}, "justification": " "})
    assert status == 400
    assert _named(answer) >= {"project", "environment_ref", "tag_choices",
                              "justification"}, answer


def test_a_rejection_without_comment_and_with_a_stray_type(gpu_request: Request,
                                                           manager: User) -> None:
    task = gpu_request.tasks.get()
    status, answer = _call(manager, "post", f"/api/v1/tasks/{task.pk}/reject", {"comment": 5})
    assert status == 400 and _named(answer) == {"comment"}, answer


def test_a_validation_of_parameters_with_both_fields_wrong(scientist: User, project: Project,
                                                           notebook: Product) -> None:
    status, answer = _call(scientist, "post",
                           f"/api/v1/catalog/products/{notebook.pk}/validate",
                           {"version": "v1", "parameters": "InstanceType=ml.t3.medium"})
    assert status == 400 and _named(answer) >= {"version", "parameters"}, answer


def test_a_curation_with_every_field_wrong(platform_admin: User, notebook: Product) -> None:
    status, answer = _call(platform_admin, "patch",
                           f"/api/v1/catalog/admin/products/{notebook.pk}", {
                               "published": "yes", "kind": "teapot", "hide_deprecated": 1,
                               "default_version": "v1", "visible_to_groups": "quants",
                               "output_mapping": []})
    assert status == 400
    assert _named(answer) >= {"published", "kind", "hide_deprecated", "default_version",
                              "visible_to_groups", "output_mapping"}, answer


def test_a_curation_naming_unknown_things_names_them_all(platform_admin: User,
                                                         notebook: Product) -> None:
    status, answer = _call(platform_admin, "patch",
                           f"/api/v1/catalog/admin/products/{notebook.pk}", {
                               "published": False, "visible_to_groups": ["no-such-group"],
                               "visible_to_projects": ["no-such-project"],
                               "default_version": 999999})
    assert status == 400
    assert _named(answer) == {"visible_to_groups", "visible_to_projects",
                              "default_version"}, answer
    notebook.refresh_from_db()
    assert notebook.published  # nothing changed


def test_a_parameter_curation_with_every_field_wrong(platform_admin: User,
                                                     notebook: Product) -> None:
    status, answer = _call(platform_admin, "put",
                           f"/api/v1/catalog/admin/products/{notebook.pk}/parameters/"
                           "InstanceType",
                           {"hidden": "yes", "fixed_value": 5, "allowed_values": "ml.t3.medium",
                            "label": 7, "on_change": "sometimes"})
    assert status == 400
    assert _named(answer) >= {"hidden", "fixed_value", "allowed_values", "label",
                              "on_change"}, answer
