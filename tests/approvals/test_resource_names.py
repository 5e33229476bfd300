"""A second live request for one resource name is refused (issue 13, reliability 1).

Live: a request pending, or approved and not yet handed off; or an environment with the name
that is not terminated. Same project and same product kind; the portal-chosen names (empty or
the template's default) are unique anyway and never checked.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from rest_framework.test import APIClient

from approvals.errors import RequestInvalid
from approvals.models import Request
from approvals.services import live_name_checks, request_cancel, request_create
from approvals.services.names import NAME_TAKEN
from catalog.models import ParameterSpec, Product
from portal.models import Project, User
from provisioning.models import Environment
from provisioning.request_checks import environment_name_live
from tests.approvals.conftest import make_environment, notebook_values, snapshot

pytestmark = pytest.mark.django_db

TAKEN = NAME_TAKEN.format(key="NotebookInstanceName", name="dana-gpu")


def _create(user: User, project: Project, product: Product, name: str = "dana-gpu",
            **extra: Any) -> Request:
    return request_create(
        requester=user, project_slug=project.slug, product_id=product.pk,
        parameters=notebook_values(NotebookInstanceName=name),
        tag_choices={"data-classification": "internal"}, justification="Train", **extra)


def test_a_second_request_for_a_live_requests_name_is_refused_and_changes_nothing(
    scientist: User, colleague: User, project: Project, notebook: Product
) -> None:
    _create(scientist, project, notebook)
    before = snapshot()
    with pytest.raises(RequestInvalid) as refused:
        _create(colleague, project, notebook)
    assert refused.value.errors == {"parameters": {"NotebookInstanceName": [TAKEN]}}
    assert snapshot() == before


def test_the_api_refuses_it_with_400_and_the_reason(
    scientist: User, project: Project, notebook: Product
) -> None:
    _create(scientist, project, notebook)
    client = APIClient()
    client.force_authenticate(scientist)
    body = {"project": project.slug, "product": notebook.pk,
            "parameters": notebook_values(NotebookInstanceName="dana-gpu"),
            "tag_choices": {"data-classification": "internal"}, "justification": "Again"}
    response = client.post("/api/v1/requests", body, format="json")
    assert response.status_code == 400
    assert response.json()["errors"]["parameters"]["NotebookInstanceName"] == [TAKEN]
    assert Request.objects.count() == 1


def test_the_form_shows_it_at_the_name_field(
    scientist: User, project: Project, notebook: Product
) -> None:
    _create(scientist, project, notebook)
    client = Client()
    client.force_login(scientist)
    response = client.post(f"/requests/new?product={notebook.pk}", {
        "req-project": project.slug, "req-justification": "Again",
        "req-tag:data-classification": "confidential", "NotebookInstanceName": "dana-gpu",
        "InstanceType": "ml.t3.medium", "VolumeSizeInGB": "20"})
    assert response.status_code == 400
    body = response.content.decode()
    assert 'id="errors-NotebookInstanceName"' in body
    assert "is already used in this project by a request or an environment" in body
    assert Request.objects.count() == 1


def test_the_name_is_free_again_once_the_request_is_no_longer_live(
    scientist: User, project: Project, notebook: Product
) -> None:
    first = _create(scientist, project, notebook)
    request_cancel(request=first, user=scientist)
    assert _create(scientist, project, notebook).pk != first.pk


def test_an_approved_request_not_yet_handed_off_keeps_its_name(
    scientist: User, project: Project, notebook: Product
) -> None:
    first = _create(scientist, project, notebook)
    Request.objects.filter(pk=first.pk).update(status=Request.Status.APPROVED)
    with pytest.raises(RequestInvalid):
        _create(scientist, project, notebook)
    # Handed off, the name is the environment's to keep (and there is none here).
    Request.objects.filter(pk=first.pk).update(handed_off_at=first.created_at)
    assert _create(scientist, project, notebook).pk != first.pk


@pytest.mark.parametrize(("status", "refused"), [
    (Environment.Status.AVAILABLE, True), (Environment.Status.PROVISIONING, True),
    (Environment.Status.STOPPED, True), (Environment.Status.FAILED, True),
    (Environment.Status.TERMINATED, False),
])
def test_an_environment_keeps_its_name_until_it_is_terminated(
    scientist: User, project: Project, notebook: Product, status: str, refused: bool
) -> None:
    environment = make_environment(scientist, project, notebook, status=status)
    environment.parameters = notebook_values(NotebookInstanceName="dana-gpu")
    environment.save()
    if refused:
        with pytest.raises(RequestInvalid) as error:
            _create(scientist, project, notebook)
        assert error.value.errors["parameters"]["NotebookInstanceName"] == [TAKEN]
    else:
        assert _create(scientist, project, notebook).status == Request.Status.PENDING


def test_a_name_the_portal_filled_in_at_provisioning_counts_too(
    scientist: User, project: Project, notebook: Product
) -> None:
    environment = make_environment(scientist, project, notebook)
    Environment.objects.filter(pk=environment.pk).update(notebook_instance_name="dana-gpu")
    assert environment_name_live(project.pk, notebook.kind, "NotebookInstanceName", "dana-gpu")
    with pytest.raises(RequestInvalid):
        _create(scientist, project, notebook)


def test_provisioning_registers_its_check(db: None) -> None:
    assert environment_name_live in live_name_checks()


def test_the_same_name_in_another_project_is_fine(
    scientist: User, outsider: User, project: Project, other_project: Project,
    notebook: Product,
) -> None:
    _create(scientist, project, notebook)
    assert not environment_name_live(other_project.pk, notebook.kind, "NotebookInstanceName",
                                     "dana-gpu")
    other = Request.objects.get()
    other.pk = None
    other.number = None  # type: ignore[assignment]  # a new request gets its own reference
    other.project = other_project
    other.requester = outsider
    other.save()  # a live request of that name elsewhere does not block this project
    assert Request.objects.filter(project=project).count() == 1
    _create(scientist, project, notebook, name="dana-gpu-2")


@pytest.mark.parametrize("name", ["", "myNotebook"])
def test_a_name_the_portal_picks_is_never_checked(
    scientist: User, project: Project, notebook: Product, name: str
) -> None:
    """Empty, or the template's fixed default: provisioning gives it the provisioned product's
    unique name, so two such requests never collide."""
    ParameterSpec.objects.filter(version__product=notebook, key="NotebookInstanceName").update(
        default="myNotebook")
    assert _create(scientist, project, notebook, name=name).pk != \
        _create(scientist, project, notebook, name=name).pk


def test_a_change_request_keeps_its_environments_name(
    scientist: User, project: Project, notebook: Product
) -> None:
    environment = make_environment(scientist, project, notebook)
    environment.parameters = notebook_values(NotebookInstanceName="dana-gpu")
    environment.save()
    change = request_create(
        requester=scientist, project_slug=project.slug, product_id=notebook.pk,
        parameters=notebook_values("ml.m5.xlarge", NotebookInstanceName="dana-gpu"),
        tag_choices={"data-classification": "internal"}, justification="Bigger",
        action=Request.Action.UPDATE, environment_ref=str(environment.pk))
    assert change.status == Request.Status.PENDING
