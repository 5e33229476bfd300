"""``{% product_findability product as rows %}``: per live version, can the portal find what it
provisions, and how (``catalog.findability``), for the admin product page."""

from __future__ import annotations

from django import template

from catalog.findability import Findability, version_findability
from catalog.models import Product, ProductVersion

register = template.Library()


@register.simple_tag
def product_findability(product: Product) -> list[tuple[ProductVersion, Findability]]:
    rows = []
    for version in product.versions.filter(retired_at__isnull=True).prefetch_related(
            "parameters"):
        found = version_findability(version=version, product=product)
        if found is not None:
            rows.append((version, found))
    return rows
