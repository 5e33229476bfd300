"""The environment list of API v1 as plain dicts from ``.values()`` (issue 16).

``EnvironmentOutput`` (``provisioning.api``) stays the documented shape and what the detail and
action endpoints answer; for a list, DRF's per-field machinery (a ``get_attribute`` walk and a
``to_representation`` per field per row, on model instances with every column and five joined
rows) was most of the endpoint's time. ``environment_rows`` builds the same dicts, key for key
and value for value (tests/provisioning/test_api_rows.py compares the JSON byte for byte), from
only the columns the output has. A field added to ``EnvironmentOutput`` must be added here: the
test fails until it is.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from django.db.models import QuerySet

from approvals.models import REFERENCE_PREFIX
from portal.api_input import MAX_PAGE_SIZE
from portal.models import Role, User
from portal.row_values import api_times
from portal.statements import MARKER_ID, MARKER_TEXT, Slot, Statement
from provisioning import selectors
from provisioning.models import Environment, environment_name

# Output key -> the column it comes from (``values()`` names), in EnvironmentOutput's order.
COLUMNS: dict[str, str] = {
    "id": "id", "owner": "owner__username", "project": "project__slug",
    "product": "product__name", "product_kind": "product__kind", "version": "version__name",
    "request": "origin_request_id", "status": "status", "status_message": "status_message",
    "provisioned_product_name": "provisioned_product_name",
    "provisioned_product_id": "provisioned_product_id",
    "notebook_instance_name": "notebook_instance_name", "domain_id": "domain_id",
    "user_profile_name": "user_profile_name", "sagemaker_project_name": "sagemaker_project_name",
    "sagemaker_project_id": "sagemaker_project_id", "outputs": "outputs", "tags": "tags",
    "created_at": "created_at", "updated_at": "updated_at", "available_at": "available_at",
    "terminated_at": "terminated_at", "lease_ends_at": "expires_at",
}
_NAME_PARTS = ("origin_request__name", "origin_request__number")
_TEXT = ("owner", "project", "product", "product_kind", "version", "status", "status_message",
         "provisioned_product_name", "provisioned_product_id", "notebook_instance_name",
         "domain_id", "user_profile_name", "sagemaker_project_name", "sagemaker_project_id")
_TIMES = ("created_at", "updated_at", "available_at", "terminated_at", "lease_ends_at")


def environment_values(environments: QuerySet[Environment]) -> QuerySet[Any]:
    """The scoped queryset's rows as the columns ``environment_rows`` reads, nothing else."""
    rows: QuerySet[Any] = environments.values(*_NAMES)
    return rows


_NAMES = (*COLUMNS.values(), *_NAME_PARTS)  # environment_values' keys, in its select's order
# The first page's windows, compiled once for each kind of reader (a platform admin sees every
# environment, anyone else their own: environments_for_user), with or without the status
# filter, and size (1 to MAX_PAGE_SIZE + 1 rows: the paginator reads one past its limit).
_FIRST_WINDOWS: dict[tuple[bool, bool, int], Statement] = {}


def _first_window(*, admin: bool, by_status: bool, stop: int) -> Statement:
    key = (admin, by_status, stop)
    statement = _FIRST_WINDOWS.get(key)
    if statement is None:
        def build(owner: int = MARKER_ID, status: str = "") -> QuerySet[Any]:
            reader = User(pk=owner, roles=[Role.CATALOG_ADMIN] if admin else [])
            environments = selectors.environments_for_user(user=reader)
            if by_status:
                environments = environments.filter(status=status)
            return environment_values(environments)[:stop]

        slots = {} if admin else {"owner": Slot(User._meta.pk, MARKER_ID)}
        if by_status:
            slots["status"] = Slot(Environment._meta.get_field("status"), MARKER_TEXT)
        statement = _FIRST_WINDOWS[key] = Statement(build, **slots)
    return statement


def environment_window(*, user: User, status: str, start: int, stop: int
                       ) -> Sequence[dict[str, Any]]:
    """Rows ``start`` to ``stop - 1`` of ``environment_values`` of the environments ``user``
    may see (``status``: only those in it; empty: all). The first page's window (what most
    people ask) runs its compiled statement, so neither the queryset nor its SQL is built
    again on each request (issue 16); any other window is the queryset's slice."""
    if start != 0 or not 0 < stop <= MAX_PAGE_SIZE + 1 or not (
            user.is_authenticated and user.is_active):
        environments = selectors.environments_for_user(user=user)
        if status:
            environments = environments.filter(status=status)
        return list(environment_values(environments)[start:stop])
    admin = bool(user.is_catalog_admin)
    values: dict[str, Any] = {} if admin else {"owner": user.pk}
    if status:
        values["status"] = status
    rows = _first_window(admin=admin, by_status=bool(status), stop=stop).rows(**values)
    return [dict(zip(_NAMES, row, strict=True)) for row in rows]


# How each output key after "id" is written, in COLUMNS' order: (key, column, how); the
# request's reference follows its id.
_TEXT_VALUE, _TIME_VALUE, _AS_IS, _REQUEST = range(4)
_WRITES = tuple(
    (key, column, _REQUEST if key == "request" else _TEXT_VALUE if key in _TEXT
     else _TIME_VALUE if key in _TIMES else _AS_IS)
    for key, column in COLUMNS.items() if key != "id")


def environment_rows(rows: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """``EnvironmentOutput(many=True).data`` of the rows ``environment_values`` read."""
    time = api_times()
    out = []
    for row in rows:
        item: dict[str, Any] = {"id": str(row["id"]), "name": environment_name(
            chosen=row["origin_request__name"], notebook=row["notebook_instance_name"],
            profile=row["user_profile_name"], sagemaker_project=row["sagemaker_project_name"],
            provisioned=row["provisioned_product_name"])}
        for key, column, how in _WRITES:
            value = row[column]
            if how == _TEXT_VALUE:
                item[key] = None if value is None else str(value)  # api_text
            elif how == _TIME_VALUE:
                item[key] = time(value)
            elif how == _REQUEST:
                item["request"] = str(value)
                item["request_reference"] = f"{REFERENCE_PREFIX}{row['origin_request__number']}"
            else:
                item[key] = value
        out.append(item)
    return out
