"""A fleet of settled notebook environments, made in bulk: the portal's rows and the fake AWS's
provisioned products and notebook instances behind them (for reconcile tests and its benchmark).

Projects of one account share the fake's baseline role in that account, as projects sharing an
account do in a real set-up.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import timedelta

from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from approvals.models import Request
from catalog.models import Product, ProductVersion
from fakeaws.models import NotebookInstance, ProvisionedProduct
from portal.models import Project, User
from provisioning.models import Environment

REGION = "eu-west-1"
ROLE_NAME = "ml-portal-provisioning"
EXTERNAL_ID = "ml-portal-demo-external-id"  # the fake's baseline role (tests/conftest.py)


@dataclass
class Fleet:
    """What was made: the projects by account, and every environment's primary key."""

    projects: dict[str, list[Project]] = field(default_factory=dict)
    environment_ids: list[uuid.UUID] = field(default_factory=list)


def account_id(index: int) -> str:
    return f"{900000000000 + index:012d}"


def fleet_create(*, accounts: int, projects_per_account: int, environments_per_project: int,
                 owner: User, chunk: int = 2000) -> Fleet:
    """Bulk-create the fleet: every environment available, its product AVAILABLE and its
    notebook InService in the fake AWS, so a reconcile finds nothing to change."""
    fleet = Fleet()
    for a in range(accounts):
        account = account_id(a)
        product = Product.objects.create(
            aws_account_id=account, aws_region=REGION, product_id=f"prod-fleet{a:04d}",
            name="SageMaker notebook instance", kind=Product.Kind.NOTEBOOK_INSTANCE,
            published=True)
        version = ProductVersion.objects.create(product=product, artifact_id=f"pa-fleet{a:04d}",
                                                name="v1")
        fleet.projects[account] = []
        for p in range(projects_per_account):
            project = Project.objects.create(
                slug=f"fleet-{a}-{p}", name=f"Fleet {a}-{p}", cost_center="CC-1",
                environment="dev", aws_account_id=account, aws_region=REGION,
                aws_role_arn=f"arn:aws:iam::{account}:role/{ROLE_NAME}",
                aws_external_id=EXTERNAL_ID)
            fleet.projects[account].append(project)
            names = [f"fleet-{a}-{p}-{i}" for i in range(environments_per_project)]
            for start in range(0, len(names), chunk):
                fleet.environment_ids += _environments_create(
                    names[start:start + chunk], project=project, product=product,
                    version=version, owner=owner)
    return fleet


def _environments_create(names: list[str], *, project: Project, product: Product,
                         version: ProductVersion, owner: User) -> list[uuid.UUID]:
    account = project.aws_account_id
    created = timezone.now() - timedelta(days=1)
    with transaction.atomic():
        # bulk_create skips save(), which numbers a request: numbered here, after the highest.
        first = (Request.objects.aggregate(n=Max("number"))["n"] or 1000) + 1
        requests = Request.objects.bulk_create(
            Request(requester=owner, project=project, product=product, version=version,
                    number=first + i, justification="fleet", status=Request.Status.APPROVED)
            for i in range(len(names)))
        environments = Environment.objects.bulk_create(
            Environment(id=uuid.uuid4(), origin_request=r, owner=owner, project=project,
                        product=product, version=version, status=Environment.Status.AVAILABLE,
                        provisioned_product_name=name, provisioned_product_id=f"pp-{name}",
                        notebook_instance_name=name, available_at=created)
            for r, name in zip(requests, names, strict=True))
        ProvisionedProduct.objects.bulk_create(
            ProvisionedProduct(
                account=account, region=REGION, pp_id=f"pp-{name}", name=name,
                arn=f"arn:aws:servicecatalog:{REGION}:{account}:stack/{name}/pp-{name}",
                status="AVAILABLE", product_id=product.product_id,
                artifact_id=version.artifact_id, stack_name=f"SC-{account}-pp-{name}",
                stack_id=f"arn:aws:cloudformation:{REGION}:{account}:stack/SC-{name}/x",
                created_by=f"arn:aws:sts::{account}:assumed-role/{ROLE_NAME}/ml-portal-system",
                created_at=created)
            for name in names)
        NotebookInstance.objects.bulk_create(
            NotebookInstance(
                account=account, region=REGION, name=name, status="InService",
                arn=f"arn:aws:sagemaker:{REGION}:{account}:notebook-instance/{name}",
                instance_type="ml.t3.medium", role_arn=f"arn:aws:iam::{account}:role/nb",
                created_at=created, modified_at=created)
            for name in names)
    return [e.pk for e in environments]
