"""Before ProvisionProduct the provision task checks again that the request's subnet, VPC and
security groups exist in the project's account (they may be deleted while approvals take days):
a missing one fails the environment with a clear message and nothing is sent to Service Catalog."""

from __future__ import annotations

import pytest

from catalog.models import Product
from fakeaws import faults
from fakeaws.baseline import Baseline
from fakeaws.models import CallLog
from portal.models import AuditEvent, Project, User
from provisioning.models import Environment
from tests.provisioning import fake_portal
from tests.provisioning.fake_portal import approved, provision_and_settle, request_values

pytestmark = pytest.mark.django_db
fake_aws = fake_portal.fake_aws
shapes_catalog = fake_portal.shapes_catalog
NETWORK = "fixtures/notebook-network-parameter-types.yaml"
GONE = "sg-0123456789abcdef0"


def with_values(shapes_catalog: dict[str, Product], fake_aws: Baseline, **values: str
                ) -> tuple[Product, dict[str, str]]:
    product = shapes_catalog[NETWORK]
    return product, {**request_values(product.versions.get(), fake_aws), **values}


def test_a_security_group_deleted_after_approval_fails_before_provision_product(
        shapes_catalog: dict[str, Product], fake_aws: Baseline, scientist: User,
        project: Project) -> None:
    product, values = with_values(shapes_catalog, fake_aws, SecurityGroupIds=(
        f"{fake_aws.security_groups[0]['GroupId']},{GONE}"))
    environment = provision_and_settle(approved(requester=scientist, project=project,
                                                product=product, parameters=values))
    assert environment.status == Environment.Status.FAILED
    assert environment.status_message == (
        f"Not provisioned: SecurityGroupIds: {GONE} no longer exists in the project's AWS "
        "account.")
    assert not CallLog.objects.filter(operation="ProvisionProduct").exists()
    assert AuditEvent.objects.filter(action="environment.failed",
                                     object_id=str(environment.pk)).exists()


def test_existing_resources_are_provisioned(
        shapes_catalog: dict[str, Product], fake_aws: Baseline, scientist: User,
        project: Project) -> None:
    product, values = with_values(shapes_catalog, fake_aws)
    environment = provision_and_settle(approved(requester=scientist, project=project,
                                                product=product, parameters=values))
    assert environment.status == Environment.Status.AVAILABLE, environment.status_message


def test_a_listing_that_fails_refuses_nothing_and_provision_product_is_sent(
        shapes_catalog: dict[str, Product], fake_aws: Baseline, scientist: User,
        project: Project) -> None:
    # CloudFormation validates AWS-typed values itself (the fake checks only their form).
    faults.inject(service="ec2", operation="DescribeSecurityGroups", code="UnauthorizedOperation",
                  status=403, times=5)
    product, values = with_values(shapes_catalog, fake_aws, SecurityGroupIds=GONE)
    environment = provision_and_settle(approved(requester=scientist, project=project,
                                                product=product, parameters=values))
    assert CallLog.objects.filter(operation="ProvisionProduct").exists()
    assert not environment.status_message.startswith("Not provisioned")
