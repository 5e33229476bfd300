"""What the platform team deploys in every project account: VPC, subnets, security group, KMS
key and alias, a Studio domain, the roles, and the CloudFormation exports templates import.

Ids are derived from account and region so every process computes the same ones.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from django.db import IntegrityError, transaction

from fakeaws import clock
from fakeaws.catalog.definition import catalog_load
from fakeaws.models import AccountRegion, CostAllocationTag, StudioDomain


def _hex(*parts: str, length: int) -> str:
    return hashlib.sha256("/".join(parts).encode()).hexdigest()[:length]


@dataclass(frozen=True)
class Baseline:
    account: str
    region: str
    vpc_id: str
    vpc_cidr: str
    subnets: list[dict[str, str]]    # SubnetId, AvailabilityZone, CidrBlock
    security_groups: list[dict[str, str]]  # GroupId, GroupName, Description
    kms_key_id: str
    kms_key_arn: str
    kms_alias: str
    domain_id: str
    domain_name: str
    studio_execution_role_arn: str
    notebook_execution_role_arn: str
    project_role_arn: str
    project_role_external_id: str
    launch_role_arn: str
    exports: dict[str, str]


def baseline_for(*, account: str, region: str) -> Baseline:
    spec = catalog_load().baseline
    vpc_id = "vpc-" + _hex(account, region, "vpc", length=17)
    subnets = [{"SubnetId": "subnet-" + _hex(account, region, s["az"], length=17),
                "AvailabilityZone": f"{region}{s['az']}", "CidrBlock": s["cidr"]}
               for s in spec.get("subnets", [])]
    groups = [{"GroupId": "sg-" + _hex(account, region, g["name"], length=17),
               "GroupName": g["name"], "Description": g.get("description", "")}
              for g in spec.get("security_groups", [])]
    # KMS key ids are UUIDs (KMS docs: "key ID ... 1234abcd-12ab-34cd-56ef-1234567890ab").
    h = _hex(account, region, "kms", length=32)
    key_id = f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"
    domain_id = "d-" + _hex(account, region, "domain", length=12)
    role = f"arn:aws:iam::{account}:role/"
    values = {
        "account": account, "region": region, "domain_id": domain_id, "vpc_id": vpc_id,
        "subnet_ids": ",".join(s["SubnetId"] for s in subnets),
        "security_group_id": groups[0]["GroupId"] if groups else "",
        "kms_key_arn": f"arn:aws:kms:{region}:{account}:key/{key_id}",
        "studio_execution_role_arn": role + spec.get("studio_execution_role", ""),
        "notebook_execution_role_arn": role + spec.get("notebook_execution_role", ""),
    }
    project_role = spec.get("project_role", {})
    return Baseline(
        account=account, region=region, vpc_id=vpc_id, vpc_cidr=spec.get("vpc_cidr", ""),
        subnets=subnets, security_groups=groups, kms_key_id=key_id,
        kms_key_arn=values["kms_key_arn"], kms_alias=spec.get("kms_alias", "alias/ml"),
        domain_id=domain_id, domain_name=spec.get("studio_domain_name", "ml-platform"),
        studio_execution_role_arn=values["studio_execution_role_arn"],
        notebook_execution_role_arn=values["notebook_execution_role_arn"],
        project_role_arn=role + project_role.get("name", "ml-portal-provisioning"),
        project_role_external_id=project_role.get("external_id", ""),
        launch_role_arn=role + spec.get("launch_role", "ServiceCatalogLaunchRole"),
        exports={k: str(v).format(**values) for k, v in spec.get("exports", {}).items()},
    )


def baseline_ensure(*, account: str, region: str) -> Baseline:
    """The baseline, materialised in the database the first time the pair is touched."""
    base = baseline_for(account=account, region=region)
    if AccountRegion.objects.filter(account=account, region=region).exists():
        return base
    try:
        with transaction.atomic():
            AccountRegion.objects.create(account=account, region=region, first_seen=clock.now())
            StudioDomain.objects.create(
                account=account, region=region, domain_id=base.domain_id, name=base.domain_name,
                arn=f"arn:aws:sagemaker:{region}:{account}:domain/{base.domain_id}",
                vpc_id=base.vpc_id, subnet_ids=[s["SubnetId"] for s in base.subnets],
                execution_role=base.studio_execution_role_arn, kms_key_id=base.kms_key_arn,
                created_at=clock.now(),
            )
            # The platform team activated these as cost-allocation tags in Billing before the
            # first project used the account (Cost Explorer groups by a tag only once active).
            CostAllocationTag.objects.bulk_create(
                [CostAllocationTag(account=account, key=str(key), status="Active",
                                   updated_at=clock.now())
                 for key in catalog_load().baseline.get("cost_allocation_tags", [])],
                ignore_conflicts=True)
    except IntegrityError:
        pass  # another process got there first; the rows are the same
    return base
