"""Issue 9 §4's browser journey: the owner of a running notebook asks for a change; the form
starts from the environment's current values, its name read-only, and the change is submitted.

Real pieces: chromium, the live portal, the dev IdP, the approvals workflow and the one boto3
backend on the fake AWS (its demo catalog). The provisioning itself runs in this process (no
worker: the journey is about the form), with the task messages kept off the broker.
"""

from __future__ import annotations

import os
from typing import Any

import pytest
from django.urls import reverse

from approvals.errors import RequestInvalid
from approvals.models import Request
from approvals.services import request_create
from catalog.models import Product
from portal.models import Project, User
from provisioning import tasks
from provisioning.follow import environment_follow_run
from provisioning.models import Environment
from provisioning.provision_run import environment_provision_run
from tests.e2e.conftest import demo_catalog_curated, sign_in_through_idp

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _running_notebook(scientist: User, project: Project) -> Environment:
    product = Product.objects.get(kind=Product.Kind.NOTEBOOK_INSTANCE,
                                  name="SageMaker notebook instance")
    try:
        request_create(requester=scientist, project_slug=project.slug, product_id=product.pk,
                       parameters={"NotebookInstanceName": "dana-nb-1",
                                   "InstanceType": "ml.t3.medium"},
                       tag_choices={"workload": "notebook", "data-classification": "internal"},
                       justification="Explore this month's transactions.")
    except RequestInvalid as exc:
        raise AssertionError(exc.errors) from exc
    environment = Environment.objects.get()
    environment_provision_run(environment_id=environment.pk)
    for _ in range(10):
        environment.refresh_from_db()
        if environment.status not in Environment.FOLLOWED:
            break
        environment_follow_run(environment_id=environment.pk, attempt=environment.follow_attempt)
    environment.refresh_from_db()
    assert environment.status == Environment.Status.AVAILABLE, environment.status_message
    return environment


def test_the_owner_asks_for_a_change_from_the_current_values(
        page: Any, live_server: Any, live_idp: Any, scientist: User, project: Project,
        settings: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    for task in (tasks.environment_provision_task, tasks.environment_follow_task):
        monkeypatch.setattr(task, "apply_async", lambda *a, **k: None)
        monkeypatch.setattr(task, "delay", lambda *a, **k: None)
    url = live_server.url
    settings.PORTAL_BASE_URL = url
    settings.FAKEAWS_CATALOG_FILE = ""
    settings.FAKEAWS_OPERATION_SECONDS = 0
    settings.FAKEAWS_CONSISTENCY_SECONDS = 0
    demo_catalog_curated()
    environment = _running_notebook(scientist, project)

    sign_in_through_idp(page, url, "dana.scientist")
    page.goto(url + reverse("provisioning:environment_detail", args=[environment.pk]))
    page.click("#change-link")
    page.wait_for_selector("#day-2")
    name = page.locator("[name=NotebookInstanceName]")
    assert name.input_value() == "dana-nb-1"
    assert name.is_disabled()
    assert page.locator("[name=InstanceType]").input_value() == "ml.t3.medium"
    assert page.locator("select[name='req-tag:workload']").input_value() == "notebook"

    page.select_option("[name=InstanceType]", "ml.m5.xlarge")
    page.fill("[name=req-justification]", "The quarter-end run needs more memory.")
    page.click("#submit-request")
    page.wait_for_selector("#request-status")
    change = Request.objects.get(action=Request.Action.UPDATE)
    assert change.environment_ref == str(environment.pk)
    assert change.parameters["NotebookInstanceName"] == "dana-nb-1"
    assert change.parameters["InstanceType"] == "ml.m5.xlarge"
    assert change.tag_choices == {"workload": "notebook", "data-classification": "internal"}
