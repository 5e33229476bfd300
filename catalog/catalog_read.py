"""The catalog's first page of cards, read by statements compiled once (issue 16).

The catalog's products statement (``products_for_user``'s scoping subquery, the cards' columns,
a ``COUNT(*) OVER ()`` window for the pager and the page's LIMIT) was built and compiled by the
ORM on every view. Its SQL is fixed for the first page of an unsearched catalog, with or
without the kind filter: the reader's id and the kind are its only parameters. Those are
``portal.statements`` compiled from the same queryset the view builds, so the scoping stays
``products_for_user``'s. A search (``icontains``: its parameter is a pattern, not the value) or
any later page reads through the ORM as before. ``tests/catalog/test_catalog_read.py`` holds the
statements to the queryset's rows.
"""

from __future__ import annotations

from django.db.models import Count, QuerySet, Window

from catalog.cards import CARD_FIELDS
from catalog.models import Product
from catalog.selectors import product_search, products_for_user
from portal.models import User
from portal.paging import PAGING_TOTAL
from portal.statements import MARKER_ID, MARKER_TEXT, Slot, Statement

CATALOG_PAGE_SIZE = 24


def catalog_products(*, user: User) -> QuerySet[Product]:
    """The products of the reader's catalog, the columns the cards show only."""
    return products_for_user(user=user).only(*CARD_FIELDS)


def _first_page(user: int, kind: str = "") -> QuerySet[Product]:
    """The view's queryset (catalog_products, product_search's kind filter) as
    ``CountInPagePaginator`` reads its first page: the window count, the page's LIMIT."""
    products = product_search(catalog_products(user=User(pk=user, is_active=True)), kind=kind)
    return products.annotate(**{PAGING_TOTAL: Window(Count("pk"))})[:CATALOG_PAGE_SIZE]


_READER = Slot(User._meta.pk, MARKER_ID)
_ANY_KIND = Statement(_first_page, user=_READER)
_OF_KIND = Statement(_first_page, user=_READER,
                     kind=Slot(Product._meta.get_field("kind"), MARKER_TEXT))


def catalog_first_page(*, user: User, kind: str = "") -> tuple[list[Product], int]:
    """The first ``CATALOG_PAGE_SIZE`` products of ``catalog_products(user=user)`` in its
    order, of ``kind`` when one is given, and the number of such products.
    An inactive or signed-out person reads nothing, without a query, as ``products_for_user``
    gives them nothing."""
    if not user.is_authenticated or not user.is_active:
        return [], 0
    if kind:
        read = _OF_KIND.instances_annotated(Product, user=user.pk, kind=kind)
    else:
        read = _ANY_KIND.instances_annotated(Product, user=user.pk)
    total = read[0][1][0] if read else 0
    return [product for product, _ in read], total
