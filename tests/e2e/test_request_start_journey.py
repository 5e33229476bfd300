"""Issue 10's browser journeys for where a new request starts: the product page's checked values
carry over to the request form, and a failed environment's page offers "Request again with these
values" (its page shows what it ran). Real pieces: chromium, the live portal, the approvals
workflow on the fake AWS's demo catalog; the hand-off's provisioning tasks are kept off the broker
(the journeys are about the forms)."""

from __future__ import annotations

import os
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from approvals.errors import RequestInvalid
from approvals.models import Request
from approvals.services import request_create
from catalog.models import Product
from portal.models import Project, User
from provisioning import tasks
from provisioning.models import Environment
from tests.e2e.conftest import demo_catalog_curated

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def no_provisioning(monkeypatch: pytest.MonkeyPatch) -> None:
    for task in (tasks.environment_provision_task, tasks.environment_follow_task):
        monkeypatch.setattr(task, "apply_async", lambda *a, **k: None)
        monkeypatch.setattr(task, "delay", lambda *a, **k: None)


def _sign_in(page: Any, live_server: Any, user: User) -> None:
    """Reuse a server-side session; the SAML journey has its own browser tests."""
    client = Client()
    client.force_login(user)
    page.context.add_cookies([{"name": "portal_session",
                               "value": client.cookies["portal_session"].value,
                               "url": live_server.url}])


def _notebook() -> Product:
    return Product.objects.get(kind=Product.Kind.NOTEBOOK_INSTANCE,
                               name="SageMaker notebook instance")


def test_the_product_pages_values_carry_over_to_the_request_form(
        page: Any, live_server: Any, scientist: User, project: Project,
        no_provisioning: None) -> None:
    demo_catalog_curated()
    notebook = _notebook()
    _sign_in(page, live_server, scientist)
    page.goto(live_server.url + reverse("catalog:product_detail", args=[notebook.pk]))
    page.fill("[name=NotebookInstanceName]", "dana-carry-1")
    page.select_option("select[name=InstanceType]", "ml.m5.xlarge")
    page.fill("[name=VolumeSizeInGB]", "60")
    page.click("text=Check parameters")
    assert page.inner_text("#form-valid") == "These parameters are valid."

    page.click("#request-link")
    page.wait_for_selector("#submit-request")
    assert page.input_value("[name=NotebookInstanceName]") == "dana-carry-1"
    assert page.input_value("select[name=InstanceType]") == "ml.m5.xlarge"
    assert page.input_value("[name=VolumeSizeInGB]") == "60"
    assert "$167.90" in page.inner_text("#estimate-text")

    page.select_option("select[name='req-tag:data-classification']", "internal")
    page.select_option("select[name='req-tag:workload']", "notebook")
    page.fill("[name=req-justification]", "Fraud features for the quarter.")
    page.click("#submit-request")
    page.wait_for_selector("#request-status")
    created = Request.objects.get()
    assert (created.parameters["NotebookInstanceName"], created.parameters["InstanceType"],
            created.parameters["VolumeSizeInGB"]) == ("dana-carry-1", "ml.m5.xlarge", "60")


def test_a_failed_environment_is_requested_again_with_its_values(
        page: Any, live_server: Any, scientist: User, project: Project,
        no_provisioning: None) -> None:
    demo_catalog_curated()
    notebook = _notebook()
    try:
        request_create(requester=scientist, project_slug=project.slug, product_id=notebook.pk,
                       parameters={"NotebookInstanceName": "dana-failed-1",
                                   "InstanceType": "ml.t3.medium", "VolumeSizeInGB": "30"},
                       tag_choices={"workload": "notebook", "data-classification": "internal"},
                       justification="Score the March transactions.")
    except RequestInvalid as exc:
        raise AssertionError(exc.errors) from exc
    failed = Environment.objects.get()
    Environment.objects.filter(pk=failed.pk).update(
        status=Environment.Status.FAILED, status_message="CREATE_FAILED: subnet has no room")
    _sign_in(page, live_server, scientist)

    page.goto(live_server.url + reverse("provisioning:environment_detail", args=[failed.pk]))
    assert page.inner_text("[data-runs=instance-type]") == "ml.t3.medium"
    assert page.inner_text("[data-runs=volume]") == "30 GB"
    page.click("#again-link")
    page.wait_for_selector("#submit-request")
    assert page.input_value("select[name=InstanceType]") == "ml.t3.medium"
    assert page.input_value("[name=VolumeSizeInGB]") == "30"
    assert page.input_value("[name=req-justification]") == "Score the March transactions."
    assert page.input_value("select[name='req-tag:workload']") == "notebook"
    # The failed environment still holds its name until it is terminated: not carried.
    assert page.input_value("[name=NotebookInstanceName]") == ""
    assert "dana-failed-1" in page.inner_text("[data-start-note] >> nth=1")

    page.fill("[name=NotebookInstanceName]", "dana-failed-2")
    page.click("#submit-request")
    page.wait_for_selector("#request-status")
    again = Request.objects.exclude(pk=failed.origin_request_id).get()
    assert again.action == Request.Action.CREATE
    assert (again.parameters["NotebookInstanceName"], again.parameters["VolumeSizeInGB"]) == (
        "dana-failed-2", "30")
