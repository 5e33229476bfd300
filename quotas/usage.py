"""What counts against a quota, and how much each thing counts (selectors; no writes).

Counted: environments that are running — queued, provisioning, available, starting, stopping or
updating (a stopped, failed, terminating or terminated one runs no instance) — and create
requests not provisioned yet (pending, or approved and not handed off), so two requests racing
for the last unit cannot both pass. A stopped notebook is counted again when it starts, and a
start that would exceed a quota is refused.

Each counts 1 running environment; 1 GPU instance when its instance type is a GPU type
(``is_gpu_instance``); and its daily cost in credits (``daily_credits``). Studio user profiles,
SageMaker projects and products without an ``InstanceType`` parameter choose no instance: they
count as running environments, 0 GPU and 0 credits.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from approvals.models import Request
from approvals.services.names import LIVE_REQUEST
from catalog.models import InstancePrice
from catalog.selectors import INSTANCE_TYPE_PARAMETER
from provisioning.models import Environment

Status = Environment.Status
RUNNING = (Status.QUEUED, Status.PROVISIONING, Status.AVAILABLE, Status.STARTING,
           Status.STOPPING, Status.UPDATING)
HOURS_PER_DAY = 24

# SageMaker instance types read ml.<family><generation>[<attributes>].<size> (ml.p3.2xlarge,
# ml.g4dn.xlarge, ml.m6g.large). The families with NVIDIA GPUs are P (p2, p3, p3dn, p4d, p4de,
# p5, p5e, p5en) and G (g4dn, g5, g6, g6e; gr6 on EC2): the letters before the generation digit
# are "p", "g" or "gr". A "g" *after* the digit is Graviton (ml.m6g, ml.c7g: no GPU). Inferentia
# (inf1, inf2), Trainium (trn1) and Elastic Inference (ml.eia*) are accelerators but not GPUs and
# do not count. (EC2 accelerated computing instance families; the demo's GPU rule uses the same
# ml.p3/ml.g4dn/ml.g5 types.)
_FAMILY = re.compile(r"^ml\.([a-z]+)\d")
GPU_FAMILY_LETTERS = frozenset({"p", "g", "gr"})


def is_gpu_instance(instance_type: str) -> bool:
    """Whether a SageMaker instance type has GPUs (rule above)."""
    match = _FAMILY.match((instance_type or "").strip().lower())
    return bool(match and match.group(1) in GPU_FAMILY_LETTERS)


def daily_credits(*, instance_type: str, region: str,
                  prices: Mapping[tuple[str, str], Decimal]) -> Decimal | None:
    """A product's daily cost: hourly price × 24 of the chosen instance type, in US dollars.

    ``Decimal(0)`` without an instance type (nothing is priced); None when the type has no price
    in the region: it cannot be counted, so a request for it is refused where daily credits are
    limited (``quotas.checks``) and a running one counts 0 and is shown as unpriced.
    """
    if not instance_type:
        return Decimal("0")
    hourly = prices.get((instance_type, region))
    return None if hourly is None else (hourly * HOURS_PER_DAY).quantize(Decimal("0.01"))


@dataclass(frozen=True)
class Consumption:
    """What one environment (or request) takes: running 1, gpu 0/1, credits (None: unpriced)."""

    instance_type: str
    gpu: int
    credits: Decimal | None
    running: int = 1


def consumption_of(*, parameters: Mapping[str, Any] | None, region: str,
                   prices: Mapping[tuple[str, str], Decimal]) -> Consumption:
    instance_type = str((parameters or {}).get(INSTANCE_TYPE_PARAMETER) or "").strip()
    return Consumption(instance_type=instance_type, gpu=int(is_gpu_instance(instance_type)),
                       credits=daily_credits(instance_type=instance_type, region=region,
                                             prices=prices))


def prices_for(regions: Iterable[str]) -> dict[tuple[str, str], Decimal]:
    """The price table of those regions, keyed by (instance type, region): one query."""
    rows = InstancePrice.objects.filter(region__in=set(regions)).values_list(
        "instance_type", "region", "usd_per_hour")
    return {(t, r): hourly for t, r, hourly in rows}


@dataclass(frozen=True)
class Usage:
    """A total over the things that count: running environments, GPU instances, credits."""

    running: int = 0
    gpu: int = 0
    credits: Decimal = Decimal("0")
    unpriced: int = 0

    def plus(self, item: Consumption) -> Usage:
        return Usage(running=self.running + item.running, gpu=self.gpu + item.gpu,
                     credits=self.credits + (item.credits or Decimal("0")),
                     unpriced=self.unpriced + (item.credits is None))

    def of(self, measure: str) -> Decimal:
        values = {"running_environments": Decimal(self.running),
                  "gpu_instances": Decimal(self.gpu), "daily_credits": self.credits}
        return values[measure]


@dataclass(frozen=True)
class Counted:
    """One thing that counts: an environment or a request not provisioned yet."""

    parameters: Mapping[str, Any]
    region: str
    project_id: int = 0


def counted(*, owner_id: int | None = None, project_id: int | None = None,
            exclude_environment: Any = None) -> list[Counted]:
    """What counts for a person (``owner_id``) or a project (``project_id``): two queries."""
    where: dict[str, int | None] = {"owner_id": owner_id} if owner_id is not None \
        else {"project_id": project_id}
    environments = Environment.objects.filter(status__in=RUNNING, **where)
    if exclude_environment is not None:
        environments = environments.exclude(pk=exclude_environment)
    asked: dict[str, int | None] = {"requester_id": owner_id} if owner_id is not None \
        else {"project_id": project_id}
    requests = _not_provisioned(Request.objects.filter(LIVE_REQUEST, **asked))
    return _rows(environments, requests)


def counted_in_projects(project_ids: Iterable[int]) -> dict[int, list[Counted]]:
    """What counts for each of these projects, in two queries whatever their number."""
    ids = list(project_ids)
    found: dict[int, list[Counted]] = {pk: [] for pk in ids}
    if not ids:
        return found
    items = _rows(Environment.objects.filter(status__in=RUNNING, project_id__in=ids),
                  _not_provisioned(Request.objects.filter(LIVE_REQUEST, project_id__in=ids)))
    for item in items:
        found[item.project_id].append(item)
    return found


def _not_provisioned(requests: Any) -> Any:
    """Create requests without an environment yet (one that has one counts as the environment,
    even in the moment between its creation and the request's hand-off mark)."""
    return requests.filter(action=Request.Action.CREATE, provisioned_environment__isnull=True)


def _rows(environments: Any, requests: Any) -> list[Counted]:
    fields = ("parameters", "project__aws_region", "project_id")
    rows = [*environments.values_list(*fields), *requests.values_list(*fields)]
    return [Counted(parameters=p or {}, region=r, project_id=pid) for p, r, pid in rows]


def usage_total(items: Iterable[Counted], *, prices: Mapping[tuple[str, str], Decimal]) -> Usage:
    total = Usage()
    for item in items:
        total = total.plus(consumption_of(parameters=item.parameters, region=item.region,
                                          prices=prices))
    return total
