"""The quota checks, registered with approvals (request time) and provisioning (provision, start).

Each check locks what it counts against before counting (the project row, then the person's row;
PostgreSQL ``FOR NO KEY UPDATE``, which leaves inserts that reference them alone; SQLite has one
writer at a time), so two requests racing for a last unit are serialised: the second counts the
first. A refusal says what the limit is, where it comes from, what counts against it and what
the request would add; nothing is written.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from approvals.models import Request
from approvals.services import RequestToCheck
from catalog.selectors import INSTANCE_TYPE_PARAMETER
from portal.models import Project, User
from provisioning.guards import PHASE_PROVISION, PHASE_START, PHASE_UPDATE
from provisioning.models import Environment
from quotas.limits import Limit, project_limits, user_limits
from quotas.models import Measure
from quotas.usage import RUNNING, Consumption, consumption_of, counted, prices_for, usage_total

WHAT_COUNTS = {
    "user": "your environments that are running (queued, provisioning, available, starting, "
            "stopping or updating; not stopped, failed or terminated) and your requests not "
            "provisioned yet",
    "project": "the project's running environments and its requests not provisioned yet",
}
MORE = "Stop or terminate an environment, or ask a platform admin for a larger quota."


def amount_text(measure: str, value: Decimal) -> str:
    return f"{value:.2f}" if measure == Measure.CREDITS else str(int(value))


def _adds(measure: str, item: Consumption) -> Decimal:
    if measure == Measure.RUNNING:
        return Decimal(item.running)
    if measure == Measure.GPU:
        return Decimal(item.gpu)
    return item.credits or Decimal("0")


def _subject(scope: str, project: Project) -> str:
    return "Your quota" if scope == "user" else f"The quota of project {project.slug}"


def _message(*, scope: str, project: Project, limit: Limit, used: Decimal, item: Consumption,
             region: str) -> str:
    m = limit.measure
    what = item.instance_type or "environment"
    granted = f" (granted to: {', '.join(limit.sources)})" if scope == "user" and limit.sources \
        else (" (none of your groups is granted any)" if scope == "user" else "")
    added = amount_text(m, _adds(m, item))
    how = f" (its price × 24 h in {region})" if m == Measure.CREDITS else ""
    return (f"{_subject(scope, project)} of {limit.label.lower()} is "
            f"{amount_text(m, limit.amount)}{granted}; {amount_text(m, used)} already counts "
            f"against it ({WHAT_COUNTS[scope]}), and this {what} would add {added}{how}. {MORE}")


def quota_refusals(*, owner: User, project: Project, instance_type: str,
                   replacing: str | None = None, exclude_environment: object = None,
                   ) -> list[str]:
    """Why one more environment of ``instance_type`` ("" for none) for ``owner`` in ``project``
    would exceed a quota; empty when it fits. Exactly at the limit is allowed.

    ``replacing`` is the instance type of the running environment a change replaces
    (``exclude_environment``, left out of the count): a measure the change does not increase is
    not checked, so a change never fails for a quota lowered meanwhile unless it asks for more.
    """
    scopes = [(s, limits) for s, limits in (("user", user_limits(user=owner)),
                                             ("project", project_limits(project=project)))
              if limits]
    if not scopes:
        return []
    for model, pk in ((Project, project.pk), (User, owner.pk)):
        list(model.objects.select_for_update(no_key=True).filter(pk=pk)
             .values_list("pk", flat=True))
    refusals: list[str] = []
    for scope, limits in scopes:
        where = {"owner_id": owner.pk} if scope == "user" else {"project_id": project.pk}
        items = counted(**where, exclude_environment=exclude_environment)
        prices = prices_for({project.aws_region, *(i.region for i in items)})
        item = _taking(instance_type, project, prices)
        before = None if replacing is None else _taking(replacing, project, prices)
        used = usage_total(items, prices=prices)
        for measure, limit in limits.items():
            unpriced = measure == Measure.CREDITS and item.credits is None
            if before is not None and not unpriced \
                    and _adds(measure, item) <= _adds(measure, before):
                continue
            if unpriced:
                refusals.append(
                    f"{item.instance_type} has no price in the portal's price table for "
                    f"{project.aws_region}, so its daily credits cannot be counted against "
                    f"{_subject(scope, project).lower()} of daily credits "
                    f"({amount_text(measure, limit.amount)} USD/day). Ask a platform admin to "
                    "add its price, or choose a priced instance type.")
            elif used.of(measure) + _adds(measure, item) > limit.amount:
                refusals.append(_message(scope=scope, project=project, limit=limit,
                                         used=used.of(measure), item=item,
                                         region=project.aws_region))
    return refusals


def _taking(instance_type: str, project: Project, prices: Mapping[tuple[str, str], Decimal]
            ) -> Consumption:
    return consumption_of(parameters={INSTANCE_TYPE_PARAMETER: instance_type},
                          region=project.aws_region, prices=prices)


def _instance_type(parameters: Mapping[str, Any] | None) -> str:
    return str((parameters or {}).get(INSTANCE_TYPE_PARAMETER) or "").strip()


def request_quota_check(request: RequestToCheck) -> list[str]:
    """Request time: a new environment counts in full; a change of a running one counts what it
    adds; a terminate, or a change of a stopped one (checked when it starts), counts nothing."""
    if request.action == Request.Action.CREATE:
        return quota_refusals(owner=request.requester, project=request.project,
                              instance_type=_instance_type(request.values))
    if request.action != Request.Action.UPDATE:
        return []
    try:
        pk = uuid.UUID(str(request.environment_ref))
    except ValueError:
        return []
    environment = Environment.objects.filter(pk=pk, status__in=RUNNING).first()
    if environment is None:
        return []
    wanted = {**(environment.parameters or {}), **dict(request.values)}
    return quota_refusals(owner=environment.owner, project=request.project,
                          instance_type=_instance_type(wanted),
                          replacing=_instance_type(environment.parameters),
                          exclude_environment=environment.pk)


def environment_quota_check(environment: Environment, phase: str,
                            parameters: Mapping[str, Any]) -> list[str]:
    """At provisioning (before anything is sent to AWS) and at start: the environment counts in
    full against what else runs. Before a change is applied: what it adds, if it runs."""
    replacing = None
    if phase == PHASE_UPDATE:
        if environment.status not in RUNNING:
            return []  # a stopped one is checked when it starts
        replacing = _instance_type(environment.parameters)
    elif phase not in (PHASE_PROVISION, PHASE_START):
        return []
    wanted = {**(environment.parameters or {}), **parameters}
    return quota_refusals(owner=environment.owner, project=environment.project,
                          instance_type=_instance_type(wanted), replacing=replacing,
                          exclude_environment=environment.pk)
