"""What the fake bills: a notebook's runs (InService until it is stopped or deleted) × a fake
on-demand price per instance type. The fake Cost Explorer (``services/ce.py``) answers from these.

SageMaker bills a notebook's ML compute instance while it is InService and stops charging for
it when StopNotebookInstance is called (the storage volume is billed apart: the fake leaves
storage out, so the actuals of a stopped notebook are 0 while the portal's meter counts its
volume — a real, small difference between the two).
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from fakeaws.models import MeteredRun, NotebookInstance, Tag

# Fake on-demand prices (USD per hour), in the range of SageMaker's public notebook prices.
PRICES: dict[str, Decimal] = {
    "ml.t3.medium": Decimal("0.05"), "ml.t3.large": Decimal("0.10"),
    "ml.t3.xlarge": Decimal("0.20"), "ml.m5.large": Decimal("0.115"),
    "ml.m5.xlarge": Decimal("0.23"), "ml.m5.2xlarge": Decimal("0.461"),
    "ml.c5.xlarge": Decimal("0.204"), "ml.g4dn.xlarge": Decimal("0.7364"),
    "ml.g5.xlarge": Decimal("1.408"), "ml.p3.2xlarge": Decimal("3.825"),
}
DEFAULT_PRICE = Decimal("0.25")
UNCHANGED = frozenset({"Updating"})  # an update keeps the instance as it was (running or not)


def price_of(instance_type: str) -> Decimal:
    return PRICES.get(instance_type, DEFAULT_PRICE)


def runs_follow(notebook: NotebookInstance, *, at: datetime) -> None:
    """Open a run when the notebook is running and none is open; close the open one when it is
    not (any more). Call after every status change, with the time the change took effect."""
    open_runs = MeteredRun.objects.filter(resource_arn=notebook.arn, ended_at__isnull=True)
    if notebook.status in UNCHANGED:
        return
    if notebook.status == "InService":
        if not open_runs.exists():
            tags = dict(Tag.objects.filter(resource_arn=notebook.arn)
                        .values_list("key", "value"))
            MeteredRun.objects.create(
                account=notebook.account, region=notebook.region, resource_arn=notebook.arn,
                usage_type=notebook.instance_type, usd_per_hour=price_of(notebook.instance_type),
                tags=tags, started_at=at)
        return
    open_runs.update(ended_at=at)


def runs_end(*, arn: str, at: datetime) -> None:
    """The resource is going away: its open run ends now."""
    MeteredRun.objects.filter(resource_arn=arn, ended_at__isnull=True).update(ended_at=at)
