"""Cost estimates from the price table, for every kind of product.

An estimate is a month of continuous running (730 hours, AWS's own convention) of what the
product runs, priced from ``InstancePrice``. In order:

1. ``flat``: the platform team set a flat monthly figure on the product; it is the estimate.
2. ``instance``: the request chooses an ``InstanceType`` parameter (notebook instances).
3. ``declared``: the instance types the platform team declared the product runs by default
   (``Product.estimate_instance_types``: a SageMaker project template's endpoints, a Studio
   profile's own default app types), summed.
4. ``studio_default``: a Studio user profile with nothing declared runs its kernel apps on
   ``ml.t3.medium``. AWS (ResourceSpec of AWS::SageMaker::Domain/UserProfile): JupyterServer apps
   only run on ``system`` (no charge), and for KernelGateway apps ``system`` is translated to
   ``ml.t3.medium``.

Anything unpriced gives no estimate (``None``, shown as "unknown"), never a guess of zero.
Storage is priced apart (``StoragePrice``, per GB-month): metering charges a stopped notebook's
volume (``storage_usd_per_hour``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db import connection, router
from django.db.models import QuerySet, Value

from catalog.models import (
    HOURS_PER_MONTH,
    InstancePrice,
    ParameterOverride,
    ParameterSpec,
    Product,
    ProductVersion,
    StoragePrice,
)
from portal.statements import MARKER_TEXT, Slot, Statement

INSTANCE_TYPE_PARAMETER = "InstanceType"
VOLUME_SIZE_PARAMETER = "VolumeSizeInGB"
STUDIO_DEFAULT_APP_INSTANCE_TYPES = ("ml.t3.medium",)
CENT, TENTH_OF_A_CENT = Decimal("0.01"), Decimal("0.0001")

BASIS_LABELS = {
    "flat": "a flat monthly figure set by the platform team",
    "instance": "the chosen instance type",
    "declared": "the instance types the product runs by default",
    "studio_default": "Studio's default app instance type",
}


@dataclass(frozen=True)
class CostEstimate:
    """On-demand cost of running the environment the whole month (730 hours).

    ``instance_type`` names what is priced ("ml.t3.medium", "ml.t3.medium + ml.m5.large"; empty
    for a flat figure); ``basis`` is one of ``BASIS_LABELS``.
    """

    instance_type: str
    usd_per_hour: Decimal
    usd_per_month: Decimal
    basis: str = "instance"

    @property
    def basis_label(self) -> str:
        return BASIS_LABELS.get(self.basis, self.basis)

    @property
    def priced(self) -> str:
        """What the page says the figure is for."""
        return f"{self.instance_type}" if self.instance_type else self.basis_label


# The product page's and the request form's one price read, compiled once (portal.statements).
_PRICES = Statement(
    lambda region: InstancePrice.objects.filter(region=region).order_by().values_list(
        "instance_type", "usd_per_hour"),
    region=Slot(InstancePrice._meta.get_field("region"), MARKER_TEXT))


def prices_for_region(*, region: str) -> dict[str, Decimal]:
    """Hourly prices of one region by instance type."""
    return {str(instance_type): hourly for instance_type, hourly in
            _PRICES.rows(using=router.db_for_read(InstancePrice), region=region)}


def _instance_price_rows(regions: Sequence[str]) -> QuerySet[Any]:
    return InstancePrice.objects.filter(region__in=regions).values_list(
        "region", "instance_type", "usd_per_hour")


def prices_for_regions(*, regions: Iterable[str]) -> dict[str, dict[str, Decimal]]:
    """Hourly prices by region, then instance type; one query for any number of regions
    (compiled once per number of regions: the catalog asks it on every page, issue 16)."""
    table: dict[str, dict[str, Decimal]] = {}
    for region, instance_type, hourly in _rows_of_regions(
            _INSTANCE_PRICE_ROWS, _instance_price_rows, sorted(set(regions))):
        table.setdefault(region, {})[instance_type] = hourly
    return table


def storage_prices_for_regions(*, regions: Iterable[str]) -> dict[str, Decimal]:
    """USD per GB-month of ML storage by region (regions without a price are left out)."""
    return dict(StoragePrice.objects.filter(region__in=set(regions))
                .values_list("region", "usd_per_gb_month"))


def _price_rows(regions: Sequence[str]) -> QuerySet[Any]:
    """(region, instance type, USD) of the regions' instance prices and storage prices (an
    empty instance type), one UNION ALL."""
    instances = (InstancePrice.objects.filter(region__in=regions).order_by()
                 .values_list("region", "instance_type", "usd_per_hour"))
    storage = (StoragePrice.objects.filter(region__in=regions).order_by()
               .annotate(instance_type=Value("")).values_list(
                   "region", "instance_type", "usd_per_gb_month"))
    return instances.union(storage, all=True)


# ``_price_rows`` and ``_instance_price_rows`` compiled once per number of regions asked
# (portal.statements): metering asks the first on every environment page and list, the
# catalog the second on every page, nearly always for one region (issue 16: building the
# UNION's two querysets was a tenth of "My environments"' Python). The regions are AWS's few
# dozen at most, so these hold few statements.
_PRICE_ROWS: dict[int, Statement] = {}
_INSTANCE_PRICE_ROWS: dict[int, Statement] = {}


def _rows_of_regions(compiled: dict[int, Statement],
                     build: Callable[[Sequence[str]], QuerySet[Any]],
                     regions: Sequence[str]) -> list[list[Any]]:
    """The rows of ``build(regions)`` through its statement for that many regions."""
    if not regions:
        return []  # as the ORM: an empty IN reads nothing
    statement = compiled.get(len(regions))
    if statement is None:
        field = InstancePrice._meta.get_field("region")
        statement = compiled[len(regions)] = Statement(
            lambda **chosen: build(list(chosen.values())),
            **{f"region{i}": Slot(field, f"{MARKER_TEXT}-{i}") for i in range(len(regions))})
    return statement.rows(**{f"region{i}": region for i, region in enumerate(regions)})


def price_tables_for_regions(*, regions: Iterable[str]
                             ) -> tuple[dict[str, dict[str, Decimal]], dict[str, Decimal]]:
    """``prices_for_regions`` and ``storage_prices_for_regions`` in one statement (a UNION
    ALL; a storage row has no instance type): metering reads both for every environment page
    and list (issue 16)."""
    table: dict[str, dict[str, Decimal]] = {}
    per_gb_month: dict[str, Decimal] = {}
    for region, instance_type, usd in _rows_of_regions(_PRICE_ROWS, _price_rows,
                                                       sorted(set(regions))):
        if instance_type:
            table.setdefault(region, {})[instance_type] = usd
        else:
            per_gb_month[region] = usd
    return table, per_gb_month


def _month(hourly: Decimal) -> Decimal:
    return (hourly * HOURS_PER_MONTH).quantize(CENT)


def _summed(instance_types: list[str], table: Mapping[str, Decimal],
            basis: str) -> CostEstimate | None:
    if not instance_types or any(t not in table for t in instance_types):
        return None
    hourly = sum((table[t] for t in instance_types), Decimal("0"))
    return CostEstimate(instance_type=" + ".join(instance_types), usd_per_hour=hourly,
                        usd_per_month=_month(hourly), basis=basis)


def cost_estimate(
    *, region: str, parameters: Mapping[str, str], prices: Mapping[str, Decimal] | None = None,
    product: Product | None = None,
) -> CostEstimate | None:
    """The estimate for these parameter values (see the module docstring for the order).

    Without ``product`` only the InstanceType parameter is priced (the behaviour callers that
    know no product rely on). ``prices`` is the region's table when the caller has it already.
    """
    if product is not None and product.flat_monthly_usd is not None:
        monthly = product.flat_monthly_usd.quantize(CENT)
        return CostEstimate(instance_type="", basis="flat", usd_per_month=monthly,
                            usd_per_hour=(monthly / HOURS_PER_MONTH).quantize(TENTH_OF_A_CENT))
    table = prices if prices is not None else prices_for_region(region=region)
    instance_type = parameters.get(INSTANCE_TYPE_PARAMETER)
    if instance_type:
        return _summed([str(instance_type)], table, "instance")
    if product is None:
        return None
    declared = [str(t) for t in product.estimate_instance_types or [] if t]
    if declared:
        return _summed(declared, table, "declared")
    if product.kind == Product.Kind.STUDIO_USER_PROFILE:
        return _summed(list(STUDIO_DEFAULT_APP_INSTANCE_TYPES), table, "studio_default")
    return None


def storage_usd_per_hour(*, parameters: Mapping[str, str],
                         usd_per_gb_month: Decimal | None) -> Decimal:
    """Hourly price of the notebook volume the parameters ask for (0 without a size or price)."""
    size = str(parameters.get(VOLUME_SIZE_PARAMETER, "")).strip()
    if usd_per_gb_month is None or not size.isdigit() or not size.isascii():
        return Decimal("0")
    return Decimal(int(size)) * usd_per_gb_month / HOURS_PER_MONTH


def catalog_card_estimates(*, products: list[Product]) -> dict[int, CostEstimate | None]:
    """The estimate of each product's default choices, for a page of catalog cards.

    Two queries whatever the page size: the prices of the page's regions, then the InstanceType
    parameters of the products' live versions and the platform team's InstanceType overrides
    together (``_instance_type_rows``; three queries before, issue 16).
    The version priced is the admin's default when it has the parameter, else the newest one.
    """
    if not products:
        return {}
    table = prices_for_regions(regions={p.aws_region for p in products})
    newest: dict[int, str] = {}
    by_version: dict[int, str] = {}
    curated: dict[int, str] = {}
    for product_id, version_id, hidden, fixed_value, default in _instance_type_rows(products):
        if version_id is None:  # the platform team's override of the product
            chosen = fixed_value if hidden else (default or "")
            if chosen:
                curated[product_id] = chosen
        else:  # a live version's parameter, newest version first
            newest.setdefault(product_id, default or "")
            by_version[version_id] = default or ""
    estimates: dict[int, CostEstimate | None] = {}
    for product in products:
        value = curated.get(product.pk) or by_version.get(product.default_version_id or 0) \
            or newest.get(product.pk, "")
        parameters = {INSTANCE_TYPE_PARAMETER: value} if value else {}
        estimates[product.pk] = cost_estimate(region=product.aws_region, parameters=parameters,
                                              prices=table.get(product.aws_region, {}),
                                              product=product)
    return estimates


def _instance_type_rows(products: list[Product]) -> list[tuple[int, int | None, bool, str,
                                                               str | None]]:
    """(product id, version id, hidden, fixed value, default) of the products' InstanceType:
    each live version's parameter (newest version first, as the catalog's version choice
    orders them: AWS's creation time, then the newest row) and each override (version id
    None), in one statement: a UNION ALL of the two reads, hand-written (one round trip and
    no ORM query building for a page of cards)."""
    qn = connection.ops.quote_name
    spec, version = qn(ParameterSpec._meta.db_table), qn(ProductVersion._meta.db_table)
    override = qn(ParameterOverride._meta.db_table)
    ids = [p.pk for p in products]
    marks = ", ".join(["%s"] * len(ids))
    sql = (f"SELECT v.product_id, s.version_id, v.aws_created_at, FALSE, '', s.{qn('default')} "
           f"FROM {spec} s JOIN {version} v ON v.id = s.version_id "
           f"WHERE s.{qn('key')} = %s AND s.retired_at IS NULL AND v.active "
           f"AND v.retired_at IS NULL AND v.product_id IN ({marks}) "
           f"UNION ALL SELECT o.product_id, NULL, NULL, o.hidden, o.fixed_value, "
           f"o.{qn('default')} FROM {override} o "
           f"WHERE o.{qn('key')} = %s AND o.product_id IN ({marks})")
    with connection.cursor() as cursor:
        cursor.execute(sql, [INSTANCE_TYPE_PARAMETER, *ids, INSTANCE_TYPE_PARAMETER, *ids])
        rows = cursor.fetchall()
    # Newest version first: created at AWS latest (unknown last), then the highest id.
    rows.sort(key=lambda r: (r[0], r[2] is None, _negated_time(r[2]), -(r[1] or 0)))
    return [(product_id, version_id, bool(hidden), fixed_value or "", default)
            for product_id, version_id, _, hidden, fixed_value, default in rows]


def _negated_time(at: datetime | str | None) -> float:
    """A sort key that puts the later time first (SQLite hands the time back as text)."""
    if at is None:
        return 0.0
    if isinstance(at, str):
        at = datetime.fromisoformat(at)
    return -at.timestamp()
