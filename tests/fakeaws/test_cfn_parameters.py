"""Parameter declarations, their Service Catalog shape, and CloudFormation's value checks."""

from __future__ import annotations

import pytest

from fakeaws.cfn import ParameterError, Template, TemplateError, provisioning_parameter

RESOURCES = """
Resources:
  Handle:
    Type: AWS::CloudFormation::WaitConditionHandle
"""


def template(parameters: str) -> Template:
    return Template.load("Parameters:\n" + parameters + RESOURCES)


def problems(parameters: str, given: dict[str, str]) -> list[str]:
    with pytest.raises(ParameterError) as caught:
        template(parameters).resolve_parameters(given)
    return caught.value.messages


def test_defaults_fill_missing_values_and_given_values_win() -> None:
    t = template("  A: {Type: String, Default: one}\n  B: {Type: String, Default: two}\n")
    assert t.resolve_parameters({"B": "given"}) == {"A": "one", "B": "given"}


def test_every_problem_is_reported_at_once_in_cloudformation_words() -> None:
    messages = problems(
        "  Name: {Type: String}\n"
        "  Size: {Type: Number, MinValue: 5, MaxValue: 100}\n"
        "  Kind: {Type: String, AllowedValues: [a, b]}\n",
        {"Size": "500", "Kind": "c", "Extra": "x"},
    )
    assert messages == [
        "Parameters: [Extra] do not exist in the template",
        "Parameters: [Name] must have values",
        "Parameter Size must be a number not greater than 100",
        "Parameter Kind must be one of AllowedValues",
    ]


def test_an_explicit_empty_string_is_a_value() -> None:
    assert template("  A: {Type: String}\n").resolve_parameters({"A": ""}) == {"A": ""}


def test_allowed_pattern_must_match_the_whole_value() -> None:
    declared = "  Name: {Type: String, AllowedPattern: '[a-z]+'}\n"
    assert problems(declared, {"Name": "abc1"}) == ["Parameter Name must match pattern [a-z]+"]
    assert problems(declared, {"Name": "1abc"}) == ["Parameter Name must match pattern [a-z]+"]
    assert template(declared).resolve_parameters({"Name": "abc"}) == {"Name": "abc"}


def test_constraint_description_replaces_the_rule_text() -> None:
    declared = ("  Name: {Type: String, AllowedPattern: '[a-z]+', MaxLength: 3,\n"
                "         ConstraintDescription: must be a few lower-case letters}\n")
    assert problems(declared, {"Name": "ABCD"}) == [
        "Parameter Name must be a few lower-case letters",
        "Parameter Name must be a few lower-case letters",
    ]


def test_length_limits_apply_to_strings() -> None:
    declared = "  Name: {Type: String, MinLength: 2, MaxLength: 4}\n"
    assert problems(declared, {"Name": "a"}) == [
        "Parameter Name must contain at least 2 characters"]
    assert problems(declared, {"Name": "abcde"}) == [
        "Parameter Name must contain at most 4 characters"]
    assert template(declared).resolve_parameters({"Name": "abcd"}) == {"Name": "abcd"}


@pytest.mark.parametrize("value", ["5", "100", "20", "7.5", " 20"])
def test_numbers_within_bounds_pass(value: str) -> None:
    declared = "  Size: {Type: Number, MinValue: 5, MaxValue: 100}\n"
    assert template(declared).resolve_parameters({"Size": value}) == {"Size": value}


@pytest.mark.parametrize(("value", "message"), [
    ("4", "Parameter Size must be a number not less than 5"),
    ("100.5", "Parameter Size must be a number not greater than 100"),
    ("twenty", "Parameter Size must be a number"),
    ("", "Parameter Size must be a number"),
    ("NaN", "Parameter Size must be a number"),
])
def test_numbers_are_checked(value: str, message: str) -> None:
    declared = "  Size: {Type: Number, MinValue: 5, MaxValue: 100}\n"
    assert problems(declared, {"Size": value}) == [message]


def test_list_of_numbers_checks_every_member() -> None:
    declared = "  Sizes: {Type: 'List<Number>'}\n"
    assert template(declared).resolve_parameters({"Sizes": "1,2, 3"}) == {"Sizes": "1,2, 3"}
    assert problems(declared, {"Sizes": "1,x"}) == ["Parameter Sizes must be a number"]


def test_comma_delimited_list_members_are_trimmed_before_checks() -> None:
    declared = "  Names: {Type: CommaDelimitedList, AllowedValues: [a, b]}\n"
    assert template(declared).resolve_parameters({"Names": "a, b"}) == {"Names": "a, b"}
    assert problems(declared, {"Names": "a,c"}) == ["Parameter Names must be one of AllowedValues"]


def test_allowed_pattern_on_a_list_applies_to_each_member() -> None:
    declared = "  Names: {Type: CommaDelimitedList, AllowedPattern: '[a-z]+'}\n"
    assert template(declared).resolve_parameters({"Names": "ab,cd"}) == {"Names": "ab,cd"}
    assert problems(declared, {"Names": "ab,c1"}) == ["Parameter Names must match pattern [a-z]+"]


@pytest.mark.parametrize(("type_", "good", "bad"), [
    ("AWS::EC2::Subnet::Id", "subnet-0123456789abcdef0", "subnet-xyz"),
    ("AWS::EC2::Subnet::Id", "subnet-01234567", "sg-01234567"),
    ("AWS::EC2::VPC::Id", "vpc-0123456789abcdef0", "vpc-123"),
    ("AWS::EC2::SecurityGroup::Id", "sg-89abcdef", "sg-89ABCDEF"),
    ("AWS::EC2::Image::Id", "ami-0123456789abcdef0", "ami-"),
    ("AWS::EC2::AvailabilityZone::Name", "eu-west-1a", "eu-west-1"),
])
def test_aws_specific_types_refuse_values_of_the_wrong_form(type_: str, good: str,
                                                            bad: str) -> None:
    declared = f"  Value: {{Type: '{type_}'}}\n"
    assert template(declared).resolve_parameters({"Value": good}) == {"Value": good}
    assert problems(declared, {"Value": bad}) == [
        f"Parameter validation failed: parameter value {bad} for parameter name Value "
        "does not exist"]


def test_a_list_of_security_groups_checks_every_member() -> None:
    declared = "  Groups: {Type: 'List<AWS::EC2::SecurityGroup::Id>'}\n"
    assert template(declared).resolve_parameters({"Groups": "sg-01234567,sg-89abcdef"})
    assert problems(declared, {"Groups": "sg-01234567,default"}) == [
        "Parameter validation failed: parameter value default for parameter name Groups "
        "does not exist"]


def test_an_unknown_parameter_type_is_a_template_error() -> None:
    with pytest.raises(TemplateError, match="Unrecognized parameter type: AWS::KMS::Key::Id"):
        template("  Key: {Type: 'AWS::KMS::Key::Id'}\n")


def test_a_parameter_without_type_is_a_template_error() -> None:
    with pytest.raises(TemplateError, match="must contain a Type member"):
        template("  Key: {Default: x}\n")


def test_a_pattern_python_cannot_compile_is_a_template_error_not_a_refusal() -> None:
    with pytest.raises(TemplateError, match="AllowedPattern of parameter Name"):
        template("  Name: {Type: String, AllowedPattern: '[a-z'}\n").resolve_parameters(
            {"Name": "a"})


def test_provisioning_parameter_has_only_the_keys_the_template_sets() -> None:
    t = template("  Name: {Type: String}\n")
    assert provisioning_parameter(t.parameters[0]) == {
        "ParameterKey": "Name", "ParameterType": "String", "IsNoEcho": False,
        "Description": "", "ParameterConstraints": {},
    }


def test_provisioning_parameter_carries_every_constraint_as_the_model_types_it() -> None:
    t = template(
        "  Size:\n    Type: Number\n    Default: 20\n    NoEcho: true\n"
        "    Description: Volume size\n    MinValue: 5\n    MaxValue: 100\n"
        "    AllowedValues: [5, 20, 100]\n    ConstraintDescription: 5 to 100\n"
        "  Name: {Type: String, MinLength: 1, MaxLength: 63, AllowedPattern: '[a-z]+'}\n")
    size, name = (provisioning_parameter(decl) for decl in t.parameters)
    assert size == {
        "ParameterKey": "Size", "DefaultValue": "20", "ParameterType": "Number",
        "IsNoEcho": True, "Description": "Volume size",
        "ParameterConstraints": {"AllowedValues": ["5", "20", "100"],
                                 "ConstraintDescription": "5 to 100",
                                 "MaxValue": "100", "MinValue": "5"},
    }
    assert name["ParameterConstraints"] == {"AllowedPattern": "[a-z]+", "MaxLength": "63",
                                            "MinLength": "1"}


def test_parameters_keep_template_order() -> None:
    t = template("  Zeta: {Type: String}\n  Alpha: {Type: String}\n")
    assert [decl.key for decl in t.parameters] == ["Zeta", "Alpha"]


def test_no_messages_echo_a_no_echo_value() -> None:
    declared = ("  Secret: {Type: 'AWS::EC2::KeyPair::KeyName', NoEcho: true}\n"
                "  Subnet: {Type: 'AWS::EC2::Subnet::Id', NoEcho: true, MaxLength: 3}\n"
                "  Token: {Type: String, NoEcho: true, AllowedPattern: '[a-z]+', MaxLength: 3}\n")
    messages = problems(declared, {"Secret": "", "Subnet": "hunter2-subnet",
                                   "Token": "Hunter2secret"})
    assert messages
    assert not [m for m in messages if "hunter2" in m.lower()]
    assert "Parameter validation failed: parameter value **** for parameter name Subnet " \
           "does not exist" in messages
