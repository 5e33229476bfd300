"""The demo's quotas (``manage.py seed_demo_quotas``): what a data scientist may run at once.

Granted to the demo's IdP group `data-scientists` (portal/devidp/demo_users.yaml), so the
dashboard and the request form show Dana and Sam their usage against each limit before they ask.
The figures leave room for the demo journey (one GPU notebook, then a Studio profile and a
SageMaker project) and refuse a second GPU notebook.
"""

from __future__ import annotations

from decimal import Decimal

from django.contrib.auth.models import Group
from django.db import transaction

from portal.services import audit_record
from quotas.models import Measure, UserQuota

DEMO_GROUP = "data-scientists"
DEMO_ALLOWANCES = {
    Measure.RUNNING: Decimal("4"),
    Measure.GPU: Decimal("1"),
    Measure.CREDITS: Decimal("200"),  # USD a day: one ml.p3.2xlarge (91.80) and more besides
}


@transaction.atomic
def demo_quotas_seed() -> list[str]:
    """Grant the demo allowances to the data scientists' group where that measure has none yet
    (an admin's own figures are never changed). Returns what was created."""
    group = Group.objects.get_or_create(name=DEMO_GROUP)[0]
    created: list[str] = []
    for measure, amount in DEMO_ALLOWANCES.items():
        if UserQuota.objects.filter(measure=measure, group=group).exists():
            continue
        quota = UserQuota.objects.create(measure=measure, group=group, amount=amount)
        audit_record(action="userquota.created", obj=quota, actor_username="seed_demo_quotas",
                     data={"measure": measure.value, "amount": str(amount), "group": group.name})
        created.append(str(quota))
    return created
