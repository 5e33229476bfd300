"""Reads of environments, always scoped by the user asking (out of scope → 404)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import Http404

from approvals.links import EnvironmentLink, LinkedRequest
from approvals.models import Request
from catalog.models import Product
from catalog.parameter_labels import parameter_labels
from portal.models import User
from portal.reversing import reverse_key_of
from portal.row_values import choice_labels
from portal.sealing import is_sealed
from provisioning.models import Environment, EnvironmentEvent, environment_name


def environments_for_user(*, user: User) -> QuerySet[Environment]:
    """The environments a user may see: their own; every one for a platform admin."""
    if not user.is_authenticated or not user.is_active:
        return Environment.objects.none()
    environments = Environment.objects.select_related("product", "project", "owner", "version",
                                                      "origin_request")
    if user.is_catalog_admin:
        return environments
    return environments.filter(owner=user)


def environment_visible_to(*, user: User, owner_id: object) -> bool:
    """Whether ``environments_for_user`` holds an environment of this owner, without a query:
    the same rule (active user; their own, or any for a platform admin) for rows already read."""
    if not user.is_authenticated or not user.is_active:
        return False
    return bool(user.is_catalog_admin) or owner_id == user.pk


def environment_for_user(*, user: User, pk: Any) -> Environment:
    environment = environments_for_user(user=user).filter(pk=pk).first()
    if environment is None:
        raise Http404("No such environment.")
    return environment


def environments_owned_by(*, user: User, terminated: bool = True) -> QuerySet[Environment]:
    """"My environments": the user's own, admins included; without the terminated ones when
    ``terminated`` is false (the page's default: they are history, not something to use)."""
    environments = environments_for_user(user=user).filter(owner=user)
    if not terminated:
        environments = environments.exclude(status=Environment.Status.TERMINATED)
    return environments


def environments_for_admin(*, user: User, project: str = "", owner: str = "", status: str = "",
                           product: str = "") -> QuerySet[Environment]:
    if not (user.is_authenticated and user.is_catalog_admin):
        raise PermissionDenied("Only platform admins see every environment.")
    environments = environments_for_user(user=user)
    if project:
        environments = environments.filter(project__slug=project)
    if owner:
        environments = environments.filter(owner__username=owner)
    if status:
        environments = environments.filter(status=status)
    if product:
        # isdigit() alone accepts "²" and other Unicode digits, which int() refuses (a 500).
        by_pk = product.isascii() and product.isdigit() and len(product) <= 18
        environments = environments.filter(product__pk=product) if by_pk else \
            environments.filter(product__name__icontains=product)
    return environments


def products_with_environments() -> QuerySet[Product]:
    """The admin list's product drop-down: products someone has an environment of. An EXISTS
    per product (index on environment.product_id), not a join of every environment with
    DISTINCT over it, which cost the whole environment table on every view (issue 16)."""
    return Product.objects.filter(
        Exists(Environment.objects.filter(product=OuterRef("pk")))).order_by("name", "pk")


def environment_timeline(*, environment: Environment) -> QuerySet[EnvironmentEvent]:
    return environment.events.order_by("-at", "-pk")


@dataclass(frozen=True)
class ParameterShown:
    """One parameter value as the environment page shows it (a secret is never shown)."""

    key: str
    label: str
    value: str
    secret: bool
    fixed: bool  # set by the platform team, not chosen by the requester


SECRET_MASK = "••••••"


def environment_parameters(*, environment: Environment) -> list[ParameterShown]:
    """The parameter values the environment runs with, in template order, labelled as the
    request form labels them. NoEcho values (and anything stored sealed) are masked: the page
    says a value is set, never what it is. One query (the version's specs with their overrides'
    labels, ``catalog.parameter_labels``)."""
    values = dict(environment.parameters or {})
    labelled = {p.key: p for p in parameter_labels(
        version_id=environment.version_id, product_id=environment.product_id,
        kind=environment.product.kind)}
    order = [key for key in labelled if key in values] + sorted(
        key for key in values if key not in labelled)
    shown: list[ParameterShown] = []
    for key in order:
        parameter = labelled.get(key)
        secret = bool(parameter and parameter.no_echo) or is_sealed(values[key])
        value = "" if values[key] is None else str(values[key])
        shown.append(ParameterShown(
            key=key, label=parameter.label if parameter else key,
            value=(SECRET_MASK if value else "") if secret else value, secret=secret,
            fixed=bool(parameter and parameter.hidden)))
    return shown


def environment_requests(*, environment: Environment) -> list[Request]:
    """The requests of an environment, oldest first: the one it came from, then the day-2
    requests (change, terminate) about it. Its owner and platform admins see them all: a
    day-2 request is only ever the owner's, and the environment is already in scope."""
    return list(environment_requests_queryset(origin_request_id=environment.origin_request_id,
                                              environment_ref=str(environment.pk)))


def environment_requests_queryset(*, origin_request_id: Any, environment_ref: str
                                  ) -> QuerySet[Request]:
    """``environment_requests`` of the environment with this origin request and id (text)."""
    # Only what the page's table and the API's list show: a request's parameters and tag
    # choices (JSON) and the requester's other columns cost CPU to read and were never used.
    return (Request.objects.filter(Q(pk=origin_request_id) | Q(environment_ref=environment_ref))
            .select_related("requester")
            .only("number", "action", "status", "created_at", "requester__username",
                  "requester__first_name", "requester__last_name")
            .order_by("created_at", "pk"))


def request_environment_links(requests: Sequence[LinkedRequest], user: User
                              ) -> dict[object, EnvironmentLink]:
    """The reader approvals asks (``approvals.links``): each request's environment, by request pk,
    with a page link when the user may see the environment. One query for any number of rows:
    whether the user may see it is ``environment_visible_to`` of the row read (a second query
    through ``environments_for_user`` cost a round trip on every list page, issue 16)."""
    created = [r.pk for r in requests if r.action == Request.Action.CREATE]
    refs: dict[uuid.UUID, list[object]] = {}
    for r in requests:
        if r.action != Request.Action.CREATE and r.environment_ref:
            try:
                refs.setdefault(uuid.UUID(r.environment_ref), []).append(r.pk)
            except ValueError:
                continue
    if not created and not refs:
        return {}
    # What a link shows (the name, the status) and who owns it: nothing else of the rows, and
    # as plain values (no model instances: a page's fifty were most of this read's CPU).
    rows = (Environment.objects.filter(Q(origin_request__in=created) | Q(pk__in=list(refs)))
            .values_list("pk", "origin_request_id", "owner_id", "status", "origin_request__name",
                         "notebook_instance_name", "user_profile_name",
                         "sagemaker_project_name", "provisioned_product_name"))
    links: dict[object, EnvironmentLink] = {}
    detail_url = reverse_key_of("provisioning:environment_detail")
    for (pk, origin_id, owner_id, status, chosen, notebook, profile, sagemaker_project,
         provisioned) in rows:
        # Out of the user's scope (an approver): the name and status the request is about, but
        # neither the id nor the page, as for any environment they cannot open.
        shown = environment_visible_to(user=user, owner_id=owner_id)
        link = EnvironmentLink(
            id=str(pk) if shown else "",
            name=environment_name(chosen=chosen, notebook=notebook, profile=profile,
                                  sagemaker_project=sagemaker_project, provisioned=provisioned),
            status=status, status_label=_STATUS_LABELS.get(status, status),
            url=detail_url(pk) if shown else "")
        for request_pk in [origin_id, *refs.get(pk, [])]:
            links[request_pk] = link
    return links


# ``get_status_display`` without rebuilding the choices' mapping on every call.
_STATUS_LABELS = choice_labels(Environment.Status.choices)
