"""The environment page's reads, each compiled once per process (``portal.statements``).

The page (and its timeline's live fragment, polled while the status moves) reads the environment
with its product, project, owner, version and origin request, its requests and its timeline.
Built and compiled by the ORM on every view, the environment's five-way join alone cost ~4 ms of
CPU, more than the database took to answer it (issue 16). Here each statement is compiled from
the selectors' own querysets (``environments_for_user``, ``environment_requests``,
``environment_timeline``), so the scoping and the rows stay theirs; only their compilation is
kept. ``tests/provisioning/test_environment_read.py`` holds them to the selectors.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.db import router
from django.db.models import Model, QuerySet
from django.http import Http404

from approvals.models import Request
from catalog.models import Product, ProductVersion
from portal.models import Project, Role, User
from portal.statements import MARKER_ID, MARKER_TEXT, Slot, Statement, model_columns
from provisioning import selectors
from provisioning.models import Environment, EnvironmentEvent

_MARKER_UUID = uuid.UUID(int=MARKER_ID)


# What environments_for_user joins, each with every column (as its select_related reads them).
_ENVIRONMENT = model_columns(Environment)
_RELATED: dict[str, tuple[type[Model], list[str]]] = {
    name: (model, model_columns(model)) for name, model in (
        ("product", Product), ("project", Project), ("owner", User),
        ("version", ProductVersion), ("origin_request", Request))}


def _environment_row(environments: QuerySet[Environment], pk: Any) -> QuerySet[Any]:
    return environments.filter(pk=pk).order_by().values_list(
        *_ENVIRONMENT, *(f"{name}__{column}" for name, (_model, columns) in _RELATED.items()
                         for column in columns))


# A platform admin sees every environment, anyone else their own (environments_for_user); one
# statement per branch, each compiled from the selector for a person of that kind.
_OWN = Statement(
    lambda owner, pk: _environment_row(selectors.environments_for_user(user=User(pk=owner)), pk),
    owner=Slot(User._meta.pk, MARKER_ID), pk=Slot(Environment._meta.pk, _MARKER_UUID))
_ANY = Statement(
    lambda pk: _environment_row(selectors.environments_for_user(
        user=User(pk=MARKER_ID, roles=[Role.CATALOG_ADMIN])), pk),
    pk=Slot(Environment._meta.pk, _MARKER_UUID))


def environment_read_for_user(*, user: User, pk: Any) -> Environment:
    """``selectors.environment_for_user``: the environment with its product, project, owner,
    version and origin request, if ``user`` may see it; Http404 otherwise."""
    try:
        key = pk if isinstance(pk, uuid.UUID) else uuid.UUID(str(pk))
    except ValueError:
        raise Http404("No such environment.") from None
    if not user.is_authenticated or not user.is_active:
        raise Http404("No such environment.")
    using = router.db_for_read(Environment)
    rows = (_ANY.rows(using=using, pk=key) if user.is_catalog_admin
            else _OWN.rows(using=using, owner=user.pk, pk=key))
    if not rows:
        raise Http404("No such environment.")
    row, end = rows[0], len(_ENVIRONMENT)
    environment = Environment.from_db(using, _ENVIRONMENT, row[:end])
    for name, (model, columns) in _RELATED.items():
        setattr(environment, name, model.from_db(using, columns, row[end:end + len(columns)]))
        end += len(columns)
    return environment


_REQUEST = model_columns(Request, "id", "number", "action", "status", "created_at", "requester_id")
_REQUESTER = model_columns(User, "id", "username", "first_name", "last_name")
_REQUESTS = Statement(
    lambda origin, ref: selectors.environment_requests_queryset(
        origin_request_id=origin, environment_ref=ref).values_list(
        *_REQUEST, *(f"requester__{column}" for column in _REQUESTER)),
    origin=Slot(Request._meta.pk, _MARKER_UUID),
    ref=Slot(Request._meta.get_field("environment_ref"), MARKER_TEXT))


def environment_requests_read(*, environment: Environment) -> list[Request]:
    """``selectors.environment_requests`` (the same rows and columns), one statement compiled
    once."""
    using = router.db_for_read(Request)
    found = []
    for row in _REQUESTS.rows(using=using, origin=environment.origin_request_id,
                              ref=str(environment.pk)):
        request = Request.from_db(using, _REQUEST, row[:len(_REQUEST)])
        request.requester = User.from_db(using, _REQUESTER, row[len(_REQUEST):])
        found.append(request)
    return found


TIMELINE_LENGTH = 200
_TIMELINE = Statement(
    lambda environment: selectors.environment_timeline(
        environment=Environment(pk=environment))[:TIMELINE_LENGTH],
    environment=Slot(EnvironmentEvent._meta.get_field("environment"), _MARKER_UUID))


def environment_timeline_read(*, environment: Environment) -> list[EnvironmentEvent]:
    """``selectors.environment_timeline``'s newest 200 events, one statement compiled once."""
    return _TIMELINE.instances(EnvironmentEvent, using=router.db_for_read(EnvironmentEvent),
                               environment=environment.pk)
