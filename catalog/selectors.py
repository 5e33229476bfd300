"""Reads of the catalog, always scoped by the user asking.

A product is visible to a requester when it is published and not retired, the requester belongs to
an active project in the product's AWS account and region (only there can it be provisioned for
them), and it passes the platform team's restrictions: if groups are set the requester must be in
one of them, and if projects are set the requester must be a member of one of them (both must hold
when both are set). Anything else is a 404.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet
from django.http import Http404

from catalog.estimates import (  # re-exported: the estimate's public home was this module
    INSTANCE_TYPE_PARAMETER as INSTANCE_TYPE_PARAMETER,
)
from catalog.estimates import CostEstimate as CostEstimate
from catalog.estimates import cost_estimate as cost_estimate
from catalog.estimates import prices_for_region as prices_for_region
from catalog.models import (
    ParameterSpec,
    Product,
    ProductVersion,
    SyncRun,
)
from portal.models import Membership, Project, User

_SLUG = re.compile(r"[-a-zA-Z0-9_]+")  # Django's slug (Project.slug is a SlugField)


def products_for_user(*, user: User) -> QuerySet[Product]:
    """Published, live products the requester may see and request (see the module docstring)."""
    if not user.is_authenticated or not user.is_active:
        return Product.objects.none()
    groups_through = Product.visible_to_groups.through
    projects_through = Product.visible_to_projects.through
    in_target = Exists(Membership.objects.filter(
        user=user, project__active=True,
        project__aws_account_id=OuterRef("aws_account_id"),
        project__aws_region=OuterRef("aws_region"),
    ))
    group_free = ~Exists(groups_through.objects.filter(product_id=OuterRef("pk")))
    in_group = Exists(groups_through.objects.filter(
        product_id=OuterRef("pk"), group_id__in=user.groups.values("pk")
    ))
    project_free = ~Exists(projects_through.objects.filter(product_id=OuterRef("pk")))
    in_project = Exists(projects_through.objects.filter(
        product_id=OuterRef("pk"), project__active=True, project__memberships__user=user,
    ))
    return (
        Product.objects.filter(published=True, retired_at__isnull=True)
        .filter(in_target)
        .filter(group_free | in_group)
        .filter(project_free | in_project)
        .order_by("name", "pk")
    )


def product_for_user(*, user: User, pk: int | str) -> Product:
    """One product the requester may see, with what its page needs; Http404 otherwise."""
    try:
        key = int(pk)
    except (TypeError, ValueError):
        raise Http404("No such product.") from None
    product = (
        products_for_user(user=user)
        .filter(pk=key)
        .prefetch_related(
            "overrides", "tag_options",
            Prefetch("versions", queryset=ProductVersion.objects.filter(retired_at__isnull=True)),
        )
        .first()
    )
    if product is None:
        raise Http404("No such product.")
    return product


def product_search(
    queryset: QuerySet[Product], *, q: str = "", kind: str = ""
) -> QuerySet[Product]:
    if q:
        queryset = queryset.filter(Q(name__icontains=q) | Q(description__icontains=q))
    if kind:
        queryset = queryset.filter(kind=kind)
    return queryset


def versions_newest_first(versions: Iterable[ProductVersion]) -> list[ProductVersion]:
    """Newest AWS creation time first; versions without one (never seen by AWS) last."""
    return sorted(versions, key=lambda v: (v.aws_created_at is not None, v.aws_created_at, v.pk),
                  reverse=True)


def versions_requestable(*, product: Product) -> list[ProductVersion]:
    """Active, live versions, newest first; deprecated ones only when the admin shows them."""
    versions = [v for v in product.versions.all() if v.requestable]
    if product.hide_deprecated:
        versions = [v for v in versions
                    if not v.is_deprecated or v.pk == product.default_version_id]
    return versions_newest_first(versions)


def version_default(*, product: Product, versions: list[ProductVersion]) -> ProductVersion | None:
    """The admin's chosen default when requestable, else the newest non-deprecated version."""
    for version in versions:
        if version.pk == product.default_version_id:
            return version
    for version in versions:
        if not version.is_deprecated:
            return version
    return versions[0] if versions else None


def version_requested_or_default(
    *, product: Product, versions: list[ProductVersion], requested: int | str | None
) -> ProductVersion | None:
    """The requested version among ``versions`` (None when it is not one of them), or the
    default version when nothing was requested."""
    if requested in (None, ""):
        return version_default(product=product, versions=versions)
    return next((v for v in versions if str(v.pk) == str(requested)), None)


def version_for_form(*, version: ProductVersion) -> ProductVersion:
    """Reload a version with its live parameters and the product's overrides prefetched."""
    return (
        ProductVersion.objects.select_related("product")
        .prefetch_related(
            Prefetch("parameters", queryset=ParameterSpec.objects.filter(retired_at__isnull=True)),
            "product__overrides",
        )
        .get(pk=version.pk)
    )


def projects_for_product(*, user: User, product: Product) -> QuerySet[Project]:
    """The requester's active projects in which the product can be provisioned."""
    return Project.objects.filter(
        memberships__user=user, active=True,
        aws_account_id=product.aws_account_id, aws_region=product.aws_region,
    ).order_by("name")


class ProjectIdInvalid(ValueError):
    """A project id (slug) that cannot name any project: the caller answers 400."""


def project_for_product(*, user: User, product: Product, slug: object) -> Project | None:
    """The project ``slug`` names among ``projects_for_product`` (None when no slug is given);
    ProjectIdInvalid for what is not a slug, Http404 for a project out of the user's scope."""
    if slug in (None, ""):
        return None
    text = str(slug)
    if len(text) > 60 or not _SLUG.fullmatch(text):
        raise ProjectIdInvalid("A project is named by its slug (letters, digits, - and _).")
    project = projects_for_product(user=user, product=product).filter(slug=text).first()
    if project is None:
        raise Http404("No such project of yours for this product.")
    return project


# --- Platform admins ----------------------------------------------------------------------------

def products_for_admin(*, user: User) -> QuerySet[Product]:
    """Every product, retired and unpublished included, for platform admins only (else none)."""
    if not (user.is_authenticated and user.is_catalog_admin):
        return Product.objects.none()
    return Product.objects.order_by("name", "aws_account_id", "aws_region", "pk")


def product_for_admin(*, user: User, pk: int | str) -> Product:
    try:
        key = int(pk)
    except (TypeError, ValueError):
        raise Http404("No such product.") from None
    product = (
        products_for_admin(user=user).filter(pk=key)
        .prefetch_related("overrides", "visible_to_groups", "visible_to_projects",
                          "versions__parameters", "launch_paths")
        .first()
    )
    if product is None:
        raise Http404("No such product.")
    return product


def sync_runs_for_admin(*, user: User) -> QuerySet[SyncRun]:
    if not (user.is_authenticated and user.is_catalog_admin):
        return SyncRun.objects.none()
    return SyncRun.objects.select_related("requested_by").order_by("-created_at", "-pk")
