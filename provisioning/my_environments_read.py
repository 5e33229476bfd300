"""My environments' read (its list and the rows its month-to-date figure meters), compiled once
per process (``portal.statements``).

Built and compiled by the ORM on every view, the read's join of the environment with its origin
request, product, version and project (``.only()`` the list's columns) cost more CPU than the
database took to answer it (issue 16). The statement is compiled from the selector's own
queryset (``selectors.environments_owned_by``) with the view's filter, so the scoping and the
rows stay theirs; ``tests/provisioning/test_my_environments_read.py`` holds it to them.
"""

from __future__ import annotations

from datetime import UTC, datetime

from django.db import router
from django.db.models import Model, Q, QuerySet

from approvals.models import Request
from catalog.models import Product, ProductVersion
from portal.models import Project, User
from portal.statements import MARKER_ID, Slot, Statement, model_columns
from provisioning import metering, selectors
from provisioning.list_rows import MY_LIST_FIELDS
from provisioning.models import Environment

_KEYS = ("id", "origin_request_id", "owner_id", "project_id", "product_id", "version_id")


def _related(name: str) -> tuple[str, ...]:
    return ("id", *(field.split("__", 1)[1] for field in MY_LIST_FIELDS
                    if field.startswith(f"{name}__")))


# What the list reads (``list_rows.MY_LIST_FIELDS``), the environment's columns then each
# related row's, as ``.only()`` with ``select_related`` read them.
_ENVIRONMENT = model_columns(Environment, *_KEYS, *(f for f in MY_LIST_FIELDS if "__" not in f))
_RELATED: dict[str, tuple[type[Model], list[str]]] = {
    name: (model, model_columns(model, *_related(name))) for name, model in (
        ("origin_request", Request), ("product", Product), ("version", ProductVersion),
        ("project", Project))}

# Moments no row is created or terminated at (the statement's markers for its two times).
_MARKER_NOW = datetime(1901, 2, 3, 4, 5, 6, tzinfo=UTC)
_MARKER_START = datetime(1902, 3, 4, 5, 6, 7, tzinfo=UTC)


def _live_and_metered(owner: int, now: datetime, start: datetime) -> QuerySet[Environment]:
    """The owner's environments that are not terminated, or were alive this month (metered)."""
    return selectors.environments_owned_by(user=User(pk=owner), terminated=True).filter(
        ~Q(status=Environment.Status.TERMINATED) | metering.alive_between(start, now))


_LIVE_AND_METERED = Statement(
    lambda owner, now, start: _live_and_metered(owner, now, start).values_list(
        *_ENVIRONMENT, *(f"{name}__{column}" for name, (_model, columns) in _RELATED.items()
                         for column in columns)),
    owner=Slot(User._meta.pk, MARKER_ID),
    now=Slot(Environment._meta.get_field("created_at"), _MARKER_NOW),
    start=Slot(Environment._meta.get_field("terminated_at"), _MARKER_START))


def my_environments_read(*, user: User, now: datetime) -> list[Environment]:
    """``user``'s environments that are not terminated or were alive in ``now``'s month, in
    the list's order, each with its origin request, product, version and project (their
    ``MY_LIST_FIELDS`` columns): one statement."""
    if not user.is_authenticated or not user.is_active:
        return []  # environments_for_user's rule: nothing for them
    using = router.db_for_read(Environment)
    environments = []
    for row in _LIVE_AND_METERED.rows(using=using, owner=user.pk, now=now,
                                      start=metering.month_start(now)):
        end = len(_ENVIRONMENT)
        environment = Environment.from_db(using, _ENVIRONMENT, row[:end])
        for name, (model, columns) in _RELATED.items():
            setattr(environment, name, model.from_db(using, columns, row[end:end + len(columns)]))
            end += len(columns)
        environments.append(environment)
    return environments
