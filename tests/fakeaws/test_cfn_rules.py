"""Template Rules (Service Catalog template constraints) checked with the parameter values."""

from __future__ import annotations

import pytest

from fakeaws.cfn import ParameterError, Template, TemplateError

from .cfn_support import context

TEMPLATE = Template.load("""
Parameters:
  Environment: {Type: String, Default: dev, AllowedValues: [dev, prod]}
  InstanceType: {Type: String, Default: ml.t3.medium}
  Subnets: {Type: 'List<AWS::EC2::Subnet::Id>', Default: subnet-01234567}
  Vpc: {Type: 'AWS::EC2::VPC::Id', Default: vpc-01234567}
Rules:
  ProdInstances:
    RuleCondition: !Equals [!Ref Environment, prod]
    Assertions:
      - Assert: !Contains [[ml.m5.xlarge, ml.c5.xlarge], !Ref InstanceType]
        AssertDescription: Production notebooks run on ml.m5.xlarge or ml.c5.xlarge.
  ApprovedSubnets:
    Assertions:
      - Assert: !EachMemberIn [!Ref Subnets, [subnet-01234567, subnet-89abcdef]]
        AssertDescription: Notebooks run in the platform's private subnets only.
      - Assert: !Not [!EachMemberEquals [!Ref Subnets, subnet-89abcdef]]
        AssertDescription: Not only the spare subnet.
  PlatformVpc:
    Assertions:
      - Assert: !EachMemberIn [!RefAll 'AWS::EC2::VPC::Id', [vpc-01234567]]
        AssertDescription: The platform VPC only.
Resources:
  Topic: {Type: AWS::SNS::Topic}
""")


def failures(**given: str) -> list[str]:
    with pytest.raises(ParameterError) as caught:
        TEMPLATE.resolve_parameters(given)
    return caught.value.messages


def test_values_that_satisfy_every_rule_pass() -> None:
    assert TEMPLATE.resolve_parameters({"Environment": "prod", "InstanceType": "ml.m5.xlarge"})
    assert TEMPLATE.resolve_parameters({"Subnets": "subnet-01234567,subnet-89abcdef"})


def test_a_rule_whose_condition_is_false_does_not_apply() -> None:
    assert TEMPLATE.resolve_parameters({"InstanceType": "ml.p3.2xlarge"})


def test_failing_assertions_are_refused_with_their_descriptions() -> None:
    assert failures(Environment="prod", InstanceType="ml.p3.2xlarge",
                    Subnets="subnet-01234567,subnet-0aaaaaaa") == [
        "Production notebooks run on ml.m5.xlarge or ml.c5.xlarge.",
        "Notebooks run in the platform's private subnets only.",
    ]
    assert failures(Subnets="subnet-89abcdef") == ["Not only the spare subnet."]
    assert failures(Vpc="vpc-89abcdef") == ["The platform VPC only."]


def test_instantiate_applies_the_rules_too() -> None:
    with pytest.raises(ParameterError):
        TEMPLATE.instantiate(context=context({"Subnets": "subnet-0aaaaaaa"}))


def test_rules_cannot_reference_resources_and_value_of_is_refused() -> None:
    rules = ("Rules:\n  R:\n    Assertions:\n      - Assert: {assert_}\n"
             "Resources:\n  Topic: {{Type: AWS::SNS::Topic}}\n")
    with pytest.raises(TemplateError, match="Cannot reference resources in the Rules"):
        Template.load(rules.format(assert_="!Equals [!Ref Topic, x]")).resolve_parameters({})
    with pytest.raises(TemplateError, match="Fn::ValueOf is not supported"):
        Template.load(rules.format(
            assert_="!Equals [{'Fn::ValueOf': [S, VpcId]}, x]")).resolve_parameters({})


LOGIC = Template.load("""
Parameters:
  Environment: {Type: String, Default: dev}
  Size: {Type: String, Default: small}
Rules:
  BothOrNeither:
    Assertions:
      - Assert: !Or [!And [!Equals [!Ref Environment, prod], !Equals [!Ref Size, large]],
                     !Not [!Equals [!Ref Environment, prod]]]
        AssertDescription: Production is large.
  PickedByIf:
    Assertions:
      - Assert: !If [!Equals [!Ref Size, huge], 'false', 'true']
        AssertDescription: Nothing is huge.
      - Assert: true
        AssertDescription: never shown
Resources:
  Topic: {Type: AWS::SNS::Topic}
""")


def _logic_failures(**given: str) -> list[str]:
    try:
        LOGIC.resolve_parameters(given)
    except ParameterError as refused:
        return refused.messages
    return []


def test_and_or_not_if_and_literal_conditions() -> None:
    assert _logic_failures() == []
    assert _logic_failures(Environment="prod", Size="large") == []
    assert _logic_failures(Environment="prod") == ["Production is large."]
    assert _logic_failures(Size="huge") == ["Nothing is huge."]


@pytest.mark.parametrize("assert_", ["!Equals [a]", "!Not [true, false]", "!And []",
                                     "!If [true, true]", "!Contains [[a]]", "maybe"])
def test_a_rule_function_with_the_wrong_arguments_is_a_template_error(assert_: str) -> None:
    template = Template.load("Rules:\n  R:\n    Assertions:\n      - Assert: " + assert_
                             + "\nResources:\n  Topic: {Type: AWS::SNS::Topic}\n")
    with pytest.raises(TemplateError, match="unsupported rule expression"):
        template.resolve_parameters({})
