"""Choices of AWS-typed parameters read from the project account (EC2, KMS), and their form."""

from __future__ import annotations

from typing import Any

import boto3
import pytest
from botocore.stub import Stubber
from django.test import Client
from django.urls import reverse

from catalog import resource_choices
from catalog.models import ParameterOverride, Product
from catalog.parameters import parameters_effective
from catalog.resource_choices import (
    AccountChoices,
    parameter_choices_for,
    parameters_with_choices,
)
from portal.models import Project, User
from tests.catalog.factories import product_make

pytestmark = pytest.mark.django_db

SUBNET_A, SUBNET_B = "subnet-0123456789abcdef0", "subnet-0fedcba9876543210"
SG_A, SG_B = "sg-0123456789abcdef0", "sg-0fedcba9876543210"
KEY = "1234abcd-12ab-34cd-56ef-1234567890ab"
SPECS: list[dict[str, Any]] = [
    {"key": "SubnetId", "parameter_type": "AWS::EC2::Subnet::Id"},
    {"key": "OtherSubnet", "parameter_type": "AWS::EC2::Subnet::Id", "default": SUBNET_A},
    {"key": "VpcId", "parameter_type": "AWS::EC2::VPC::Id", "default": "vpc-0123456789abcdef0"},
    {"key": "SecurityGroupIds", "parameter_type": "List<AWS::EC2::SecurityGroup::Id>"},
    {"key": "KmsKeyId", "parameter_type": "AWS::KMS::Key::Id", "default": "alias/ml"},
    {"key": "Name", "default": "nb"},
]


def _clients() -> tuple[dict[str, Any], list[Stubber]]:
    ec2 = boto3.client("ec2", region_name="eu-west-1")
    kms = boto3.client("kms", region_name="eu-west-1")
    ec2_stub, kms_stub = Stubber(ec2), Stubber(kms)
    ec2_stub.add_response("describe_subnets", {"Subnets": [
        {"SubnetId": SUBNET_B, "AvailabilityZone": "eu-west-1b", "CidrBlock": "10.0.2.0/24",
         "Tags": [{"Key": "Name", "Value": "private-b"}]}], "NextToken": "page-2"}, {})
    ec2_stub.add_response("describe_subnets", {"Subnets": [
        {"SubnetId": SUBNET_A, "AvailabilityZone": "eu-west-1a", "CidrBlock": "10.0.1.0/24",
         "Tags": [{"Key": "Name", "Value": "private-a"}]}]}, {"NextToken": "page-2"})
    ec2_stub.add_response("describe_vpcs", {"Vpcs": [
        {"VpcId": "vpc-0123456789abcdef0", "CidrBlock": "10.0.0.0/16"}]}, {})
    ec2_stub.add_response("describe_security_groups", {"SecurityGroups": [
        {"GroupId": SG_A, "GroupName": "notebooks", "VpcId": "vpc-0123456789abcdef0"},
        {"GroupId": SG_B, "GroupName": "", "VpcId": ""}]}, {})
    kms_stub.add_response("list_aliases", {"Aliases": [
        {"AliasName": "alias/ml", "TargetKeyId": KEY},
        {"AliasName": "alias/aws/s3"}]}, {})  # AWS-managed, its key not created yet
    for stub in (ec2_stub, kms_stub):
        stub.activate()
    return {"ec2": ec2, "kms": kms}, [ec2_stub, kms_stub]


@pytest.fixture
def product(project: Project) -> Product:
    return product_make(project=project, parameters=SPECS)


def test_it_lists_each_kind_once_with_labels_and_skips_keys_that_do_not_exist(
    product: Product, project: Project,
) -> None:
    clients, stubs = _clients()
    made: list[str] = []

    def client_for(service: str) -> Any:
        made.append(service)
        return clients[service]

    choices = parameter_choices_for(project=project, client_for=client_for,
                                    parameters=parameters_effective(version=product.versions.get()))
    for stub in stubs:
        stub.assert_no_pending_responses()  # every page read, one listing per kind
    assert made == ["ec2", "kms"]  # one client per service
    assert choices["SubnetId"] == [(SUBNET_A, f"{SUBNET_A} (private-a · eu-west-1a · 10.0.1.0/24)"),
                                   (SUBNET_B, f"{SUBNET_B} (private-b · eu-west-1b · 10.0.2.0/24)")]
    assert choices["OtherSubnet"] == choices["SubnetId"]
    assert choices["VpcId"] == [("vpc-0123456789abcdef0",
                                 "vpc-0123456789abcdef0 (10.0.0.0/16)")]
    assert choices["SecurityGroupIds"] == [
        (SG_A, f"{SG_A} (notebooks · vpc-0123456789abcdef0)"), (SG_B, SG_B)]
    assert choices["KmsKeyId"] == [("alias/ml", "alias/ml")]
    assert "Name" not in choices


def test_a_parameter_the_admin_narrowed_or_hid_costs_no_call(product: Product,
                                                             project: Project) -> None:
    ParameterOverride.objects.create(product=product, key="KmsKeyId", allowed_values=["alias/ml"])
    for key in ("SubnetId", "OtherSubnet", "VpcId", "SecurityGroupIds"):
        ParameterOverride.objects.create(product=product, key=key, hidden=True,
                                         fixed_value="x")

    def client_for(service: str) -> Any:
        raise AssertionError(f"no {service} call expected")

    assert parameter_choices_for(project=project, client_for=client_for,
                                 parameters=parameters_effective(
                                     version=product.versions.get())) == {}


def test_a_listing_aws_refuses_leaves_the_parameter_without_known_choices(
    product: Product, project: Project,
) -> None:
    ec2 = boto3.client("ec2", region_name="eu-west-1")
    kms = boto3.client("kms", region_name="eu-west-1")
    stub, kms_stub = Stubber(ec2), Stubber(kms)
    stub.add_client_error("describe_subnets", "UnauthorizedOperation", "not allowed")
    stub.add_client_error("describe_vpcs", "UnauthorizedOperation", "not allowed")
    stub.add_client_error("describe_security_groups", "UnauthorizedOperation", "not allowed")
    kms_stub.add_response("list_aliases", {"Aliases": []}, {})
    stub.activate()
    kms_stub.activate()
    parameters = parameters_effective(version=product.versions.get())
    choices = parameter_choices_for(project=project, parameters=parameters,
                                    client_for={"ec2": ec2, "kms": kms}.__getitem__)
    assert choices == {"KmsKeyId": []}
    with_choices = {p.key: p for p in parameters_with_choices(parameters, choices)}
    assert with_choices["KmsKeyId"].choices == () and with_choices["SubnetId"].choices == ()


def test_the_product_page_offers_the_accounts_resources_and_refuses_others(
    product: Product, scientist: User, settings: Any, monkeypatch: pytest.MonkeyPatch,
) -> None:
    settings.PORTAL_AWS_MODE = "aws"
    monkeypatch.setattr(resource_choices, "aws_client",
                        lambda service, project: _clients()[0][service])
    client = Client()
    client.force_login(scientist)
    url = reverse("catalog:product_detail", args=[product.pk])
    page = client.get(url).content.decode()
    assert '<select name="SecurityGroupIds"' in page and "multiple" in page
    assert f'<option value="{SUBNET_A}">{SUBNET_A} (private-a' in page
    response = client.post(url, {"version": product.versions.get().pk, "SubnetId": SUBNET_B,
                                 "SecurityGroupIds": [SG_A, SG_B]})
    assert response.status_code == 200, response.context["form"].errors
    assert response.context["form"].parameter_values["SecurityGroupIds"] == f"{SG_A},{SG_B}"
    response = client.post(url, {"version": product.versions.get().pk,
                                 "SubnetId": "subnet-99999999", "SecurityGroupIds": [SG_A]})
    assert response.status_code == 400
    assert response.context["form"].errors["SubnetId"] == [
        "subnet-99999999 does not exist in the project's AWS account; choose one of its "
        "resources."]


def test_without_known_resources_the_page_asks_for_identifiers_as_text(
    product: Product, scientist: User, monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The account could not be listed (no permission, unreachable role): nothing is known.
    monkeypatch.setattr("catalog.resource_choices.parameter_choices_read",
                        lambda **kwargs: AccountChoices(choices={}, unavailable={}))
    client = Client()
    client.force_login(scientist)
    page = client.get(reverse("catalog:product_detail", args=[product.pk])).content.decode()
    assert 'placeholder="A security group id (sg-…), comma-separated"' in page
    assert 'placeholder="A subnet id (subnet-…)"' in page
