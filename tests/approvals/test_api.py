from __future__ import annotations

from typing import Any

import pytest
from rest_framework.test import APIClient

from approvals.models import Request
from catalog.models import Product
from portal.models import Project, User
from tests.approvals.conftest import notebook_values, snapshot

pytestmark = pytest.mark.django_db


def _api(user: User, **kwargs: Any) -> APIClient:
    client = APIClient(**kwargs)
    client.force_authenticate(user)
    return client


def _body(in_project: Project, product: Product, **extra: Any) -> dict[str, Any]:
    body = {"project": in_project.slug, "product": product.pk,
            "parameters": notebook_values("ml.p3.2xlarge"),
            "tag_choices": {"data-classification": "internal"}, "justification": "GPU training"}
    return body | extra


def test_creating_a_request_answers_201_with_its_tasks(
    demo_policies: None, scientist: User, manager: User, project: Project, notebook: Product
) -> None:
    response = _api(scientist).post("/api/v1/requests", _body(project, notebook), format="json")
    assert response.status_code == 201, response.json()
    data = response.json()
    assert data["status"] == "pending" and data["project"] == "fraud"
    assert data["parameters"]["KmsKeyId"] == "alias/ml-notebooks"
    assert data["estimated_monthly_cost"] == "2792.25"
    assert data["tasks"][0]["approvers"] == ["maria.manager"]
    assert data["url"].endswith(f"/requests/{data['id']}/")


@pytest.mark.parametrize(("change", "field"), [
    ({"parameters": notebook_values("ml.x99.huge")}, "parameters"),
    ({"project": "credit-risk"}, "project"),
    ({"justification": ""}, "justification"),
    ({"tag_choices": {"data-classification": "public"}}, "tag_choices"),
])
def test_invalid_input_answers_400_per_field_and_changes_nothing(
    scientist: User, project: Project, other_project: Project, notebook: Product,
    change: dict[str, Any], field: str,
) -> None:
    client = _api(scientist)
    before = snapshot()
    response = client.post("/api/v1/requests", _body(project, notebook, **change), format="json")
    assert response.status_code == 400
    assert field in response.json()["errors"]
    assert snapshot() == before


def test_a_product_the_user_may_not_see_answers_404_and_changes_nothing(
    outsider: User, other_project: Project, notebook: Product
) -> None:
    client = _api(outsider)
    before = snapshot()
    response = client.post("/api/v1/requests", _body(other_project, notebook), format="json")
    assert response.status_code == 404
    assert snapshot() == before


def test_a_malformed_body_answers_400(scientist: User) -> None:
    response = _api(scientist).post("/api/v1/requests", {"product": "x"}, format="json")
    assert response.status_code == 400 and "project" in response.json()


def test_deciding_twice_answers_409_already_decided(gpu_request: Request, manager: User) -> None:
    task = gpu_request.tasks.get()
    client = _api(manager)
    assert client.post(f"/api/v1/tasks/{task.pk}/approve", {}, format="json").status_code == 201
    before = snapshot()
    response = client.post(f"/api/v1/tasks/{task.pk}/reject", {"comment": "no"}, format="json")
    assert response.status_code == 409
    assert response.json()["code"] == "already_decided"
    assert snapshot() == before


def test_rejecting_without_a_comment_answers_400(gpu_request: Request, manager: User) -> None:
    task = gpu_request.tasks.get()
    response = _api(manager).post(f"/api/v1/tasks/{task.pk}/reject", {}, format="json")
    assert response.status_code == 400 and "comment is required" in response.json()["detail"]
    assert gpu_request.tasks.get().status == "pending"


def test_approving_ones_own_request_answers_403(gpu_request: Request, scientist: User) -> None:
    task = gpu_request.tasks.get()
    response = _api(scientist).post(f"/api/v1/tasks/{task.pk}/approve", {}, format="json")
    assert response.status_code == 403 and response.json()["code"] == "self_approval"


def test_cancelling_a_decided_request_answers_409(
    gpu_request: Request, scientist: User, manager: User
) -> None:
    task = gpu_request.tasks.get()
    _api(manager).post(f"/api/v1/tasks/{task.pk}/reject", {"comment": "no budget"},
                       format="json")
    response = _api(scientist).post(f"/api/v1/requests/{gpu_request.pk}/cancel")
    assert response.status_code == 409


def test_the_session_api_keeps_csrf(gpu_request: Request, manager: User) -> None:
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(manager)
    task = gpu_request.tasks.get()
    response = client.post(f"/api/v1/tasks/{task.pk}/approve", {}, format="json")
    assert response.status_code == 403
    assert gpu_request.tasks.get().status == "pending"


def test_the_inbox_lists_my_tasks_with_the_request(gpu_request: Request, manager: User) -> None:
    data = _api(manager).get("/api/v1/inbox").json()
    assert data["count"] == 1
    item = data["results"][0]
    assert item["request"]["id"] == str(gpu_request.pk) and item["approvals"] == 0
    assert item["justification"] == gpu_request.justification


def test_an_unknown_request_id_is_a_404(scientist: User) -> None:
    client = _api(scientist)
    assert client.get("/api/v1/requests/00000000-0000-0000-0000-000000000000").status_code == 404
    assert client.post("/api/v1/tasks/999999/approve", {}, format="json").status_code == 404
