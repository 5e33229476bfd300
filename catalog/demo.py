"""Demo curation for `make demo`, after the sync: what a platform team sets up once.

- Prices: the fake AWS, like Service Catalog, is not a pricing API, so the demo seeds on-demand
  SageMaker prices in US dollars per hour (public list prices, rounded). Admins keep them under
  "Manage catalog → Prices"; the seed only adds rows that are missing.
- Network and encryption: the demo templates ask for the subnet, security groups and KMS key of
  the project account. The platform team fixes them per product (hidden, fixed parameters) with
  the values read from the account itself (EC2 DescribeSubnets/DescribeSecurityGroups, KMS
  ListAliases through the project's role), so requesters never type ids.
- Renaming a notebook: the platform team lets a change request rename a notebook instance
  (``on_change`` "replace" on NotebookInstanceName). CloudFormation replaces a notebook whose
  name changes (NotebookInstanceName is a create-only property), so the demo's change preview
  shows its approver a replacement, in red and in words.
"""

from __future__ import annotations

from decimal import Decimal

from django.db import transaction

from catalog.idle import IDLE_FIELDS
from catalog.models import InstancePrice, ParameterOverride, ParameterSpec, Product, StoragePrice
from portal.aws import aws_client
from portal.models import Project
from portal.services import audit_record

DEMO_PRICES: dict[str, Decimal] = {
    "ml.t3.medium": Decimal("0.0500"),
    "ml.m5.xlarge": Decimal("0.2300"),
    "ml.c5.xlarge": Decimal("0.2040"),
    "ml.p3.2xlarge": Decimal("3.8250"),
}
# Demo figures (the platform team sets real ones): ML storage per GB-month, near AWS's list price.
DEMO_STORAGE_GB_MONTH = Decimal("0.14")
DEMO_SAGEMAKER_PROJECT_MONTHLY = Decimal("25.00")


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
        if not StoragePrice.objects.filter(region=region).exists():
            storage = StoragePrice.objects.create(region=region,
                                                  usd_per_gb_month=DEMO_STORAGE_GB_MONTH)
            audit_record(action="catalog.storage_price_set", obj=storage,
                         data={"region": region, "before": None,
                               "after": str(DEMO_STORAGE_GB_MONTH),
                               "source": "seed_demo_prices"})
            added.append(f"{region} ML storage {DEMO_STORAGE_GB_MONTH} USD/GB-month")
    # The demo's SageMaker project runs no SageMaker instance (a repository, a build project, a
    # bucket): the platform team gives it a flat monthly figure instead.
    projects = Product.objects.filter(kind=Product.Kind.SAGEMAKER_PROJECT,
                                      flat_monthly_usd__isnull=True, estimate_instance_types=[])
    for product in projects:
        product.flat_monthly_usd = DEMO_SAGEMAKER_PROJECT_MONTHLY
        product.save(update_fields=["flat_monthly_usd", "updated_at"])
        audit_record(action="catalog.product_estimate_set", obj=product,
                     data={"before": {"flat_monthly_usd": None}, "after": {
                         "flat_monthly_usd": str(DEMO_SAGEMAKER_PROJECT_MONTHLY)},
                         "source": "seed_demo_prices"})
        added.append(f"{product.name}: flat {DEMO_SAGEMAKER_PROJECT_MONTHLY} USD/month")
    added.extend(_demo_idle_seed())
    return added


def _demo_idle_seed() -> list[str]:
    """The demo's Studio profiles get the portal's idle shutdown through the template's own
    parameters (named like the IdleSettings fields, IdleShutdown for LifecycleManagement)."""
    names = {"LifecycleManagement": "IdleShutdown",
             **{field: field for field in IDLE_FIELDS if field != "LifecycleManagement"}}
    added = []
    for product in Product.objects.filter(kind=Product.Kind.STUDIO_USER_PROFILE,
                                          idle_parameters={}):
        keys = set(product.versions.filter(retired_at__isnull=True)
                   .values_list("parameters__key", flat=True))
        mapping = {field: key for field, key in names.items() if key in keys}
        if not mapping:
            continue
        product.idle_parameters = mapping
        product.save(update_fields=["idle_parameters", "updated_at"])
        audit_record(action="catalog.product_updated", obj=product,
                     data={"idle_parameters": {"before": {}, "after": mapping},
                           "source": "seed_demo_prices"})
        added.append(f"{product.name}: idle shutdown through {', '.join(sorted(mapping))}")
    return added


# Template parameters the platform team fixes from the account's own resources.
NETWORK_KEYS = ("SubnetId", "SecurityGroupIds", "KmsKeyId", "ExecutionRoleArn")


def _account_values(project: Project) -> dict[str, str]:
    """The first private subnet, the non-default security groups and the first customer key
    alias of the project's account (what the platform baseline deployed there)."""
    ec2 = aws_client("ec2", project=project)
    kms = aws_client("kms", project=project)
    subnets = sorted(s["SubnetId"] for s in ec2.describe_subnets()["Subnets"])
    groups = sorted(g["GroupId"] for g in ec2.describe_security_groups()["SecurityGroups"]
                    if g.get("GroupName") != "default")
    # alias/aws/… are AWS-managed keys; a governed notebook uses the platform's own key.
    aliases = sorted(a["AliasName"] for a in kms.list_aliases()["Aliases"]
                     if not a["AliasName"].startswith("alias/aws/"))
    found = {"SubnetId": subnets[0] if subnets else "",
             "SecurityGroupIds": ",".join(groups),
             "KmsKeyId": aliases[0] if aliases else "",
             # The Studio apps' role the demo accounts' platform baseline deploys (by that name).
             "ExecutionRoleArn": f"arn:aws:iam::{project.aws_account_id}:role/"
                                 "SageMakerStudioExecution"}
    return {key: value for key, value in found.items() if value}


@transaction.atomic
def demo_network_seed() -> list[str]:
    """Fix the network and encryption parameters of every synced product that asks for them,
    per account and region, unless the platform team already curated that parameter."""
    done: list[str] = []
    values_by_target: dict[tuple[str, str], dict[str, str]] = {}
    products = Product.objects.filter(retired_at__isnull=True).order_by("aws_account_id", "name")
    for product in products:
        keys = set(ParameterSpec.objects.filter(
            version__product=product, key__in=NETWORK_KEYS, retired_at__isnull=True,
        ).values_list("key", flat=True))
        keys -= set(ParameterOverride.objects.filter(product=product)
                    .values_list("key", flat=True))
        if not keys:
            continue
        target = (product.aws_account_id, product.aws_region)
        if target not in values_by_target:
            # A project with a role reaches the account as in AWS; without one the portal's own.
            project = (Project.objects.filter(aws_account_id=target[0], aws_region=target[1])
                       .order_by("-aws_role_arn", "slug").first())
            values_by_target[target] = _account_values(project) if project else {}
        values = values_by_target[target]
        for key in sorted(keys):
            if key not in values:
                continue
            override = ParameterOverride.objects.create(
                product=product, key=key, hidden=True, fixed_value=values[key],
                label=key, help_text="Set by the platform team for the project account.")
            audit_record(action="catalog.parameter_override_set", obj=product,
                         data={"key": key, "hidden": True, "fixed_value": override.fixed_value,
                               "source": "seed_demo_catalog"})
            done.append(f"{product.aws_account_id}/{product.aws_region} {product.name}: "
                        f"{key} fixed")
    return done


RENAMABLE_KEY = "NotebookInstanceName"


def demo_rename_seed() -> list[str]:
    """Let change requests rename the demo's notebooks, unless that parameter is curated."""
    done: list[str] = []
    products = Product.objects.filter(retired_at__isnull=True).order_by("aws_account_id", "name")
    for product in products:
        if not ParameterSpec.objects.filter(version__product=product, key=RENAMABLE_KEY,
                                            retired_at__isnull=True).exists():
            continue
        if ParameterOverride.objects.filter(product=product, key=RENAMABLE_KEY).exists():
            continue
        ParameterOverride.objects.create(
            product=product, key=RENAMABLE_KEY, on_change="replace",
            help_text="Renaming replaces the notebook: its storage volume is deleted.")
        audit_record(action="catalog.parameter_override_set", obj=product,
                     data={"key": RENAMABLE_KEY, "on_change": "replace",
                           "source": "seed_demo_catalog"})
        done.append(f"{product.aws_account_id}/{product.aws_region} {product.name}: "
                    f"{RENAMABLE_KEY} may change (replaces the notebook)")
    return done
