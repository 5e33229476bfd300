"""The guardrail checks: registered with approvals (request time), provisioning (before
ProvisionProduct, UpdateProvisionedProduct and StartNotebookInstance), and catalog (the request
form's choices and the lease maximum). A refusal names the rule, the value and what is allowed;
nothing is written."""

from __future__ import annotations

import math
import uuid
from collections.abc import Mapping
from typing import Any

from django.utils import timezone

from approvals.models import Request
from approvals.services import RequestToCheck
from catalog.leases import LeaseCap
from catalog.models import Product
from catalog.parameters import EffectiveParameter
from guardrails.rules import Subject, Violation, parameters_narrowed, violations
from guardrails.services import guardrails_in_force
from portal.models import Project
from provisioning.guards import PHASE_PROVISION, PHASE_START, PHASE_UPDATE
from provisioning.models import Environment

REFUSED = "Ask a platform admin if the guardrail should allow it."


def guardrail_refusals(*, product: Product, project: Project, parameters: Mapping[str, Any],
                       lease_days: int | None = None) -> list[str]:
    """Why the guardrails in force refuse ``parameters`` for ``product`` in ``project``."""
    in_force = guardrails_in_force()
    if in_force is None:
        return []
    subject = Subject(kind=product.kind, product_id=product.product_id,
                      project_environment=project.environment, parameters=parameters,
                      lease_days=lease_days)
    return [f"{v.message} {REFUSED}" for v in violations(in_force.rules, subject,
                                                          version=in_force.version)]


def _environment(request: RequestToCheck) -> Environment | None:
    try:
        pk = uuid.UUID(str(request.environment_ref))
    except ValueError:
        return None
    return Environment.objects.filter(pk=pk, project=request.project).first()


def lease_after_extension(environment: Environment, days: int) -> int | None:
    """The lease left, in whole days from now, once extended by ``days`` (None: no lease)."""
    if environment.expires_at is None:
        return None
    left = (environment.expires_at - timezone.now()).total_seconds() / 86400
    return max(0, math.ceil(left)) + days


def request_guardrail_check(request: RequestToCheck) -> list[str]:
    """Request time: a new environment's values and lease; a change's values as they would be
    (the environment's with the change's over them); an extension's resulting lease."""
    if request.action == Request.Action.CREATE:
        return guardrail_refusals(product=request.product, project=request.project,
                                  parameters=request.values, lease_days=request.lease_days)
    environment = _environment(request)
    if environment is None:
        return []
    if request.action == Request.Action.UPDATE:
        wanted = {**(environment.parameters or {}), **dict(request.values)}
        return guardrail_refusals(product=request.product, project=request.project,
                                  parameters=wanted)
    if request.action == Request.Action.EXTEND and request.lease_days is not None:
        # Only the lease rule: the environment's values are checked when it changes or starts.
        in_force = guardrails_in_force()
        lease = lease_after_extension(environment, request.lease_days)
        if in_force is None or in_force.rules.max_lease_days is None or lease is None \
                or lease <= in_force.rules.max_lease_days:
            return []
        violation = Violation(rule="maximum lease", key="lease after the extension",
                              value=f"{lease} days",
                              allowed=f"at most {in_force.rules.max_lease_days} days",
                              version=in_force.version)
        return [f"{violation.message} {REFUSED}"]
    return []


def environment_guardrail_check(environment: Environment, phase: str,
                                parameters: Mapping[str, Any]) -> list[str]:
    """Before AWS is called: provisioning (values and the origin request's lease), applying a
    change (the values it would leave), starting a stopped notebook (its values)."""
    if phase not in (PHASE_PROVISION, PHASE_UPDATE, PHASE_START):
        return []
    wanted = {**(environment.parameters or {}), **parameters}
    lease = environment.origin_request.lease_days if phase == PHASE_PROVISION else None
    return guardrail_refusals(product=environment.product, project=environment.project,
                              parameters=wanted, lease_days=lease)


def form_guardrail_narrowing(parameters: list[EffectiveParameter], product: Product,
                             project: Project) -> list[EffectiveParameter]:
    """The request form's parameters, no looser than the guardrails in force."""
    in_force = guardrails_in_force()
    if in_force is None:
        return parameters
    return parameters_narrowed(in_force.rules, parameters, kind=product.kind,
                               product_id=product.product_id,
                               project_environment=project.environment)


def lease_guardrail_cap() -> LeaseCap | None:
    """The guardrails' maximum lease as a cap, with the rule named for the lease field's
    message: the version in force is read once per computation of lease terms (a cap reader,
    ``catalog.leases``), not once per environment."""
    in_force = guardrails_in_force()
    if in_force is None or in_force.rules.max_lease_days is None:
        return None
    cap = (in_force.rules.max_lease_days,
           f"guardrail “maximum lease” (version {in_force.version})")

    def guardrail_cap(product: Product, project: Project | None, /) -> tuple[int, str]:
        return cap

    return guardrail_cap
