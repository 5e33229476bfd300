"""Where a new request form starts when it does not start from the catalog's defaults.

Two starting points, both for a new environment (a change starts from the environment itself,
``approvals.services.environment_current``):

- ``values_from_product_page``: the values typed on the product page's "Check parameters" form,
  which its "Request this environment…" button posts here (carried over, not submitted);
- ``values_from_request``: one of the requester's own earlier requests ("request again with these
  values", offered by a failed environment's page).

Secrets are never carried: a NoEcho parameter is not pre-filled (its value is never shown, and
an earlier request keeps it sealed). Nor is a resource name that a live environment or request
still holds (a failed environment keeps its name until it is terminated): the new request would
be refused for it, so the form starts with the name empty (the portal then picks one) and says so.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from approvals.models import Request
from approvals.selectors import my_requests
from approvals.services.names import resource_name_errors
from catalog.models import Product, ProductVersion
from catalog.parameters import EffectiveParameter, is_list_type
from portal.models import Project, User
from portal.sealing import is_sealed

SECRETS_NOT_CARRIED = "Secret values are never carried over: enter {keys} again."
NAME_NOT_CARRIED = ("{key} “{name}” is still held by a live environment or request, so the "
                    "new one starts without it: choose another name, or leave it empty and the "
                    "portal picks one.")


@dataclass(frozen=True)
class FormStart:
    """The values a new request form starts from, and what the page says about them."""

    parameters: dict[str, str] = field(default_factory=dict)
    project_slug: str = ""
    tag_choices: dict[str, str] = field(default_factory=dict)
    justification: str = ""
    notes: list[str] = field(default_factory=list)
    source: Request | None = None


def _carryable(parameters: list[EffectiveParameter],
               values: Mapping[str, Any]) -> tuple[dict[str, str], list[str]]:
    """The visible, non-secret values among ``values``; and the secret keys left behind."""
    carried: dict[str, str] = {}
    secrets: list[str] = []
    for parameter in parameters:
        if parameter.hidden or parameter.key not in values:
            continue
        value = values[parameter.key]
        if parameter.no_echo or is_sealed(value):
            secrets.append(parameter.label or parameter.key)
            continue
        carried[parameter.key] = str(value)
    return carried, secrets


def _name_free(carried: dict[str, str], *, project: Project | None, product: Product,
               version: ProductVersion, notes: list[str]) -> None:
    if project is None:
        return
    taken = resource_name_errors(project=project, product=product, version=version,
                                 action=Request.Action.CREATE, values=carried)
    for key in taken:
        notes.append(NAME_NOT_CARRIED.format(key=key, name=carried.pop(key)))


def values_from_product_page(*, data: Any, parameters: list[EffectiveParameter],
                             project: Project | None, product: Product,
                             version: ProductVersion) -> FormStart:
    """The product page's form values (a QueryDict: a multi-select's items joined by commas)."""
    values: dict[str, str] = {}
    for parameter in parameters:
        if parameter.key in data:
            values[parameter.key] = (",".join(data.getlist(parameter.key))
                                     if is_list_type(parameter.parameter_type)
                                     and hasattr(data, "getlist") else str(data[parameter.key]))
    carried, secrets = _carryable(parameters, values)
    notes: list[str] = []
    # A typed secret is dropped, said so only when something was typed.
    if any(str(values.get(p.key) or "") for p in parameters if p.no_echo and not p.hidden):
        notes.append(SECRETS_NOT_CARRIED.format(keys=", ".join(secrets)))
    _name_free(carried, project=project, product=product, version=version, notes=notes)
    return FormStart(parameters=carried, notes=notes)


def request_own(*, user: User, ref: str, product: Product) -> Request | None:
    """The user's own request of ``product`` that ``ref`` names; None for anything else (someone
    else's request is not told apart from one that does not exist)."""
    try:
        pk = uuid.UUID(str(ref))
    except ValueError:
        return None
    return my_requests(user=user).filter(pk=pk, product=product).first()


def values_from_request(*, source: Request, parameters: list[EffectiveParameter],
                        projects: Any, product: Product, version: ProductVersion) -> FormStart:
    """An earlier request's values, for a new environment of the same product."""
    carried, secrets = _carryable(parameters, source.parameters or {})
    notes = [f"Starting from the values of request {source.reference}."]
    if secrets:
        notes.append(SECRETS_NOT_CARRIED.format(keys=", ".join(secrets)))
    project = next((p for p in projects if p.pk == source.project_id), None)
    _name_free(carried, project=project, product=product, version=version, notes=notes)
    return FormStart(parameters=carried, project_slug=project.slug if project else "",
                     tag_choices={str(k): str(v) for k, v in (source.tag_choices or {}).items()},
                     justification=source.justification, notes=notes, source=source)
