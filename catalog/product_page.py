"""What the product page reads besides the frame, in as few statements as it can (issue 16).

The page needs the product (if the requester may see it), its live versions, the live parameter
specs of the one shown with the product's overrides of them, and the requester's projects where
it can be provisioned. Through ``product_for_user``'s prefetches and ``version_for_form`` that
was six statements (the product, its overrides, TagOptions and versions, the version's
parameters, the projects), each built and compiled by the ORM on every view: ~7 ms of CPU.

Here they are four at most, each compiled once per process (``portal.statements``) from the
selectors' own querysets (so the scoping stays theirs): the product through
``products_for_user``; the live versions with every live spec of theirs and the product's
override of each spec's key (two ``FilteredRelation`` left joins: a spec has at most one
override, the key being unique per product); the projects through ``projects_for_product``;
the product's TagOptions, only when its launch path gave it none (``catalog.checks`` shows
those then) and it has a live one of its own: the product's read tells (an ``Exists`` column),
and most products have none, so the page mostly runs three.
``tests/catalog/test_product_page_read.py`` holds the reads to the selectors'.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import connections, router
from django.db.models import Exists, F, FilteredRelation, OuterRef, Q, QuerySet
from django.http import Http404

from catalog.checks import tag_options_requestable
from catalog.models import ParameterOverride, ParameterSpec, Product, ProductVersion, TagOption
from catalog.parameters import EffectiveParameter, parameters_effective_of
from catalog.selectors import products_for_user, projects_for_product
from portal.models import Project, User
from portal.statements import MARKER_ID, MARKER_TEXT, Slot, Statement

_PRODUCT_COLUMNS = [f.attname for f in Product._meta.concrete_fields]
_VERSION = [f.attname for f in ProductVersion._meta.concrete_fields]
_SPEC = [f.attname for f in ParameterSpec._meta.concrete_fields]
_OVERRIDE = [f.attname for f in ParameterOverride._meta.concrete_fields]


def _versions_with_parameters(product: int) -> QuerySet[ProductVersion, tuple[object, ...]]:
    """One row per live version and live spec of it (a version without any: one row, the spec's
    and override's columns null), with the product's override of the spec's key."""
    return (
        ProductVersion.objects.filter(product_id=product, retired_at__isnull=True)
        .annotate(
            live=FilteredRelation("parameters",
                                  condition=Q(parameters__retired_at__isnull=True)),
            curated=FilteredRelation("product__overrides",
                                     condition=Q(product__overrides__key=F("live__key"))))
        .order_by()
        .values_list(*_VERSION, *(f"live__{name}" for name in _SPEC),
                     *(f"curated__{name}" for name in _OVERRIDE))
    )


def _product_with_tag_option_flag(user: int, pk: int) -> QuerySet[Product, tuple[object, ...]]:
    """The product ``products_for_user`` gives, its columns, then whether it has a live
    TagOption of its own (what ``tag_options_requestable`` would read)."""
    own = TagOption.objects.filter(products=OuterRef("pk"), active=True,
                                   retired_at__isnull=True)
    return (products_for_user(user=User(pk=user, is_active=True)).filter(pk=pk)
            .annotate(own_tag_options=Exists(own))
            .values_list(*_PRODUCT_COLUMNS, "own_tag_options"))


_PRODUCT = Statement(
    _product_with_tag_option_flag,
    user=Slot(User._meta.pk, MARKER_ID), pk=Slot(Product._meta.pk, MARKER_ID + 1))
_VERSIONS = Statement(_versions_with_parameters,
                      product=Slot(ProductVersion._meta.get_field("product"), MARKER_ID))
_TAG_OPTIONS = Statement(lambda product: TagOption.objects.filter(products=product),
                         product=Slot(Product._meta.pk, MARKER_ID))
_PROJECTS = Statement(
    lambda user, account, region: projects_for_product(
        user=User(pk=user), product=Product(aws_account_id=account, aws_region=region)),
    user=Slot(User._meta.pk, MARKER_ID),
    account=Slot(Project._meta.get_field("aws_account_id"), f"{MARKER_TEXT}-account"),
    region=Slot(Project._meta.get_field("aws_region"), f"{MARKER_TEXT}-region"))


@dataclass(frozen=True)
class ProductRead:
    """The product and its live versions (``version.product`` is the product), with the live
    specs of each version and the product's overrides of their keys; ``own_tag_options``:
    whether the product has a live TagOption of its own (``tag_options_read`` reads them)."""

    product: Product
    versions: list[ProductVersion]
    own_tag_options: bool = True
    specs: dict[int, list[ParameterSpec]] = field(default_factory=dict)
    overrides: dict[str, ParameterOverride] = field(default_factory=dict)

    def parameters_effective(self, version: ProductVersion) -> list[EffectiveParameter]:
        """``catalog.parameters.parameters_effective`` of one of ``versions``, without a read."""
        return parameters_effective_of(specs=self.specs.get(version.pk, []),
                                       overrides=self.overrides, kind=self.product.kind)


def product_read_for_user(*, user: User, pk: int | str) -> ProductRead:
    """The product ``product_for_user`` gives (Http404 likewise) with its live versions, their
    live specs and the overrides of those: two statements."""
    try:
        key = int(pk)
    except (TypeError, ValueError):
        raise Http404("No such product.") from None
    using = router.db_for_read(Product)
    low, high = connections[using].ops.integer_field_range("BigAutoField")
    # products_for_user answers no product for such a person (and for an id beyond the column,
    # which the database would refuse as a parameter).
    if not (user.is_authenticated and user.is_active) or not low <= key <= high:
        raise Http404("No such product.")
    found = _PRODUCT.rows(using=using, user=user.pk, pk=key)
    if not found:
        raise Http404("No such product.")
    *columns, own_tag_options = found[0]
    product = Product.from_db(using, _PRODUCT_COLUMNS, columns)
    read = ProductRead(product=product, versions=[], own_tag_options=bool(own_tag_options))
    ends = (len(_VERSION), len(_VERSION) + len(_SPEC))
    for row in _VERSIONS.rows(using=router.db_for_read(ProductVersion), product=product.pk):
        version_values, spec_values, override_values = (
            row[:ends[0]], row[ends[0]:ends[1]], row[ends[1]:])
        version_pk = version_values[_VERSION.index("id")]
        if version_pk not in read.specs:
            version = ProductVersion.from_db(using, _VERSION, version_values)
            version.product = product
            read.versions.append(version)
            read.specs[version_pk] = []
        spec = dict(zip(_SPEC, spec_values, strict=True))
        if spec["id"] is None:
            continue
        read.specs[version_pk].append(ParameterSpec.from_db(using, _SPEC, spec_values))
        override = dict(zip(_OVERRIDE, override_values, strict=True))
        if override["id"] is not None and override["key"] not in read.overrides:
            read.overrides[override["key"]] = ParameterOverride.from_db(
                using, _OVERRIDE, override_values)
    return read


def projects_for_product_read(*, user: User, product: Product) -> list[Project]:
    """``projects_for_product`` as a list (one statement compiled once)."""
    return _PROJECTS.instances(Project, using=router.db_for_read(Project), user=user.pk,
                               account=product.aws_account_id, region=product.aws_region)


def tag_options_read(*, product: Product, own: bool = True) -> dict[str, list[str]]:
    """``catalog.checks.tag_options_requestable`` of the product: its own TagOptions are read
    (one statement compiled once) only when its launch path gave it none and ``own`` (it has a
    live one: ``ProductRead.own_tag_options``; False reads nothing, as there is nothing)."""
    if product.launch_tag_options is not None:
        options: list[TagOption] | None = None
    elif not own:
        options = []
    else:
        options = _TAG_OPTIONS.instances(TagOption, using=router.db_for_read(TagOption),
                                         product=product.pk)
    return tag_options_requestable(product=product, options=options)
