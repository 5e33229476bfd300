"""A platform admin curates the demo catalog in the browser; the data scientist sees the result."""

from __future__ import annotations

import os
from typing import Any

import pytest
from django.test import Client

from catalog.models import Product
from portal.models import AuditEvent, Project, User
from tests.e2e.conftest import demo_catalog_curated

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _sign_in(page: Any, live_server: Any, user: User) -> None:
    client = Client()
    client.force_login(user)
    page.context.add_cookies([{"name": "portal_session",
                               "value": client.cookies["portal_session"].value,
                               "url": live_server.url}])


def test_an_admin_publishes_hides_and_narrows_and_the_scientist_sees_exactly_that(
    browser: Any, live_server: Any, platform_admin: User, scientist: User, project: Project,
) -> None:
    demo_catalog_curated(publish=False, policies=False)
    notebook = Product.objects.get(kind=Product.Kind.NOTEBOOK_INSTANCE)

    admin = browser.new_context().new_page()
    _sign_in(admin, live_server, platform_admin)
    admin.goto(f"{live_server.url}/catalog/manage/")
    assert "Succeeded" in admin.inner_text("#sync-runs")
    admin.click(f"#admin-products tr[data-product-id='{notebook.pk}'] a")

    admin.check("#curation-form [name=published]")
    admin.click("#curation-form button[type=submit]")
    assert "Product saved." in admin.inner_text(".messages")

    admin.click("#parameter-KmsKeyId summary")
    admin.check("#parameter-KmsKeyId [name='p-KmsKeyId-hidden']")
    admin.fill("#parameter-KmsKeyId [name='p-KmsKeyId-fixed_value']",
               "alias/ml-notebooks-team")  # another key than the one the demo seed fixed
    admin.click("#parameter-KmsKeyId button.primary")
    assert "Parameter KmsKeyId saved." in admin.inner_text(".messages")

    admin.click("#parameter-InstanceType summary")
    admin.check("#parameter-InstanceType [name='p-InstanceType-narrow']")
    for value in ("ml.t3.medium", "ml.m5.xlarge"):
        admin.check(f"#parameter-InstanceType input[value='{value}']")
    admin.click("#parameter-InstanceType button.primary")
    assert "Parameter InstanceType saved." in admin.inner_text(".messages")
    admin.context.close()
    # The admin's events, not the demo seed's.
    assert AuditEvent.objects.filter(action__startswith="catalog.").exclude(
        action="catalog.synced").filter(actor__isnull=False).count() == 3

    page = browser.new_context().new_page()
    _sign_in(page, live_server, scientist)
    page.goto(f"{live_server.url}/catalog/")
    assert page.locator("#products .product").count() == 1  # only the published one
    with page.expect_navigation():  # read the next page, not this one
        page.click("#products a")
    fields = page.eval_on_selector_all("#request-form .field",
                                       "els => els.map(e => e.dataset.parameter)")
    assert fields == ["NotebookInstanceName", "InstanceType", "VolumeSizeInGB", "RootAccess",
                      "DirectInternetAccess"]
    options = page.eval_on_selector_all("select[name=InstanceType] option",
                                        "els => els.map(e => e.value)")
    assert options == ["ml.t3.medium", "ml.m5.xlarge"]
    page.context.close()
