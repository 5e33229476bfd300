"""A data scientist finds a product, fills the generated form, sees the estimate and an error."""

from __future__ import annotations

import os
from typing import Any

import pytest
from django.test import Client

from catalog.models import ParameterOverride, Product
from portal.models import Project, User
from tests.e2e.conftest import demo_catalog_curated

# Playwright's sync API runs an event loop in this thread; the ORM calls here are safe.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _sign_in(page: Any, live_server: Any, user: User) -> None:
    """Reuse a server-side session; the SAML journey has its own browser tests."""
    client = Client()
    client.force_login(user)
    cookie = client.cookies["portal_session"]
    page.context.add_cookies([{"name": "portal_session", "value": cookie.value,
                               "url": live_server.url}])


def test_a_data_scientist_finds_a_product_and_checks_the_curated_form(
    page: Any, live_server: Any, scientist: User, project: Project,
) -> None:
    demo_catalog_curated(policies=False)
    notebook = Product.objects.get(kind=Product.Kind.NOTEBOOK_INSTANCE)
    assert ParameterOverride.objects.get(product=notebook, key="KmsKeyId").hidden  # the seed
    ParameterOverride.objects.create(product=notebook, key="InstanceType",
                                     allowed_values=["ml.t3.medium", "ml.m5.xlarge"])
    _sign_in(page, live_server, scientist)

    page.goto(f"{live_server.url}/catalog/")
    page.fill("input[name=q]", "notebook")
    with page.expect_navigation():  # read the next page, not this one
        page.click("#catalog-filters button[type=submit]")
    assert page.locator("#products .product").count() == 1
    with page.expect_navigation():  # read the next page, not this one
        page.click("#products a:has-text(\"SageMaker notebook instance\")")

    assert "Notebook instance".lower() in page.inner_text("h1").lower()
    assert page.locator("[name=KmsKeyId]").count() == 0  # hidden by the platform team
    options = page.eval_on_selector_all("select[name=InstanceType] option",
                                        "els => els.map(e => e.value)")
    assert options == ["ml.t3.medium", "ml.m5.xlarge"]
    assert "$36.50" in page.inner_text("#estimate-text")

    page.select_option("select[name=InstanceType]", "ml.m5.xlarge")
    assert page.inner_text("#estimate-month") == "$167.90"  # 0.23 × 730, updated in the page

    page.fill("[name=NotebookInstanceName]", "dana-fraud-1")
    page.fill("[name=VolumeSizeInGB]", "500")
    page.click("#request-form button[type=submit]")

    assert page.inner_text("#errors-VolumeSizeInGB") == "Must be at most 100."
    assert page.input_value("[name=NotebookInstanceName]") == "dana-fraud-1"
    assert "$167.90" in page.inner_text("#estimate-text")

    page.fill("[name=VolumeSizeInGB]", "50")
    page.click("#request-form button[type=submit]")
    assert page.inner_text("#form-valid") == "These parameters are valid."
