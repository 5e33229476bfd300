"""Issue 10, broken 2, in the browser: after a fixed value AWS does not allow, the page shows the
saved product with the one error, and its other Save buttons still save."""

from __future__ import annotations

import os
from typing import Any

import pytest
from django.test import Client

from catalog.models import ParameterOverride, Product
from portal.models import Project, User
from tests.e2e.conftest import demo_catalog_curated

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_the_refused_save_page_keeps_the_saved_state_and_its_other_forms_work(
        page: Any, live_server: Any, platform_admin: User, project: Project) -> None:
    demo_catalog_curated(policies=False)  # published, KmsKeyId hidden by the demo seed
    notebook = Product.objects.get(kind=Product.Kind.NOTEBOOK_INSTANCE)
    client = Client()
    client.force_login(platform_admin)
    page.context.add_cookies([{"name": "portal_session",
                               "value": client.cookies["portal_session"].value,
                               "url": live_server.url}])
    page.goto(f"{live_server.url}/catalog/manage/{notebook.pk}/")

    page.click("#parameter-VolumeSizeInGB summary")
    page.check("#parameter-VolumeSizeInGB [name='p-VolumeSizeInGB-hidden']")
    page.fill("#parameter-VolumeSizeInGB [name='p-VolumeSizeInGB-fixed_value']", "1000")
    page.click("#parameter-VolumeSizeInGB button.primary")
    assert "Must be at most 100." in page.inner_text("#parameter-VolumeSizeInGB")
    assert page.is_checked("#curation-form [name=published]")  # the saved state, not blanks
    page.click("#parameter-KmsKeyId summary")
    assert page.is_checked("#parameter-KmsKeyId [name='p-KmsKeyId-hidden']")
    assert page.input_value("#parameter-KmsKeyId [name='p-KmsKeyId-fixed_value']") != ""

    page.click("#parameter-InstanceType summary")
    page.fill("#parameter-InstanceType [name='p-InstanceType-label']", "Instance size")
    page.click("#parameter-InstanceType button.primary")
    assert "Parameter InstanceType saved." in page.inner_text(".messages")
    assert ParameterOverride.objects.get(product=notebook, key="InstanceType").label == \
        "Instance size"

    page.click("#parameter-VolumeSizeInGB summary")
    page.check("#parameter-VolumeSizeInGB [name='p-VolumeSizeInGB-hidden']")
    page.fill("#parameter-VolumeSizeInGB [name='p-VolumeSizeInGB-fixed_value']", "1000")
    page.click("#parameter-VolumeSizeInGB button.primary")
    page.check("#curation-form [name=hide_deprecated]")
    page.click("#curation-form button[type=submit]")
    assert "Product saved." in page.inner_text(".messages")
    notebook.refresh_from_db()
    assert notebook.published and notebook.hide_deprecated
    assert not ParameterOverride.objects.filter(product=notebook, key="VolumeSizeInGB").exists()
