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

from collections.abc import Iterable
from typing import Any

from django.db.models import QuerySet

from approvals.models import REFERENCE_PREFIX
from portal.row_values import api_times
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
    rows: QuerySet[Any] = environments.values(*COLUMNS.values(), *_NAME_PARTS)
    return rows


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
