"""The table rows of "My environments" and the admin's "All environments", as HTML in one pass.

A Django template spends a variable lookup, a filter call and a node render on every cell of
every row; for 50 rows that was a large part of both pages (issue 16). These functions write the
same markup from the rows the views read, one string per row, every value through ``escaped``
(``escape``'s text); the templates put the result in their ``<tbody>``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from django.utils.safestring import SafeString, mark_safe

from approvals.models import REFERENCE_PREFIX
from portal.reversing import reverse_key_of
from portal.row_values import choice_labels, escaped, local_minute, truncated_chars
from provisioning.models import Environment, environment_name

Urls = Callable[[object], str]  # a route's URL of a key (portal.reversing.reverse_key_of)


def _name_cell(environment: Environment, detail_url: Urls) -> str:
    """The name, linked to its page, and the provisioned product's name when it differs."""
    name = environment.name
    url = detail_url(environment.pk)
    cell = f'<a href="{escaped(url)}">{escaped(name)}</a>'
    if name != environment.provisioned_product_name:
        cell += f' <span class="muted small">{escaped(environment.provisioned_product_name)}</span>'
    return cell


# An environment's status label by status (``get_status_display`` rebuilds this mapping on
# every call): the rows here and ``views.environment_json``.
STATUS_LABELS = choice_labels(Environment.Status.choices)


def _status(environment: Environment) -> str:
    status = environment.status
    return (f'<span class="status status-{escaped(status)}" data-status>'
            f'{escaped(STATUS_LABELS.get(status, status))}</span>')


def _reference(environment: Environment, css: str, request_url: Urls) -> str:
    url = request_url(environment.origin_request_id)
    return (f'<a class="{css}" href="{escaped(url)}">'
            f'{escaped(environment.origin_request.reference)}</a>')


# What "My environments" reads of an environment and its related rows (``.only()``): what
# ``my_environment_rows`` and ``views.environment_json`` show, and what
# ``metering.rows_month_to_date`` meters (the parameters, the product's estimate fields, the
# project's region). The whole rows of five tables, JSON columns and all, cost more CPU to
# select and build than the rest of the page's own work (issue 16).
MY_LIST_FIELDS = (
    "status", "status_message", "provisioned_product_name", "notebook_instance_name",
    "domain_id", "user_profile_name", "sagemaker_project_name", "parameters", "created_at",
    "updated_at", "available_at", "terminated_at", "expires_at", "owner_id",
    "origin_request__name", "origin_request__number", "product__name", "product__kind",
    "product__flat_monthly_usd", "product__estimate_instance_types", "version__name",
    "project__name", "project__aws_region")


def my_environment_rows(rows: Iterable[dict[str, Any]], *, csrf_token: str) -> SafeString:
    """The rows of "My environments": ``rows`` as the view builds them (environment, state)."""
    token = escaped(csrf_token)
    detail_url, request_url = (reverse_key_of("provisioning:environment_detail"),
                               reverse_key_of("approvals:request_detail"))
    opener = reverse_key_of("provisioning:environment_open")
    html = []
    for row in rows:
        environment, state = row["environment"], row["state"]
        pk = escaped(environment.pk)
        open_url = escaped(opener(environment.pk))
        hidden = "" if state["openable"] else " hidden"
        html.append(
            f'<tr data-environment="{pk}" data-status-value="{escaped(environment.status)}">\n'
            f'      <td>{_name_cell(environment, detail_url)} '
            f'{_reference(environment, "reference small", request_url)}</td>\n'
            f'      <td>{escaped(environment.product.name)} '
            f'<span class="muted small">{escaped(environment.version.name)}</span></td>\n'
            f'      <td>{escaped(environment.project.name)}</td>\n'
            f'      <td>{_status(environment)}<div class="small muted" data-status-message>'
            f'{escaped(truncated_chars(environment.status_message, 200))}</div></td>\n'
            f'      <td><form method="post" action="{open_url}" class="inline" '
            f'data-open-form{hidden}><input type="hidden" name="csrfmiddlewaretoken" '
            f'value="{token}"><button type="submit" class="primary">Open</button></form></td>\n'
            f'      <td class="small" data-lease-ends>'
            f'{local_minute(environment.expires_at, "—")}</td>\n'
            f'      <td class="small">{local_minute(environment.created_at)}</td>\n'
            f'    </tr>')
    return mark_safe("\n    ".join(html))  # every value above is escaped


# What ``admin_environment_rows`` reads of an environment and its related rows, as
# ``.values()``: a page of 50 environments read as models built 300 instances (the environment
# and its five joined rows), more CPU than writing the rows; the page shows none of their
# behaviour, only these columns (issue 16).
ADMIN_LIST_VALUES = (
    "pk", "status", "created_at", "provisioned_product_name", "notebook_instance_name",
    "user_profile_name", "sagemaker_project_name", "origin_request_id", "origin_request__name",
    "origin_request__number", "owner__username", "project__slug", "product__name",
    "version__name")


def admin_environment_rows(environments: Iterable[dict[str, Any]]) -> SafeString:
    """The rows of the admin's "All environments": ``ADMIN_LIST_VALUES`` of each environment,
    written as ``_name_cell``, ``_reference`` and ``_status`` write a model's."""
    detail_url, request_url = (reverse_key_of("provisioning:environment_detail"),
                               reverse_key_of("approvals:request_detail"))
    html = []
    for row in environments:
        pk, provisioned, status = row["pk"], row["provisioned_product_name"], row["status"]
        name = environment_name(
            chosen=row["origin_request__name"], notebook=row["notebook_instance_name"],
            profile=row["user_profile_name"], sagemaker_project=row["sagemaker_project_name"],
            provisioned=provisioned)
        name_cell = f'<a href="{escaped(detail_url(pk))}">{escaped(name)}</a>'
        if name != provisioned:
            name_cell += f' <span class="muted small">{escaped(provisioned)}</span>'
        request_link = escaped(request_url(row["origin_request_id"]))
        reference = f'{REFERENCE_PREFIX}{row["origin_request__number"]}'
        html.append(
            f'<tr data-environment="{escaped(pk)}">\n'
            f'      <td>{name_cell}</td>\n'
            f'      <td><a class="reference" href="{request_link}">'
            f'{escaped(reference)}</a></td>\n'
            f'      <td>{escaped(row["owner__username"])}</td>'
            f'<td>{escaped(row["project__slug"])}</td>\n'
            f'      <td>{escaped(row["product__name"])} {escaped(row["version__name"])}</td>\n'
            f'      <td><span class="status status-{escaped(status)}" data-status>'
            f'{escaped(STATUS_LABELS.get(status, status))}</span></td>\n'
            f'      <td class="small">{local_minute(row["created_at"])}</td>\n'
            f'    </tr>')
    return mark_safe("\n    ".join(html))  # every value above is escaped
