"""A flat monthly figure set by the platform team stays the estimate as the instance type changes
in the page (static/catalog/cost_estimate.js leaves it alone)."""

from __future__ import annotations

import os
from decimal import Decimal
from typing import Any

import pytest

from catalog.models import Product
from portal.models import Project, User
from tests.e2e.conftest import demo_catalog_curated
from tests.e2e.test_catalog_browse import _sign_in

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_a_flat_figure_does_not_follow_the_instance_type(
        page: Any, live_server: Any, scientist: User, project: Project) -> None:
    demo_catalog_curated(policies=False)
    notebook = Product.objects.get(kind=Product.Kind.NOTEBOOK_INSTANCE)
    Product.objects.filter(pk=notebook.pk).update(flat_monthly_usd=Decimal("73.00"))
    _sign_in(page, live_server, scientist)
    page.goto(f"{live_server.url}/catalog/{notebook.pk}/")
    assert page.inner_text("#estimate-month") == "$73.00"
    page.select_option("select[name=InstanceType]", "ml.p3.2xlarge")
    assert page.inner_text("#estimate-month") == "$73.00"
    assert "flat monthly figure" in page.inner_text("#estimate-text")
