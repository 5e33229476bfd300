"""The catalog's first page read by compiled statements (catalog.catalog_read) is the first
page the view's queryset reads, for every reader and kind filter (issue 16)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.contrib.auth.models import Group

from catalog.cards import CARD_FIELDS
from catalog.catalog_read import CATALOG_PAGE_SIZE, catalog_first_page, catalog_products
from catalog.models import Product
from catalog.selectors import product_search
from portal.models import Project, User
from tests.catalog.factories import product_make

pytestmark = pytest.mark.django_db

NOTEBOOK, STUDIO = Product.Kind.NOTEBOOK_INSTANCE, Product.Kind.STUDIO_USER_PROFILE


def _cards(products: list[Product]) -> list[tuple[Any, ...]]:
    return [(p.pk, *(getattr(p, field) for field in CARD_FIELDS)) for p in products]


def _orm_page(user: User, kind: str) -> tuple[list[Product], int]:
    products = product_search(catalog_products(user=user), kind=kind)
    return list(products[:CATALOG_PAGE_SIZE]), products.count()


@pytest.fixture
def catalogs(project: Project, other_project: Project) -> None:
    for i in range(CATALOG_PAGE_SIZE + 3):  # more than a page: the LIMIT and the count
        product_make(project=project, name=f"Notebook {29 - i:02d}",
                     product_id=f"prod-c{i:03d}",
                     kind=NOTEBOOK if i % 3 else STUDIO)
    Product.objects.filter(name="Notebook 05").update(flat_monthly_usd=Decimal("12.50"),
                                                      estimate_instance_types=["ml.m5.large"])
    hidden = product_make(project=project, name="Notebook 00 GPU", product_id="prod-gpu")
    hidden.visible_to_groups.set([Group.objects.create(name="ml-gpu-users")])
    product_make(project=project, name="Notebook 99 draft", product_id="prod-draft",
                 published=False)
    for i in range(3):
        product_make(project=other_project, name=f"Risk {i}", product_id=f"prod-r{i:03d}",
                     kind=STUDIO)


@pytest.mark.parametrize("kind", ["", NOTEBOOK, STUDIO, Product.Kind.OTHER, "no-such-kind"])
def test_the_first_page_is_the_querysets_for_every_reader_and_kind(
        catalogs: None, kind: str, scientist: User, colleague: User, outsider: User,
        platform_admin: User, auditor: User) -> None:
    scientist.groups.add(Group.objects.get(name="ml-gpu-users"))
    seen = set()
    for reader in (scientist, colleague, outsider, platform_admin, auditor, scientist):
        first, total = catalog_first_page(user=reader, kind=kind)
        expected, count = _orm_page(reader, kind)
        assert _cards(first) == _cards(expected) and total == count
        assert all(type(p) is Product and p.get_deferred_fields() == expected[0]
                   .get_deferred_fields() for p in first)
        seen.add((len(first), total))
    if kind in ("", NOTEBOOK):
        # The scientist (the GPU group), the colleague and the outsider read different pages.
        assert len(seen) >= 3, seen


def test_an_inactive_person_reads_nothing_without_a_query(
        catalogs: None, scientist: User, django_assert_num_queries: Any) -> None:
    scientist.is_active = False
    with django_assert_num_queries(0):
        assert catalog_first_page(user=scientist) == ([], 0)
        assert catalog_first_page(user=scientist, kind=Product.Kind.STUDIO_USER_PROFILE) == ([], 0)
