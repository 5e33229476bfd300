"""The catalog's cards written in one pass are the cards its template's loop wrote (issue 16):
the loop, as it was, is the reference."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.template import engines
from django.test import override_settings

from catalog.cards import catalog_cards_html
from catalog.estimates import CostEstimate
from catalog.models import Product

# templates/catalog/product_list.html's card loop before issue 16, verbatim.
TEMPLATE_CARDS = engines["django"].from_string(
    "{% load portal_urls %}"
    '{% for product, estimate in cards %}\n'
    '  <article class="card product" data-product-id="{{ product.pk }}">\n'
    '    <h2><a href="{{ product.pk|url_of:"catalog:product_detail" }}">{{ product.na'
    'me }}</a></h2>\n'
    '    <p><span class="badge">{{ product.get_kind_display }}</span> <span class="mu'
    'ted small">AWS {{ product.aws_account_id }} · {{ product.aws_region }}</span></p'
    '>\n'
    '    <p>{{ product.description }}</p>\n'
    '    <p class="small card-estimate">{% if estimate %}Estimated about <strong>${{ '
    'estimate.usd_per_month|floatformat:2 }}</strong> per month ({{ estimate.priced }'
    '}){% else %}<span class="muted">No cost estimate</span>{% endif %}</p>\n'
    '  </article>\n'
    '{% empty %}\n'
    '  <p class="muted" id="no-products">No products match. The platform team publish'
    'es what you can request here.</p>\n'
    '{% endfor %}')


def _product(pk: int, **values: object) -> Product:
    fields = {"name": "Notebook <b> & \"co\"", "kind": Product.Kind.NOTEBOOK_INSTANCE,
              "aws_account_id": "111111111111", "aws_region": "eu-west-1",
              "description": "For <script>x</script> 'work'", **values}
    return Product(pk=pk, **fields)


CARDS = [
    (_product(7), CostEstimate("ml.t3.medium", Decimal("0.05"), Decimal("36.5"))),
    (_product(12345, kind=Product.Kind.OTHER, description=""), None),
    (_product(3, kind="unknown-kind"),
     CostEstimate("", Decimal("0"), Decimal("1234.5678"), basis="storage")),
    (_product(4), CostEstimate("ml.m5.xlarge + ml.m5.large", Decimal("1"), Decimal("0"))),
]


@pytest.mark.parametrize("grouped", [False, True])
def test_the_cards_are_the_markup_the_template_loop_wrote(grouped: bool) -> None:
    with override_settings(USE_THOUSAND_SEPARATOR=grouped):
        expected = TEMPLATE_CARDS.render({"cards": CARDS})
        assert str(catalog_cards_html(CARDS)) == expected
    assert "Notebook &lt;b&gt; &amp; &quot;co&quot;" in expected
    assert "$36.50" in expected and "No cost estimate" in expected


def test_no_cards_write_nothing() -> None:
    assert str(catalog_cards_html([])) == ""
    assert "No products match" in TEMPLATE_CARDS.render({"cards": []})
