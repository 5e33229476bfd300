"""The demo's approval policies (issue 4), created once and then left to the platform team."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.contrib.auth.models import Group
from django.db import transaction

from approvals.models import ApprovalPolicy, ApprovalRule, ApprovalStep
from catalog.models import Product

DEMO_POLICY_NAME = "Demo: SageMaker environments"
PLATFORM_ADMINS = "ml-platform-admins"
GPU_INSTANCE_TYPES = [
    "ml.p3.2xlarge", "ml.p3.8xlarge", "ml.p3.16xlarge", "ml.p3dn.24xlarge", "ml.p4d.24xlarge",
    "ml.g4dn.xlarge", "ml.g4dn.2xlarge", "ml.g4dn.4xlarge", "ml.g4dn.8xlarge",
    "ml.g4dn.12xlarge", "ml.g4dn.16xlarge", "ml.g5.xlarge", "ml.g5.2xlarge", "ml.g5.4xlarge",
    "ml.g5.8xlarge", "ml.g5.12xlarge", "ml.g5.16xlarge", "ml.g5.24xlarge", "ml.g5.48xlarge",
]
CPU_AUTO_APPROVE_BELOW = Decimal("150")
REMIND_AFTER = timedelta(days=1)
ESCALATE_AFTER = timedelta(days=3)
SHORT_EXTENSION_DAYS = 7


def _step(rule: ApprovalRule, position: int, name: str, approvers: str,
          group: Group | None = None) -> None:
    admins = Group.objects.get_or_create(name=settings.PORTAL_APPROVAL_FALLBACK_GROUP)[0]
    ApprovalStep.objects.create(
        rule=rule, position=position, name=name, approvers=approvers, group=group,
        required_approvals=1, remind_after=REMIND_AFTER, escalate_after=ESCALATE_AFTER,
        escalation_group=admins,
    )


@transaction.atomic
def demo_policies_seed() -> list[str]:
    """Create the demo policy unless a policy of that name exists (then change nothing)."""
    if ApprovalPolicy.objects.filter(name=DEMO_POLICY_NAME).exists():
        return []
    admins = Group.objects.get_or_create(name=PLATFORM_ADMINS)[0]
    policy = ApprovalPolicy.objects.create(
        name=DEMO_POLICY_NAME, position=0,
        description="GPU notebooks need the manager and the platform team; cheap CPU notebooks "
                    "are approved at once; Studio profiles need a project lead; SageMaker "
                    "projects need a project lead and the platform team; lease extensions of "
                    "a week or less are approved at once, longer ones by the manager.",
    )
    kind = Product.Kind
    # Lease extensions first (the rules below match every action): a week or less at once,
    # longer ones by the requester's manager.
    ApprovalRule.objects.create(
        policy=policy, position=0, name=f"Lease extensions of up to {SHORT_EXTENSION_DAYS} days",
        actions=["extend"], lease_days_at_most=SHORT_EXTENSION_DAYS, auto_approve=True,
    )
    extension = ApprovalRule.objects.create(
        policy=policy, position=1, name="Lease extensions", actions=["extend"])
    _step(extension, 0, "Requester's manager", ApprovalStep.Approvers.MANAGER)
    gpu = ApprovalRule.objects.create(
        policy=policy, position=2, name="GPU notebooks", product_kind=kind.NOTEBOOK_INSTANCE,
        parameter_key="InstanceType", parameter_values=GPU_INSTANCE_TYPES,
    )
    _step(gpu, 0, "Requester's manager", ApprovalStep.Approvers.MANAGER)
    _step(gpu, 1, "Platform admin", ApprovalStep.Approvers.GROUP, admins)
    ApprovalRule.objects.create(
        policy=policy, position=3, name=f"CPU notebooks under ${CPU_AUTO_APPROVE_BELOW}/month",
        product_kind=kind.NOTEBOOK_INSTANCE, cost_below=CPU_AUTO_APPROVE_BELOW, auto_approve=True,
    )
    studio = ApprovalRule.objects.create(
        policy=policy, position=4, name="Studio user profiles",
        product_kind=kind.STUDIO_USER_PROFILE,
    )
    _step(studio, 0, "Project lead", ApprovalStep.Approvers.PROJECT_LEADS)
    mlops = ApprovalRule.objects.create(
        policy=policy, position=5, name="SageMaker projects", product_kind=kind.SAGEMAKER_PROJECT,
    )
    _step(mlops, 0, "Project lead", ApprovalStep.Approvers.PROJECT_LEADS)
    _step(mlops, 1, "Platform admin", ApprovalStep.Approvers.GROUP, admins)
    return [f"approval policy {DEMO_POLICY_NAME!r} with {policy.rules.count()} rules"]
