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

from django.db import connection
from django.db.models import Prefetch, Q, QuerySet, prefetch_related_objects
from django.db.models.expressions import RawSQL
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


def _visible_product_ids_sql() -> str:
    """The module docstring's rule as one statement over the tables (see products_for_user)."""
    qn = connection.ops.quote_name
    product, project = qn(Product._meta.db_table), qn(Project._meta.db_table)
    membership = qn(Membership._meta.db_table)
    groups = qn(Product.visible_to_groups.through._meta.db_table)
    projects = qn(Product.visible_to_projects.through._meta.db_table)
    user_groups = qn(User.groups.through._meta.db_table)
    return (
        f"SELECT p.id FROM {product} p WHERE p.published AND p.retired_at IS NULL"
        # In one of the requester's active projects' AWS targets,
        f" AND EXISTS (SELECT 1 FROM {membership} m JOIN {project} t ON t.id = m.project_id"
        f" WHERE m.user_id = %s AND t.active AND t.aws_account_id = p.aws_account_id"
        f" AND t.aws_region = p.aws_region)"
        # no group restriction, or one of the requester's groups,
        f" AND (NOT EXISTS (SELECT 1 FROM {groups} g WHERE g.product_id = p.id)"
        f" OR EXISTS (SELECT 1 FROM {groups} g JOIN {user_groups} ug ON ug.group_id = g.group_id"
        f" WHERE g.product_id = p.id AND ug.user_id = %s))"
        # and no project restriction, or an active project the requester is a member of.
        f" AND (NOT EXISTS (SELECT 1 FROM {projects} vp WHERE vp.product_id = p.id)"
        f" OR EXISTS (SELECT 1 FROM {projects} vp JOIN {project} r ON r.id = vp.project_id"
        f" JOIN {membership} rm ON rm.project_id = r.id"
        f" WHERE vp.product_id = p.id AND r.active AND rm.user_id = %s))"
    )


def products_for_user(*, user: User) -> QuerySet[Product]:
    """Published, live products the requester may see and request (see the module docstring).

    The rule is one hand-written subquery (``pk IN (...)``, the user's id its only parameter):
    built with ``Exists``/``OuterRef`` the ORM spent ~10 ms of Python per call resolving and
    compiling its five subqueries, on every catalog, product and "my requests" page (issue 16).
    ``tests/catalog/test_products_for_user.py`` holds it to the rule.
    """
    if not user.is_authenticated or not user.is_active:
        return Product.objects.none()
    return (
        Product.objects.filter(pk__in=RawSQL(_visible_product_ids_sql(), [user.pk] * 3))
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


def versions_requestable(*, product: Product, among: Iterable[ProductVersion] | None = None
                         ) -> list[ProductVersion]:
    """Active, live versions, newest first; deprecated ones only when the admin shows them.
    ``among``: the product's versions as the caller read them (else ``product.versions``)."""
    versions = [v for v in (product.versions.all() if among is None else among)
                if v.requestable]
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
    """The version with its live parameters and the product's overrides prefetched.

    A version read through its product (``product_for_user``'s versions: the product, with its
    overrides, is cached on it) gets its parameters in one query, in place; any other is
    reloaded (three queries), as is one whose parameters were prefetched already (perhaps with
    the retired ones)."""
    live = Prefetch("parameters", queryset=ParameterSpec.objects.filter(retired_at__isnull=True))
    product_field = ProductVersion._meta.get_field("product")
    prefetched = getattr(version, "_prefetched_objects_cache", {})
    if product_field.is_cached(version) and "parameters" not in prefetched:
        prefetch_related_objects([version], live, "product__overrides")
        return version
    return (
        ProductVersion.objects.select_related("product")
        .prefetch_related(live, "product__overrides")
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


def project_for_product(*, user: User, product: Product, slug: object,
                        among: list[Project] | None = None) -> Project | None:
    """The project ``slug`` names among ``projects_for_product`` (None when no slug is given);
    ProjectIdInvalid for what is not a slug, Http404 for a project out of the user's scope.
    ``among``: ``projects_for_product`` as the caller read it already (no second query)."""
    if slug in (None, ""):
        return None
    text = str(slug)
    if len(text) > 60 or not _SLUG.fullmatch(text):
        raise ProjectIdInvalid("A project is named by its slug (letters, digits, - and _).")
    if among is not None:
        project = next((p for p in among if p.slug == text), None)
    else:
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
