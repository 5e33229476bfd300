"""Catalog fixtures for the approval tests: products the cast can request in `project`."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

import pytest
from django.contrib.auth.models import Group

from catalog.models import (
    InstancePrice,
    ParameterOverride,
    ParameterSpec,
    Product,
    ProductVersion,
    TagOption,
)
from portal.models import Membership, Project, Role, User
from tests.conftest import make_user

ACCOUNT, REGION = "111111111111", "eu-west-1"
INSTANCE_TYPES = ["ml.t3.medium", "ml.m5.xlarge", "ml.m5.4xlarge", "ml.p3.2xlarge",
                  "ml.g4dn.xlarge"]
PRICES = {"ml.t3.medium": "0.0500", "ml.m5.xlarge": "0.2300", "ml.m5.4xlarge": "0.9220",
          "ml.p3.2xlarge": "3.8250", "ml.g4dn.xlarge": "0.7364"}
ADMIN_GROUP = "ml-platform-admins"


@pytest.fixture(autouse=True)
def sent_tasks(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, Any]]:
    """Celery tasks enqueued (by the hand-off's provisioning) are recorded, never sent to the
    shared test broker, whose worker tests would otherwise receive them."""
    from celery.app.task import Task

    sent: list[tuple[str, Any]] = []

    def apply_async(self: Task, args: Any = None, kwargs: Any = None, **options: Any) -> None:
        sent.append((self.name, args))

    monkeypatch.setattr(Task, "apply_async", apply_async)
    return sent


@pytest.fixture
def platform_admin(db: None) -> User:
    """As the SAML sign-in leaves them: the role and the IdP group it comes from."""
    user = make_user("pat.admin", roles=[Role.CATALOG_ADMIN], department="ML Platform")
    user.groups.add(Group.objects.get_or_create(name=ADMIN_GROUP)[0])
    return user


@pytest.fixture
def other_manager(db: None, other_project: Project) -> User:
    """Another team's manager: leads `other_project`, manages the outsider."""
    user = make_user("olga.othermanager", roles=[Role.APPROVER], department="Risk")
    Membership.objects.create(user=user, project=other_project,
                              role=Membership.ProjectRole.LEAD)
    return user


def _product(product_id: str, name: str, kind: str, **extra: Any) -> Product:
    return Product.objects.create(
        aws_account_id=ACCOUNT, aws_region=REGION, product_id=product_id, name=name, kind=kind,
        published=True, **extra,
    )


def _spec(version: ProductVersion, key: str, position: int, **extra: Any) -> ParameterSpec:
    return ParameterSpec.objects.create(version=version, key=key, position=position, **extra)


@pytest.fixture
def prices(db: None) -> None:
    for instance_type, hourly in PRICES.items():
        InstancePrice.objects.create(instance_type=instance_type, region=REGION,
                                     usd_per_hour=Decimal(hourly))


@pytest.fixture
def notebook(db: None, project: Project, prices: None) -> Product:
    """A notebook product: name, instance type, volume, and a KMS key fixed by the platform."""
    product = _product("prod-nb", "SageMaker notebook instance", Product.Kind.NOTEBOOK_INSTANCE)
    version = ProductVersion.objects.create(product=product, artifact_id="pa-nb-v1", name="v1")
    _spec(version, "NotebookInstanceName", 0, allowed_pattern="^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$",
          constraint_description="Letters, digits and single hyphens.", max_length=63)
    _spec(version, "InstanceType", 1, default="ml.t3.medium", allowed_values=INSTANCE_TYPES)
    _spec(version, "VolumeSizeInGB", 2, parameter_type="Number", default="20",
          min_value=Decimal("5"), max_value=Decimal("100"))
    _spec(version, "KmsKeyId", 3, default="alias/aws/sagemaker")
    ParameterOverride.objects.create(product=product, key="KmsKeyId", hidden=True,
                                     fixed_value="alias/ml-notebooks")
    retired = ProductVersion.objects.create(product=product, artifact_id="pa-nb-v0", name="v0",
                                            active=False)
    _spec(retired, "InstanceType", 0, default="ml.t3.medium")
    for i, value in enumerate(["confidential", "internal"]):
        product.tag_options.add(TagOption.objects.create(
            aws_account_id=ACCOUNT, aws_region=REGION, tag_option_id=f"tag-{i}",
            key="data-classification", value=value,
        ))
    return product


@pytest.fixture
def studio(db: None, project: Project) -> Product:
    product = _product("prod-studio", "SageMaker Studio user profile",
                       Product.Kind.STUDIO_USER_PROFILE)
    version = ProductVersion.objects.create(product=product, artifact_id="pa-st-v1", name="v1")
    _spec(version, "UserProfileName", 0, allowed_pattern="^[a-zA-Z0-9-]+$")
    return product


@pytest.fixture
def mlops(db: None, project: Project) -> Product:
    product = _product("prod-mlops", "SageMaker project", Product.Kind.SAGEMAKER_PROJECT)
    version = ProductVersion.objects.create(product=product, artifact_id="pa-ml-v1", name="v1")
    _spec(version, "SageMakerProjectName", 0, allowed_pattern="^[a-zA-Z](-*[a-zA-Z0-9])*$")
    return product


@pytest.fixture
def hidden_product(db: None, project: Project) -> Product:
    """Published in the project's account, but only for an IdP group the scientist is not in."""
    product = _product("prod-secret", "Restricted notebook", Product.Kind.NOTEBOOK_INSTANCE)
    ProductVersion.objects.create(product=product, artifact_id="pa-secret-v1", name="v1")
    product.visible_to_groups.add(Group.objects.create(name="quants"))
    return product


def notebook_values(instance_type: str = "ml.t3.medium", **extra: str) -> dict[str, str]:
    return {"NotebookInstanceName": "dana-nb", "InstanceType": instance_type, **extra}


def request_notebook(requester: User, project: Project, product: Product,
                     instance_type: str = "ml.t3.medium", **extra: Any) -> Any:
    """Create a notebook request through the service, as the form and the API do.

    Each one names its own notebook: a second live request for one name is refused."""
    from approvals.services import request_create

    name = f"dana-nb-{uuid.uuid4().hex[:8]}"
    return request_create(
        requester=requester, project_slug=project.slug, product_id=product.pk,
        parameters=notebook_values(instance_type, NotebookInstanceName=name),
        tag_choices={"data-classification":
                                                                "confidential"},
        justification="Train the fraud model on last quarter's data.", **extra,
    )


@pytest.fixture
def demo_policies(db: None) -> None:
    from approvals.demo import demo_policies_seed

    demo_policies_seed()


@pytest.fixture
def gpu_request(demo_policies: None, scientist: User, manager: User, platform_admin: User,
                project: Project, notebook: Product) -> Any:
    """A pending GPU notebook request: the manager's task is open."""
    return request_notebook(scientist, project, notebook, "ml.p3.2xlarge")


def snapshot() -> tuple[Any, ...]:
    """Everything a refused action must leave as it was."""
    from django.core import mail

    from approvals.models import ApprovalTask, Decision, Request
    from portal.models import AuditEvent

    return (
        list(Request.objects.order_by("pk").values_list("pk", "status", "decided_at")),
        list(ApprovalTask.objects.order_by("pk").values_list("pk", "status", "decided_at")),
        Decision.objects.count(),
        AuditEvent.objects.filter(action__regex=r"^(request|approval)\.").count(),
        len(mail.outbox),
    )


def make_environment(owner: User, project: Project, product: Product,
                     status: str = "available") -> Any:
    """An environment as provisioning leaves it (written directly: test data for day-2 checks).

    Its origin request is approved test data too; neither goes through a workflow here.
    """
    from django.utils import timezone

    from approvals.models import Request
    from provisioning.models import Environment

    version = product.versions.filter(active=True).first()
    origin = Request.objects.create(
        requester=owner, project=project, product=product, version=version,
        justification="Origin of a test environment", status=Request.Status.APPROVED,
        decided_at=timezone.now(), handed_off_at=timezone.now(),
    )
    return Environment.objects.create(
        origin_request=origin, owner=owner, project=project, product=product, version=version,
        provisioned_product_name=f"env-{origin.pk.hex[:12]}", status=status,
    )


@pytest.fixture
def environment(scientist: User, project: Project, notebook: Product) -> Any:
    """The scientist's available notebook environment in `project`."""
    return make_environment(scientist, project, notebook)
