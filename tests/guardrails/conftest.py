"""Guardrail fixtures: the approvals folder's notebook product with the notebook's network and
access parameters added, and a helper that puts rules in force as a platform admin would."""

from __future__ import annotations

from typing import Any

import pytest

from catalog.models import ParameterSpec, Product
from guardrails.models import GuardrailVersion
from guardrails.rules import Guardrails
from guardrails.services import guardrails_change
from portal.models import User
from tests.approvals.conftest import (  # noqa: F401  (fixtures)
    demo_policies,
    notebook,
    platform_admin,
    prices,
    sent_tasks,
)

SUBNET, OTHER_SUBNET = "subnet-0123456789abcdef0", "subnet-0fedcba9876543210"
GROUP, OTHER_GROUP = "sg-0123456789abcdef0", "sg-0fedcba9876543210"


@pytest.fixture
def governed(request: pytest.FixtureRequest) -> Product:
    """The notebook product with RootAccess, DirectInternetAccess (both may be Enabled by its
    curation), SubnetId and SecurityGroupIds (free text) besides its instance type, volume and
    fixed KMS key."""
    product: Product = request.getfixturevalue("notebook")  # the approvals folder's
    version = product.versions.get(active=True)
    for position, (key, extra) in enumerate([
        ("RootAccess", {"default": "Enabled", "allowed_values": ["Enabled", "Disabled"]}),
        ("DirectInternetAccess", {"default": "Enabled",
                                  "allowed_values": ["Enabled", "Disabled"]}),
        ("SubnetId", {"default": ""}),
        ("SecurityGroupIds", {"default": "", "parameter_type": "CommaDelimitedList"}),
    ], start=10):
        ParameterSpec.objects.create(version=version, key=key, position=position, **extra)
    return product


def safe_values(instance_type: str = "ml.t3.medium", **extra: str) -> dict[str, str]:
    """Values every rule of ``STRICT`` allows (with the product's fixed KMS key)."""
    return {"InstanceType": instance_type, "VolumeSizeInGB": "20", "RootAccess": "Disabled",
            "DirectInternetAccess": "Disabled", "SubnetId": SUBNET, "SecurityGroupIds": GROUP,
            **extra}


STRICT: dict[str, Any] = {
    "instance_types_by_environment": {"dev": ("ml.t3.medium", "ml.m5.xlarge")},
    "kms_key_required": True, "root_access_disabled": True, "direct_internet_disabled": True,
    "network_required": True, "allowed_subnets": (SUBNET,), "allowed_security_groups": (GROUP,),
    "volume_min_gb": 10, "volume_max_gb": 50, "max_lease_days": 14,
}


def put_in_force(admin: User, reason: str = "Tighten for the audit", **rules: Any
                 ) -> GuardrailVersion:
    return guardrails_change(rules=Guardrails(**rules), reason=reason, actor=admin)
