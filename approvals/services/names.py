"""One live resource per name: a new environment may not take a name a live one already has.

A notebook instance or a Studio user profile is named by a parameter (``RESOURCE_NAME_PARAMETERS``)
and AWS refuses a second resource of that name in the account; before this check a double submit
made two requests with one name, both approved, and the second failed at provisioning. A name is
live while a request for it is pending or approved and not yet handed off (checked here), or while
an environment has it and is not terminated (checked by whoever owns environments: provisioning
registers ``live_name_check_register`` from its ``AppConfig.ready()``; approvals never imports it).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from django.db.models import Q

from approvals.models import Request
from catalog.models import Product, ProductVersion
from catalog.parameters import RESOURCE_NAME_PARAMETERS
from portal.models import Project
from portal.registry import Registry

# (project_id, product kind, name parameter, name) -> whether an environment has it and is live.
LiveNameCheck = Callable[[int, str, str, str], bool]
_checks: Registry[LiveNameCheck] = Registry("live name checks")

NAME_TAKEN = ("{key} “{name}” is already used in this project by a request or an environment "
              "that is still live. Choose another name (or terminate that environment first).")


def live_name_check_register(check: LiveNameCheck) -> None:
    """Register how environments answer "is this name live?"; registering twice keeps one."""
    _checks.register(check)


def live_name_checks() -> list[LiveNameCheck]:
    """The registered checks (a copy)."""
    return list(_checks)


def resource_name(*, product: Product, version: ProductVersion,
                  values: Mapping[str, Any]) -> tuple[str, str] | None:
    """The (parameter, name) a new environment of ``product`` would take, or None when the portal
    picks it: an empty name, or the template's default, is replaced at provisioning by the
    provisioned product's own unique name, so it can never collide."""
    key = RESOURCE_NAME_PARAMETERS.get(product.kind)
    if key is None:
        return None
    name = str(values.get(key) or "").strip()
    default = version.parameters.filter(key=key).values_list("default", flat=True).first()
    if not name or name == (default or ""):
        return None
    return key, name


LIVE_REQUEST = (Q(status=Request.Status.PENDING)
                | Q(status=Request.Status.APPROVED, handed_off_at__isnull=True))


def resource_name_errors(*, project: Project, product: Product, version: ProductVersion,
                         action: str, values: Mapping[str, Any]) -> dict[str, list[str]]:
    """Why a new environment may not take the name in ``values``, by parameter; empty when it may.

    Only a create names a new resource (a change keeps its name). Same project, same product kind
    and same name: another product of the kind would create the same AWS resource type.
    """
    if action != Request.Action.CREATE:
        return {}
    named = resource_name(product=product, version=version, values=values)
    if named is None:
        return {}
    key, name = named
    requested = Request.objects.filter(
        LIVE_REQUEST, project=project, product__kind=product.kind,
        action=Request.Action.CREATE, **{f"parameters__{key}": name},
    ).exists()
    if requested or any(check(project.pk, product.kind, key, name) for check in _checks):
        return {key: [NAME_TAKEN.format(key=key, name=name)]}
    return {}
