"""Demo prices for `make demo`: the fake AWS is not a pricing API, so the demo seeds the table.

On-demand SageMaker prices in US dollars per hour (public list prices, rounded). Platform admins
keep them under "Manage catalog → Prices"; the seed only adds rows that are missing.
"""

from __future__ import annotations

from decimal import Decimal

from django.db import transaction

from catalog.models import InstancePrice
from portal.models import Project
from portal.services import audit_record

DEMO_PRICES: dict[str, Decimal] = {
    "ml.t3.medium": Decimal("0.0500"),
    "ml.m5.xlarge": Decimal("0.2300"),
    "ml.c5.xlarge": Decimal("0.2040"),
    "ml.p3.2xlarge": Decimal("3.8250"),
}


@transaction.atomic
def demo_prices_seed() -> list[str]:
    """Add the demo prices missing in every region a project uses; say what was added.

    A price already in the table (the platform team's) is never changed.
    """
    added: list[str] = []
    regions = sorted(set(Project.objects.values_list("aws_region", flat=True)))
    for region in regions:
        known = set(InstancePrice.objects.filter(region=region)
                    .values_list("instance_type", flat=True))
        for instance_type, usd_per_hour in sorted(DEMO_PRICES.items()):
            if instance_type in known:
                continue
            price = InstancePrice.objects.create(instance_type=instance_type, region=region,
                                                 usd_per_hour=usd_per_hour)
            audit_record(action="catalog.price_set", obj=price,
                         data={"instance_type": instance_type, "region": region,
                               "before": None, "after": str(usd_per_hour),
                               "source": "seed_demo_prices"})
            added.append(f"{region} {instance_type} {usd_per_hour} USD/h")
    return added
