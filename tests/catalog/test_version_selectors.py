"""Version ordering and "the requested version or the default", shared by every caller."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.test import Client
from django.urls import reverse

from catalog.models import Product, ProductVersion
from catalog.selectors import (
    version_requested_or_default,
    versions_newest_first,
    versions_requestable,
)
from portal.models import Project, User
from tests.catalog.factories import product_make

pytestmark = pytest.mark.django_db


@pytest.fixture
def product(project: Project) -> Product:
    product = product_make(project=project)
    first = product.versions.get()
    first.aws_created_at = datetime(2026, 1, 1, tzinfo=UTC)
    first.save()
    ProductVersion.objects.create(product=product, artifact_id="pa-2", name="v2",
                                  aws_created_at=datetime(2026, 2, 1, tzinfo=UTC))
    ProductVersion.objects.create(product=product, artifact_id="pa-3", name="v3-deprecated",
                                  guidance="DEPRECATED",
                                  aws_created_at=datetime(2026, 3, 1, tzinfo=UTC))
    ProductVersion.objects.create(product=product, artifact_id="pa-0", name="undated")
    return product


def test_versions_come_newest_first_and_undated_ones_last(product: Product) -> None:
    assert [v.name for v in versions_newest_first(product.versions.all())] == [
        "v3-deprecated", "v2", "v1", "undated"]


def test_the_requested_version_or_else_the_default(product: Product) -> None:
    versions = versions_requestable(product=product)
    assert [v.name for v in versions] == ["v2", "v1", "undated"]  # deprecated ones hidden
    v1 = next(v for v in versions if v.name == "v1")
    pick = version_requested_or_default
    v2 = next(v for v in versions if v.name == "v2")
    assert pick(product=product, versions=versions, requested=None) == v2
    assert pick(product=product, versions=versions, requested="") == v2
    assert pick(product=product, versions=versions, requested=v1.pk) == v1
    assert pick(product=product, versions=versions, requested=str(v1.pk)) == v1
    hidden = product.versions.get(name="v3-deprecated")
    assert pick(product=product, versions=versions, requested=hidden.pk) is None
    product.default_version = v1
    assert pick(product=product, versions=versions, requested=None) == v1


def test_the_product_page_lists_the_tag_options_of_the_launch_path(
    product: Product, scientist: User,
) -> None:
    product.launch_tag_options = {"team": ["fraud", "aml"], "owner": ["x"]}
    product.save()
    client = Client()
    client.force_login(scientist)
    page = client.get(reverse("catalog:product_detail", args=[product.pk])).content.decode()
    assert "<li><code>team</code>: <code>aml</code>, <code>fraud</code></li>" in page
    assert "<code>owner</code>" not in page  # collides with the portal's owner tag
    assert 'id="cost-estimate"' in page and "stopped time costs less" in page
