"""CloudFormation's list and AWS-specific parameter types, validated as CloudFormation does."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
from django.core.exceptions import ValidationError

from catalog.models import ProductVersion
from catalog.parameters import (
    item_type,
    parameters_effective,
    parameters_json_schema,
    parameters_validate,
    pattern_error,
    resource_type,
)
from portal.models import Project
from tests.catalog.factories import product_make

pytestmark = pytest.mark.django_db

SUBNET = "subnet-0123456789abcdef0"
SG_A, SG_B = "sg-0123456789abcdef0", "sg-12345678"
KEY = "1234abcd-12ab-34cd-56ef-1234567890ab"

SPECS: list[dict[str, Any]] = [
    {"key": "SubnetId", "parameter_type": "AWS::EC2::Subnet::Id"},
    {"key": "VpcId", "parameter_type": "AWS::EC2::VPC::Id", "default": "vpc-a123baa3"},
    {"key": "SecurityGroupIds", "parameter_type": "List<AWS::EC2::SecurityGroup::Id>"},
    {"key": "KmsKeyId", "parameter_type": "AWS::KMS::Key::Id", "default": "alias/aws/sagemaker"},
    {"key": "Tags", "parameter_type": "CommaDelimitedList", "default": "ok",
     "allowed_pattern": "[a-z]+", "constraint_description": "Lower-case words."},
    {"key": "Ports", "parameter_type": "List<Number>", "default": "8080"},
    {"key": "Broken", "default": "x", "allowed_pattern": "(?<name>x)"},  # Java's named group
]
REQUIRED = {"SubnetId": SUBNET, "SecurityGroupIds": SG_A}


@pytest.fixture
def version(project: Project) -> ProductVersion:
    return product_make(project=project, parameters=SPECS).versions.get()


def _errors(version: ProductVersion, **values: Any) -> dict[str, list[str]]:
    with pytest.raises(ValidationError) as caught:
        parameters_validate(version=version, values={**REQUIRED, **values})
    return caught.value.message_dict


def test_item_and_resource_types_of_every_form() -> None:
    assert item_type("List<AWS::EC2::Subnet::Id>") == "AWS::EC2::Subnet::Id"
    assert item_type("CommaDelimitedList") == "String"
    assert item_type("List<Number>") == "Number"
    assert item_type("String") == "String"
    assert resource_type("List<AWS::KMS::Key::Arn>") == "AWS::KMS::Key::Id"
    assert resource_type("AWS::EC2::VPC::Id") == "AWS::EC2::VPC::Id"
    assert resource_type("AWS::EC2::KeyPair::KeyName") == ""
    assert resource_type("List<String") == ""


def test_list_values_are_split_on_commas_and_each_item_trimmed(version: ProductVersion) -> None:
    values = parameters_validate(version=version, values={
        **REQUIRED, "SecurityGroupIds": f" {SG_A} , {SG_B}", "Tags": "a, bc", "Ports": "1, 2.5"})
    assert values["SecurityGroupIds"] == f"{SG_A},{SG_B}"
    assert values["Tags"] == "a,bc"
    assert values["Ports"] == "1,2.5"
    assert values["VpcId"] == "vpc-a123baa3" and values["KmsKeyId"] == "alias/aws/sagemaker"


@pytest.mark.parametrize(("key", "value", "message"), [
    ("SubnetId", "subnet-xyz", "Each value must be a subnet id (subnet-…)."),
    ("SubnetId", f"{SUBNET},{SUBNET}", "Each value must be a subnet id (subnet-…)."),
    ("VpcId", "vpc-0123", "Each value must be a VPC id (vpc-…)."),
    ("SecurityGroupIds", f"{SG_A},,{SG_B}",
     "Each value must be a security group id (sg-…)."),
    ("SecurityGroupIds", f"{SG_A},default",
     "Each value must be a security group id (sg-…)."),
    ("KmsKeyId", "my-key", "Each value must be a KMS key id, key ARN or alias (alias/…)."),
    ("Ports", "8080,http", "“http” is not a number."),
])
def test_each_item_must_have_its_types_format(version: ProductVersion, key: str, value: str,
                                              message: str) -> None:
    assert _errors(version, **{key: value}) == {key: [message]}


@pytest.mark.parametrize("value", [
    KEY, "alias/ml-team_1", f"arn:aws:kms:eu-west-1:123456789012:key/{KEY}",
    "arn:aws-us-gov:kms:us-gov-west-1:123456789012:alias/ml",
])
def test_a_kms_key_is_named_by_id_arn_or_alias(version: ProductVersion, value: str) -> None:
    assert parameters_validate(version=version, values={**REQUIRED, "KmsKeyId": value})[
        "KmsKeyId"] == value


def test_allowed_pattern_applies_to_each_item_of_a_list(version: ProductVersion) -> None:
    assert _errors(version, Tags="ok,Not-Ok") == {"Tags": ["Lower-case words."]}
    assert parameters_validate(version=version, values={**REQUIRED, "Tags": "ok,fine"})[
        "Tags"] == "ok,fine"


def test_allowed_values_apply_to_each_item_of_an_aws_typed_list(project: Project) -> None:
    version = product_make(project=project, parameters=[
        {"key": "SecurityGroupIds", "parameter_type": "List<AWS::EC2::SecurityGroup::Id>",
         "allowed_values": [SG_A, SG_B]},
    ]).versions.get()
    assert parameters_validate(version=version, values={"SecurityGroupIds": f"{SG_B},{SG_A}"})
    with pytest.raises(ValidationError) as caught:
        parameters_validate(version=version, values={"SecurityGroupIds": f"{SG_A},sg-87654321"})
    assert caught.value.message_dict == {
        "SecurityGroupIds": [f"Choose one of: {SG_A}, {SG_B}."]}


def test_a_pattern_python_cannot_compile_is_not_applied(version: ProductVersion) -> None:
    assert pattern_error("(?<name>x)") != ""
    assert pattern_error("[a-z]+") == ""
    assert parameters_validate(version=version, values={**REQUIRED, "Broken": "anything"})[
        "Broken"] == "anything"
    schema = parameters_json_schema(parameters=parameters_effective(version=version))
    assert "pattern" not in schema["properties"]["Broken"]


def test_known_account_resources_limit_the_choice(version: ProductVersion) -> None:
    parameters = [replace(p, choices=(SUBNET,)) if p.key == "SubnetId" else p
                  for p in parameters_effective(version=version)]
    assert parameters_validate(version=version, values=REQUIRED, parameters=parameters)
    with pytest.raises(ValidationError) as caught:
        parameters_validate(version=version, values={**REQUIRED, "SubnetId": "subnet-12345678"},
                            parameters=parameters)
    assert caught.value.message_dict == {
        "SubnetId": ["subnet-12345678 does not exist in the project's AWS account; choose one of "
                     "its resources."]}


def test_aws_typed_and_list_parameters_ignore_string_lengths(project: Project) -> None:
    version = product_make(project=project, parameters=[
        {"key": "Names", "parameter_type": "CommaDelimitedList", "max_length": 3},
        {"key": "Vpc", "parameter_type": "AWS::EC2::VPC::Id", "max_length": 3},
    ]).versions.get()
    values = {"Names": "abc,def", "Vpc": "vpc-a123baa3"}
    assert parameters_validate(version=version, values=values) == values


def test_the_json_schema_keeps_list_numbers_as_text(version: ProductVersion) -> None:
    props = parameters_json_schema(parameters=parameters_effective(version=version))["properties"]
    assert props["Ports"]["type"] == "string" and props["Ports"]["default"] == "8080"
    assert props["Tags"].get("pattern") is None  # a list's pattern is per item, not the text
    assert props["SubnetId"]["x-parameter-type"] == "AWS::EC2::Subnet::Id"
