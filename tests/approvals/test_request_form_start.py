"""Issue 10: a new request form starts from the product page's values ("Request this
environment…" carries them over) or from an earlier request's ("request again with these
values"); secrets and names a live environment still holds are never carried."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from approvals.form_start import NAME_NOT_CARRIED, SECRETS_NOT_CARRIED
from approvals.models import Request
from approvals.services import request_create
from catalog.models import ParameterSpec, Product
from portal.models import Project, User
from tests.approvals.conftest import make_environment, snapshot
from tests.html_forms import page_forms

pytestmark = pytest.mark.django_db


@pytest.fixture
def secret(notebook: Product) -> None:
    ParameterSpec.objects.create(version=notebook.versions.get(active=True), key="GitToken",
                                 position=9, no_echo=True, default="")


def _client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def field_html(page: str, name: str) -> str:
    found = re.search(rf'<(?:input|select|textarea)[^>]*name="{name}"[^>]*>'
                      r'(?:.*?</(?:select|textarea)>)?', page, re.S)
    assert found, name
    return found.group(0)


def _carry(client: Client, product: Product, **values: str) -> Any:
    version = product.versions.get(active=True)
    url = reverse("approvals:request_new") + f"?product={product.pk}&version={version.pk}"
    return client.post(url, {"version": version.pk, "carry": "product", **values})


def test_the_product_pages_values_open_the_request_form_without_submitting_it(
        scientist: User, project: Project, notebook: Product) -> None:
    before = snapshot()
    response = _carry(_client(scientist), notebook, NotebookInstanceName="dana-fraud-1",
                      InstanceType="ml.m5.xlarge", VolumeSizeInGB="75")
    assert response.status_code == 200
    page = response.content.decode()
    assert 'value="dana-fraud-1"' in field_html(page, "NotebookInstanceName")
    assert "disabled" not in field_html(page, "NotebookInstanceName")
    assert re.search(r'<option value="ml.m5.xlarge"[^>]*selected',
                     field_html(page, "InstanceType"))
    assert 'value="75"' in field_html(page, "VolumeSizeInGB")
    assert "$167.90" in page  # the estimate is the carried instance type's (0.23 × 730)
    assert 'class="errorlist"' not in page  # a starting point, not a refused submit
    assert snapshot() == before


def test_a_secret_typed_on_the_product_page_is_not_carried(
        scientist: User, project: Project, notebook: Product, secret: None) -> None:
    page = _carry(_client(scientist), notebook, InstanceType="ml.m5.xlarge",
                  GitToken="ghp-typed-secret").content.decode()
    assert "ghp-typed-secret" not in page
    assert SECRETS_NOT_CARRIED.format(keys="GitToken") in page


def test_the_carried_form_as_shown_submits_a_request_with_those_values(
        scientist: User, project: Project, notebook: Product) -> None:
    client = _client(scientist)
    page = _carry(client, notebook, NotebookInstanceName="dana-fraud-2",
                  InstanceType="ml.m5.xlarge", VolumeSizeInGB="75").content.decode()
    (form,) = [f for f in page_forms(page) if f.attrs.get("id") == "request-form"]
    data = form.data() | {"req-justification": ["Fraud features."],
                          "req-tag:data-classification": ["internal"]}
    response = client.post(form.action, data)
    assert response.status_code == 302, re.findall(r'class="errorlist".*?</ul>',
                                                   response.content.decode(), re.S)
    created = Request.objects.get()
    assert (created.parameters["NotebookInstanceName"], created.parameters["InstanceType"],
            created.parameters["VolumeSizeInGB"]) == ("dana-fraud-2", "ml.m5.xlarge", "75")


def _failed(scientist: User, project: Project, notebook: Product) -> Any:
    environment = make_environment(scientist, project, notebook, status="failed")
    origin = environment.origin_request
    origin.parameters = {"NotebookInstanceName": "dana-nb-failed", "InstanceType": "ml.m5.xlarge",
                         "VolumeSizeInGB": "80", "GitToken": "sealed:v1:not-a-real-seal"}
    origin.tag_choices = {"data-classification": "internal"}
    origin.justification = "Score the March transactions."
    origin.save()
    environment.parameters = dict(origin.parameters)
    environment.save()
    return environment


def _again_url(product: Product, request: Request) -> str:
    return (reverse("approvals:request_new") + f"?product={product.pk}"
            f"&version={request.version_id}&again={request.pk}")


def test_request_again_starts_from_the_failed_requests_values(
        scientist: User, project: Project, notebook: Product, secret: None) -> None:
    environment = _failed(scientist, project, notebook)
    origin = environment.origin_request
    page = _client(scientist).get(_again_url(notebook, origin)).content.decode()
    assert re.search(r'<option value="ml.m5.xlarge"[^>]*selected',
                     field_html(page, "InstanceType"))
    assert 'value="80"' in field_html(page, "VolumeSizeInGB")
    assert re.search(r'<option value="internal"[^>]*selected',
                     field_html(page, "req-tag:data-classification"))
    assert "Score the March transactions." in field_html(page, "req-justification")
    assert re.search(rf'<option value="{project.slug}"[^>]*selected',
                     field_html(page, "req-project"))
    # The secret stays sealed on the old request; the failed environment still holds the name.
    assert "not-a-real-seal" not in page
    assert 'value=' not in field_html(page, "GitToken")
    assert SECRETS_NOT_CARRIED.format(keys="GitToken") in page
    assert 'value="dana-nb-failed"' not in field_html(page, "NotebookInstanceName")
    assert NAME_NOT_CARRIED.format(key="NotebookInstanceName", name="dana-nb-failed") in page


def test_request_again_keeps_a_name_nobody_holds_any_more(
        scientist: User, project: Project, notebook: Product) -> None:
    environment = _failed(scientist, project, notebook)
    environment.status = "terminated"
    environment.save()
    page = _client(scientist).get(_again_url(notebook, environment.origin_request)).content
    assert 'value="dana-nb-failed"' in field_html(page.decode(), "NotebookInstanceName")


@pytest.mark.parametrize("who", ["colleague", "outsider"])
def test_someone_elses_request_pre_fills_nothing(
        who: str, request: pytest.FixtureRequest, scientist: User, project: Project,
        notebook: Product) -> None:
    environment = _failed(scientist, project, notebook)
    person: User = request.getfixturevalue(who)
    response = _client(person).get(_again_url(notebook, environment.origin_request))
    page = response.content.decode()
    assert "Score the March transactions." not in page and 'value="80"' not in page
    assert "data-start-note" not in page


@pytest.mark.parametrize("ref", ["not-a-uuid", "00000000-0000-0000-0000-000000000000"])
def test_a_bad_again_reference_opens_the_plain_form(
        ref: str, scientist: User, project: Project, notebook: Product) -> None:
    response = _client(scientist).get(reverse("approvals:request_new")
                                      + f"?product={notebook.pk}&again={ref}")
    assert response.status_code == 200
    assert "data-start-note" not in response.content.decode()


def test_a_request_of_another_product_is_not_a_starting_point(
        scientist: User, project: Project, notebook: Product, studio: Product) -> None:
    created = request_create(requester=scientist, project_slug=project.slug,
                             product_id=studio.pk, parameters={"UserProfileName": "dana"},
                             tag_choices={}, justification="Studio for the team.")
    page = _client(scientist).get(_again_url(notebook, created)).content.decode()
    assert "Studio for the team." not in page
