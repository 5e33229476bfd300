"""A change request starts from the environment's current values; the parameters that name the
resource stay as they are (read-only on the page, refused by the service when changed)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from approvals.errors import RequestInvalid
from approvals.models import Request
from approvals.services import request_create
from approvals.services.environments import IDENTITY_LOCKED
from catalog.forms import LOCKED_HELP, REPLACES_HELP
from catalog.models import ParameterOverride, Product
from portal.models import Project, User
from portal.sealing import SEALED_PREFIX, value_open
from tests.approvals.conftest import make_environment, snapshot

pytestmark = pytest.mark.django_db
CURRENT = {"NotebookInstanceName": "dana-nb-1f2e3d4c", "InstanceType": "ml.m5.xlarge",
           "VolumeSizeInGB": "50", "KmsKeyId": "alias/ml-notebooks"}


@pytest.fixture
def running(scientist: User, project: Project, notebook: Product) -> Any:
    environment = make_environment(scientist, project, notebook)
    environment.parameters = dict(CURRENT)
    environment.tags = [{"Key": "owner", "Value": scientist.owner_id},
                        {"Key": "data-classification", "Value": "confidential"}]
    environment.save()
    return environment


def change_url(product: Product, project: Project, environment: Any) -> str:
    return (reverse("approvals:request_new") + f"?product={product.pk}&project={project.slug}"
            f"&action=update&environment={environment.pk}")


def field_html(page: str, name: str) -> str:
    found = re.search(rf'<(?:input|select)[^>]*name="{name}"[^>]*>(?:.*?</select>)?', page,
                      re.S)
    assert found, name
    return found.group(0)


def test_the_owners_change_form_starts_from_the_current_values(
        client: Client, scientist: User, project: Project, notebook: Product,
        running: Any) -> None:
    client.force_login(scientist)
    page = client.get(change_url(notebook, project, running)).content.decode()
    name = field_html(page, "NotebookInstanceName")
    assert 'value="dana-nb-1f2e3d4c"' in name and "disabled" in name
    assert LOCKED_HELP in page
    assert re.search(r'<option value="ml.m5.xlarge"[^>]*selected', field_html(page,
                                                                             "InstanceType"))
    assert 'value="50"' in field_html(page, "VolumeSizeInGB")
    assert re.search(r'<option value="confidential"[^>]*selected',
                     field_html(page, "req-tag:data-classification"))


def test_someone_elses_environment_pre_fills_nothing(
        client: Client, colleague: User, project: Project, notebook: Product,
        running: Any) -> None:
    client.force_login(colleague)
    page = client.get(change_url(notebook, project, running)).content.decode()
    assert "dana-nb-1f2e3d4c" not in page
    assert "disabled" not in field_html(page, "NotebookInstanceName")


@pytest.mark.parametrize("posted", [None, "crafted"])  # a browser does not post a disabled field
def test_the_page_keeps_the_current_name_whatever_is_posted(
        posted: str | None, client: Client, scientist: User, project: Project,
        notebook: Product, running: Any) -> None:
    client.force_login(scientist)
    data = {"req-project": project.slug, "req-justification": "More disk for the quarter end.",
            "req-tag:data-classification": "confidential", "InstanceType": "ml.m5.xlarge",
            "VolumeSizeInGB": "60"}
    if posted is not None:
        data["NotebookInstanceName"] = posted
    response = client.post(change_url(notebook, project, running), data)
    assert response.status_code == 302, response.content.decode()[:2000]
    created = Request.objects.get(action=Request.Action.UPDATE)
    assert created.parameters["NotebookInstanceName"] == "dana-nb-1f2e3d4c"
    assert created.parameters["VolumeSizeInGB"] == "60"


def _change(requester: User, project: Project, product: Product, environment: Any,
            **values: str) -> Request:
    return request_create(
        requester=requester, project_slug=project.slug, product_id=product.pk,
        parameters={**CURRENT, **values}, tag_choices={"data-classification": "internal"},
        justification="Bigger instance.", action=Request.Action.UPDATE,
        environment_ref=str(environment.pk))


def test_the_service_refuses_a_changed_name_and_writes_nothing(
        scientist: User, project: Project, notebook: Product, running: Any) -> None:
    before = snapshot()
    with pytest.raises(RequestInvalid) as refused:
        _change(scientist, project, notebook, running, NotebookInstanceName="renamed")
    assert refused.value.errors == {"parameters": {"NotebookInstanceName": [
        IDENTITY_LOCKED.format(key="NotebookInstanceName")]}}
    assert snapshot() == before


@pytest.mark.parametrize("given", ["", "dana-nb-1f2e3d4c"])
def test_an_empty_or_unchanged_name_keeps_the_current_one(
        given: str, scientist: User, project: Project, notebook: Product,
        running: Any) -> None:
    request = _change(scientist, project, notebook, running, NotebookInstanceName=given,
                      InstanceType="ml.t3.medium")
    assert request.parameters["NotebookInstanceName"] == "dana-nb-1f2e3d4c"
    assert request.parameters["InstanceType"] == "ml.t3.medium"


def test_what_the_admin_marks_as_naming_the_resource_is_read_only_too(
        client: Client, scientist: User, project: Project, notebook: Product,
        running: Any) -> None:
    ParameterOverride.objects.create(product=notebook, key="VolumeSizeInGB", on_change="keep")
    client.force_login(scientist)
    page = client.get(change_url(notebook, project, running)).content.decode()
    assert "disabled" in field_html(page, "VolumeSizeInGB")
    with pytest.raises(RequestInvalid) as refused:
        _change(scientist, project, notebook, running, VolumeSizeInGB="80")
    assert refused.value.errors["parameters"] == {
        "VolumeSizeInGB": [IDENTITY_LOCKED.format(key="VolumeSizeInGB")]}


def test_a_name_the_admin_lets_change_is_flagged_and_may_change(
        client: Client, scientist: User, project: Project, notebook: Product,
        running: Any) -> None:
    ParameterOverride.objects.create(product=notebook, key="NotebookInstanceName",
                                     on_change="replace")
    client.force_login(scientist)
    page = client.get(change_url(notebook, project, running)).content.decode()
    name = field_html(page, "NotebookInstanceName")
    assert "disabled" not in name and 'data-replaces-resource="true"' in name
    assert REPLACES_HELP in page
    request = _change(scientist, project, notebook, running, NotebookInstanceName="dana-nb-2")
    assert request.parameters["NotebookInstanceName"] == "dana-nb-2"


def test_a_secret_left_empty_keeps_its_value_and_is_never_shown(
        client: Client, scientist: User, project: Project, notebook: Product,
        running: Any) -> None:
    from catalog.models import ParameterSpec

    version = notebook.versions.get(active=True)
    ParameterSpec.objects.create(version=version, key="DbPassword", position=9, no_echo=True,
                                 default="changeme")
    running.parameters = {**CURRENT, "DbPassword": "s3cret-value"}
    running.save()
    client.force_login(scientist)
    page = client.get(change_url(notebook, project, running)).content.decode()
    assert "s3cret-value" not in page
    kept = _change(scientist, project, notebook, running, DbPassword="")
    # Stored sealed (issue 12 #2); opened, it is the current value, not the template's default.
    assert kept.parameters["DbPassword"].startswith(SEALED_PREFIX)
    assert value_open(kept.parameters["DbPassword"], key="DbPassword") == "s3cret-value"
    changed = _change(scientist, project, notebook, running, DbPassword="n3w-value")
    assert value_open(changed.parameters["DbPassword"], key="DbPassword") == "n3w-value"


def test_an_environment_that_kept_its_name_empty_starts_from_its_real_name(
        scientist: User, project: Project, notebook: Product, running: Any) -> None:
    running.parameters = {**CURRENT, "NotebookInstanceName": ""}  # filled in at provisioning
    running.notebook_instance_name = "dana-nb-1f2e3d4c"
    running.save()
    request = _change(scientist, project, notebook, running, NotebookInstanceName="")
    assert request.parameters["NotebookInstanceName"] == "dana-nb-1f2e3d4c"
