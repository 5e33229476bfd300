"""AWS-typed parameters of a request (subnet, VPC, security groups, KMS key) are the project
account's resources: the request form offers them as the product page does, and the form and the
API refuse an identifier the account does not have, read through the fake AWS's EC2 and KMS.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.utils.html import escape

from approvals.models import Request
from catalog.models import ParameterOverride, Product
from fakeaws import faults
from fakeaws.baseline import Baseline, baseline_for
from fakeaws.models import CallLog
from portal.models import Project, User
from tests.catalog.factories import product_make

pytestmark = pytest.mark.django_db
MISSING_SUBNET = "subnet-0123456789abcdef0"


@pytest.fixture
def base(project: Project) -> Baseline:
    return baseline_for(account=project.aws_account_id, region=project.aws_region)


@pytest.fixture
def network_product(project: Project) -> Product:
    return product_make(project=project, product_id="prod-network00001", parameters=[
        {"key": "VpcId", "parameter_type": "AWS::EC2::VPC::Id"},
        {"key": "SubnetId", "parameter_type": "AWS::EC2::Subnet::Id"},
        {"key": "SecurityGroupIds", "parameter_type": "List<AWS::EC2::SecurityGroup::Id>"},
        {"key": "KmsKeyId", "parameter_type": "AWS::KMS::Key::Id"},
    ])


def form_url(product: Product) -> str:
    return f"/requests/new?product={product.pk}"


def form_data(project: Project, base: Baseline, **values: Any) -> dict[str, Any]:
    return {"req-project": project.slug, "req-justification": "Network-bound notebook.",
            "VpcId": base.vpc_id, "SubnetId": base.subnets[0]["SubnetId"],
            "SecurityGroupIds": [g["GroupId"] for g in base.security_groups],
            "KmsKeyId": base.kms_alias, **values}


def listings(operation: str) -> int:
    return CallLog.objects.filter(operation=operation).count()


def test_the_request_form_offers_the_accounts_resources_as_selects(
        client: Client, scientist: User, network_product: Product, base: Baseline) -> None:
    client.force_login(scientist)
    page = client.get(form_url(network_product)).content.decode()
    subnet = base.subnets[0]
    assert '<select name="SubnetId"' in page
    assert (f'<option value="{subnet["SubnetId"]}">{subnet["SubnetId"]} '
            f'({subnet["AvailabilityZone"]}') in page
    assert '<select name="SecurityGroupIds"' in page and "multiple" in page
    assert f'<option value="{base.vpc_id}">' in page
    assert f'<option value="{base.kms_alias}">' in page
    assert "data-listing-unavailable" not in page


def test_the_accounts_resources_are_accepted_and_a_list_is_joined(
        client: Client, scientist: User, project: Project, network_product: Product,
        base: Baseline) -> None:
    client.force_login(scientist)
    response = client.post(form_url(network_product), form_data(project, base))
    assert response.status_code == 302, response.content.decode()[:2000]
    request = Request.objects.get()
    assert request.parameters["SubnetId"] == base.subnets[0]["SubnetId"]
    assert request.parameters["SecurityGroupIds"] == ",".join(
        g["GroupId"] for g in base.security_groups)


def test_a_subnet_the_account_does_not_have_is_refused_by_the_form(
        client: Client, scientist: User, project: Project, network_product: Product,
        base: Baseline) -> None:
    client.force_login(scientist)
    response = client.post(form_url(network_product),
                           form_data(project, base, SubnetId=MISSING_SUBNET))
    assert response.status_code == 400
    assert response.context["parameter_form"].errors["SubnetId"] == [
        f"{MISSING_SUBNET} does not exist in the project's AWS account; choose one of its "
        "resources."]
    assert not Request.objects.exists()


def test_the_api_refuses_identifiers_the_account_does_not_have(
        client: Client, scientist: User, project: Project, network_product: Product,
        base: Baseline) -> None:
    client.force_login(scientist)
    body = {"project": project.slug, "product": network_product.pk,
            "justification": "Network-bound notebook.",
            "parameters": {"VpcId": base.vpc_id, "SubnetId": MISSING_SUBNET,
                           "SecurityGroupIds": f"{base.security_groups[0]['GroupId']}, "
                                               "sg-0123456789abcdef0",
                           "KmsKeyId": "alias/not-there"}}
    response = client.post("/api/v1/requests", body, content_type="application/json")
    assert response.status_code == 400
    errors = response.json()["errors"]["parameters"]
    assert errors["SubnetId"] == [f"{MISSING_SUBNET} does not exist in the project's AWS "
                                  "account; choose one of its resources."]
    assert errors["SecurityGroupIds"] == ["sg-0123456789abcdef0 does not exist in the project's "
                                          "AWS account; choose one of its resources."]
    assert "alias/not-there" in errors["KmsKeyId"][0]
    assert "VpcId" not in errors
    assert not Request.objects.exists()
    good = {**body, "parameters": {**body["parameters"], "SubnetId": base.subnets[0]["SubnetId"],
                                   "SecurityGroupIds": base.security_groups[0]["GroupId"],
                                   "KmsKeyId": base.kms_alias}}
    assert client.post("/api/v1/requests", good,
                       content_type="application/json").status_code == 201


def test_an_admin_fixed_value_wins_and_costs_no_listing(
        client: Client, scientist: User, project: Project, network_product: Product,
        base: Baseline) -> None:
    ParameterOverride.objects.create(product=network_product, key="SubnetId", hidden=True,
                                     fixed_value="subnet-0fedcba9876543210")
    ParameterOverride.objects.create(product=network_product, key="VpcId",
                                     allowed_values=[base.vpc_id])
    client.force_login(scientist)
    data = form_data(project, base)
    del data["SubnetId"]
    response = client.post(form_url(network_product), data)
    assert response.status_code == 302, response.content.decode()[:2000]
    assert Request.objects.get().parameters["SubnetId"] == "subnet-0fedcba9876543210"
    assert listings("DescribeSubnets") == listings("DescribeVpcs") == 0


def test_the_listing_is_reused_briefly(client: Client, scientist: User, project: Project,
                                       network_product: Product, base: Baseline,
                                       settings: Any) -> None:
    client.force_login(scientist)
    client.get(form_url(network_product))
    client.post(form_url(network_product), form_data(project, base))
    assert listings("DescribeSubnets") == 1  # the page, the form's POST and the service
    settings.PORTAL_RESOURCE_CHOICES_CACHE_SECONDS = 0
    client.get(form_url(network_product))
    assert listings("DescribeSubnets") == 2


def test_a_listing_that_fails_is_said_and_the_format_is_still_checked(
        client: Client, scientist: User, project: Project, network_product: Product,
        base: Baseline) -> None:
    faults.inject(service="ec2", operation="DescribeSubnets", code="UnauthorizedOperation",
                  status=403, times=10,
                  message="You are not authorized to perform this operation.")
    client.force_login(scientist)
    page = client.get(form_url(network_product)).content.decode()
    assert escape("The portal could not read the subnets of the project's AWS account just now: "
                  "type the identifier; it is checked again before provisioning.") in page
    assert '<input type="text" name="SubnetId"' in page
    assert '<select name="SecurityGroupIds"' in page  # the other listings still worked
    bad = client.post(form_url(network_product), form_data(project, base, SubnetId="subnet-x"))
    assert bad.status_code == 400
    assert bad.context["parameter_form"].errors["SubnetId"] == [
        "Each value must be a subnet id (subnet-…)."]
    ok = client.post(form_url(network_product), form_data(project, base,
                                                          SubnetId=MISSING_SUBNET))
    assert ok.status_code == 302
    assert Request.objects.get().parameters["SubnetId"] == MISSING_SUBNET
