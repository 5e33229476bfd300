"""The catalog's product cards, as HTML in one pass (issue 16).

The catalog's template spent a variable node, a lookup and an escape on each of the dozen values
of each of its 24 cards, and the card loop was about a third of the page's CPU time. This writes
the markup the loop wrote, byte for byte (tests/catalog/test_cards_html.py holds it to the loop):
every value localized and escaped as a template variable is, the estimate through the
``floatformat`` filter itself.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.template.defaultfilters import floatformat
from django.utils.safestring import SafeString, mark_safe

from catalog.estimates import CostEstimate
from catalog.models import Product
from portal.reversing import reverse_key_of
from portal.row_values import cell_text, choice_labels

# What the catalog reads of a product (``.only()``): what ``_card`` shows and what
# ``estimates.catalog_card_estimates`` prices; not its output mapping, idle
# parameters and tag options (JSON columns) nor its support contacts.
CARD_FIELDS = ("name", "kind", "aws_account_id", "aws_region", "description",
               "default_version_id", "flat_monthly_usd", "estimate_instance_types")


# ``get_kind_display`` without rebuilding the choices' mapping for every card.
_KIND_LABELS = choice_labels(Product.Kind.choices)


def _estimate(estimate: CostEstimate | None) -> str:
    if not estimate:
        return '<span class="muted">No cost estimate</span>'
    return (f"Estimated about <strong>${cell_text(floatformat(estimate.usd_per_month, 2))}"
            f"</strong> per month ({cell_text(estimate.priced)})")


def _card(product: Product, estimate: CostEstimate | None, url: str) -> str:
    kind = _KIND_LABELS.get(product.kind, product.kind)
    return (
        f'\n  <article class="card product" data-product-id="{cell_text(product.pk)}">\n'
        f'    <h2><a href="{cell_text(url)}">{cell_text(product.name)}</a></h2>\n'
        f'    <p><span class="badge">{cell_text(kind)}</span> '
        f'<span class="muted small">AWS {cell_text(product.aws_account_id)} · '
        f'{cell_text(product.aws_region)}</span></p>\n'
        f'    <p>{cell_text(product.description)}</p>\n'
        f'    <p class="small card-estimate">{_estimate(estimate)}</p>\n'
        f'  </article>\n')


def catalog_cards_html(cards: Iterable[tuple[Product, CostEstimate | None]]) -> SafeString:
    """The ``<article>`` of each (product, estimate) card, with the whitespace the template's
    loop left around them (the template writes the empty catalog's paragraph itself)."""
    product_url = reverse_key_of("catalog:product_detail")
    return mark_safe("".join(  # every value above went through cell_text (escaped)
        _card(product, estimate, product_url(product.pk)) for product, estimate in cards))
