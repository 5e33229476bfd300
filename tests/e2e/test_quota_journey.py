"""Quotas in a real browser: a data scientist sees her usage on the dashboard and on the request
form before she asks, a GPU request over her allowance is refused with the reason, and a CPU one
goes through."""

from __future__ import annotations

import os
import re
from typing import Any

import pytest

from approvals.models import Request
from approvals.services import workflow
from catalog.models import Product
from portal.models import Project, User
from tests.approvals.conftest import make_environment
from tests.e2e.conftest import demo_catalog_curated, sign_in_through_idp
from tests.quotas.conftest import grant

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_a_data_scientist_sees_her_quota_and_a_gpu_request_over_it_is_refused(
    page: Any, live_server: Any, live_idp: Any, scientist: User, project: Project,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The journey ends at the request: no hand-off task on the shared test broker.
    monkeypatch.setattr(workflow, "request_hand_off", lambda *, request: None)
    url = live_server.url
    demo_catalog_curated()
    notebook = Product.objects.get(kind=Product.Kind.NOTEBOOK_INSTANCE)
    running = make_environment(scientist, project, notebook)
    running.parameters = {"InstanceType": "ml.g4dn.xlarge"}
    running.save(update_fields=["parameters"])
    # Dana's IdP group (portal/devidp/demo_users.yaml), mirrored at her sign-in.
    grant("gpu_instances", 1, group="data-scientists")

    sign_in_through_idp(page, url, "dana.scientist")
    usage = page.locator("#quota-usage")
    row = usage.locator("tr[data-quota='user::gpu_instances']")
    assert row.locator("td").nth(0).inner_text().startswith("You (granted to data-scientists)")
    assert row.locator("td").nth(1).inner_text() == "1"
    assert row.locator("td").nth(3).inner_text() == "none left"

    page.click("nav.nav a[data-nav='approvals:request_list']")
    page.click("#request-something a:has-text('SageMaker notebook instance')")
    # Shown before she asks.
    assert "none left" in page.inner_text("#quota-usage tr[data-quota='user::gpu_instances']")
    page.fill("[name=NotebookInstanceName]", "dana-gpu")
    page.select_option("select[name=InstanceType]", "ml.p3.2xlarge")
    page.select_option("select[name='req-tag:workload']", "notebook")
    page.select_option("select[name='req-tag:data-classification']", "internal")
    page.fill("[name=req-justification]", "Retrain the fraud model on a GPU.")
    page.click("#submit-request")
    errors = page.inner_text("#request-errors")
    assert "Your quota of gpu instances is 1 (granted to: data-scientists); 1 already counts " \
           "against it" in errors
    assert "this ml.p3.2xlarge would add 1" in errors
    assert not Request.objects.filter(parameters__InstanceType="ml.p3.2xlarge").exists()

    page.select_option("select[name=InstanceType]", "ml.t3.medium")
    page.click("#submit-request")
    page.wait_for_url(re.compile(r"/requests/[0-9a-f-]{36}/$"))
    assert Request.objects.get(parameters__NotebookInstanceName="dana-gpu").parameters[
        "InstanceType"] == "ml.t3.medium"
