"""Intrinsic and condition functions, including the errors CloudFormation raises for them."""

from __future__ import annotations

import base64

import pytest

from fakeaws.cfn import Template, TemplateError

from .cfn_support import ACCOUNT, REGION, STACK_ID, STACK_NAME, instantiate


def output(expression: str, parameters: str = "", given: dict[str, str] | None = None,
           **options: object) -> str:
    """The value of one output ``Out: {Value: <expression>}`` next to a Topic resource."""
    text = (f"Parameters:\n{parameters or '  P: {Type: String, Default: pv}'}\n"
            "Mappings:\n  Sizes:\n    eu-west-1: {small: '5', big: '50'}\n"
            "Conditions:\n  IsPv: !Equals [!Ref P, pv]\n"
            "Resources:\n  Topic:\n    Type: AWS::SNS::Topic\n"
            "  Bucket:\n    Type: AWS::S3::Bucket\n    Properties: {BucketName: my-bucket}\n"
            f"Outputs:\n  Out:\n    Value: {expression}\n")
    return instantiate(text, given, **options).outputs["Out"]  # type: ignore[arg-type]


@pytest.mark.parametrize(("name", "expected"), [
    ("AWS::AccountId", ACCOUNT), ("AWS::Region", REGION), ("AWS::StackName", STACK_NAME),
    ("AWS::StackId", STACK_ID), ("AWS::Partition", "aws"), ("AWS::URLSuffix", "amazonaws.com"),
])
def test_ref_of_pseudo_parameters(name: str, expected: str) -> None:
    assert output(f"!Ref {name}") == expected


def test_ref_of_a_parameter_and_of_a_resource() -> None:
    assert output("!Ref P") == "pv"
    assert output("!Ref Bucket") == "my-bucket"


def test_ref_of_an_undeclared_name_is_refused() -> None:
    with pytest.raises(TemplateError, match=r"Unresolved resource dependencies \[Nope\]"):
        output("!Ref Nope")


def test_getatt_both_forms() -> None:
    assert output("!GetAtt Bucket.Arn") == "arn:aws:s3:::my-bucket"
    assert output("{'Fn::GetAtt': [Bucket, DomainName]}") == "my-bucket.s3.amazonaws.com"


def test_getatt_of_an_unknown_resource_or_attribute_is_refused() -> None:
    with pytest.raises(TemplateError, match="references undefined resource Nope"):
        output("!GetAtt Nope.Arn")
    with pytest.raises(TemplateError, match="does not support attribute type Colour"):
        output("!GetAtt Bucket.Colour")


def test_getatt_of_a_type_the_fake_does_not_model_is_refused() -> None:
    with pytest.raises(TemplateError, match="resource Topic does not support attribute"):
        output("!GetAtt Topic.TopicArn")


def test_sub_string_form_with_refs_attributes_pseudo_and_escapes() -> None:
    assert output("!Sub '${P}/${Bucket}/${Bucket.Arn}/${AWS::Region}/${!Literal}'") == (
        "pv/my-bucket/arn:aws:s3:::my-bucket/eu-west-1/${Literal}")


def test_sub_list_form_uses_its_own_variables_first() -> None:
    assert output("!Sub ['${P}-${X}', {X: !Ref AWS::AccountId, P: local}]") == (
        f"local-{ACCOUNT}")


def test_sub_of_an_undeclared_variable_is_refused() -> None:
    with pytest.raises(TemplateError, match=r"Unresolved resource dependencies \[Missing\]"):
        output("!Sub '${Missing}'")


def test_sub_of_a_list_parameter_is_refused() -> None:
    with pytest.raises(TemplateError, match="does not resolve to a string"):
        output("!Sub '${L}'", "  L: {Type: CommaDelimitedList, Default: 'a,b'}\n"
               "  P: {Type: String, Default: pv}")


def test_join_select_split_and_list_parameters() -> None:
    lists = "  L: {Type: CommaDelimitedList, Default: 'a, b ,c'}\n  P: {Type: String, Default: pv}"
    assert output("!Join ['+', !Ref L]", lists) == "a+b+c"
    assert output("!Select [1, !Ref L]", lists) == "b"
    assert output("!Select ['2', !Split ['/', 'x/y/z']]") == "z"
    assert output("!Join ['', [a, !Ref P, !Ref AWS::NoValue, b]]") == "apvb"


def test_select_past_either_end_is_refused() -> None:
    with pytest.raises(TemplateError, match="cannot select nonexistent value at index 3"):
        output("!Select [3, [a, b, c]]")
    with pytest.raises(TemplateError, match="cannot select nonexistent value at index -1"):
        output("!Select [-1, [a, b, c]]")


def test_join_of_a_non_list_is_refused() -> None:
    with pytest.raises(TemplateError, match="Fn::Join requires a list"):
        output("!Join [',', !Ref P]")


def test_if_and_condition_functions() -> None:
    assert output("!If [IsPv, 'on', 'off']") == "on"
    assert output("!If [IsPv, 'on', 'off']", given={"P": "other"}) == "off"


def test_yaml_booleans_and_numbers_read_as_cloudformation_strings() -> None:
    assert output("!If [IsPv, yes, no]") == "true"
    assert output("5") == "5"


def test_if_only_evaluates_the_branch_it_takes() -> None:
    text = """
Conditions:
  Never: !Equals [a, b]
Resources:
  Key: {Type: AWS::KMS::Key, Condition: Never}
  Topic: {Type: AWS::SNS::Topic}
Outputs:
  Out: {Value: !If [Never, !GetAtt Key.Arn, none]}
"""
    assert instantiate(text).outputs == {"Out": "none"}


@pytest.mark.parametrize(("expression", "message"), [
    ("!If [IsPv, ok, !Ref Nope]", r"Unresolved resource dependencies \[Nope\]"),
    ("!If [IsPv, ok, !GetAtt Nope.Arn]", "references undefined resource Nope"),
    ("!If [IsPv, ok, !Sub '${Nope}']", r"Unresolved resource dependencies \[Nope\]"),
    ("!If [IsPv, ok, !If [Nope, a, b]]", "Unresolved condition dependency Nope"),
])
def test_undeclared_names_are_refused_at_load_even_in_an_untaken_branch(
        expression: str, message: str) -> None:
    text = ("Parameters:\n  P: {Type: String, Default: pv}\n"
            "Conditions:\n  IsPv: !Equals [!Ref P, pv]\n"
            "Resources:\n  Topic: {Type: AWS::SNS::Topic}\n"
            f"Outputs:\n  Out: {{Value: {expression}}}\n")
    with pytest.raises(TemplateError, match=message):
        Template.load(text)


def test_a_resource_condition_nobody_declares_is_refused_at_load() -> None:
    with pytest.raises(TemplateError, match="Unresolved condition dependency Ghost in Topic"):
        Template.load("Resources:\n  Topic: {Type: AWS::SNS::Topic, Condition: Ghost}\n")


def test_if_with_an_undeclared_condition_is_refused() -> None:
    with pytest.raises(TemplateError, match="Unresolved condition dependency Nope"):
        output("!If [Nope, a, b]")


@pytest.mark.parametrize(("condition", "expected"), [
    ("!Equals [!Ref P, pv]", "true"),
    ("!Not [!Equals [!Ref P, pv]]", "false"),
    ("!And [!Equals [a, a], !Condition IsPv]", "true"),
    ("!And [!Equals [a, a], !Equals [a, b]]", "false"),
    ("!Or [!Equals [a, b], !Condition IsPv]", "true"),
    ("!Or [!Equals [a, b], !Equals [c, d]]", "false"),
])
def test_condition_functions(condition: str, expected: str) -> None:
    text = ("Parameters:\n  P: {Type: String, Default: pv}\n"
            f"Conditions:\n  IsPv: !Equals [!Ref P, pv]\n  C: {condition}\n"
            "Resources:\n  Topic: {Type: AWS::SNS::Topic}\n"
            "Outputs:\n  Out: {Value: !If [C, 'true', 'false']}\n")
    assert instantiate(text).outputs["Out"] == expected


def test_a_condition_cannot_reference_a_resource() -> None:
    text = ("Conditions:\n  C: !Equals [!Ref Topic, x]\n"
            "Resources:\n  Topic: {Type: AWS::SNS::Topic}\n"
            "Outputs:\n  Out: {Value: !If [C, a, b]}\n")
    with pytest.raises(TemplateError, match="Cannot reference resources in the Conditions"):
        instantiate(text)


def test_circular_conditions_are_refused() -> None:
    text = ("Conditions:\n  A: !Condition B\n  B: !Not [!Condition A]\n"
            "Resources:\n  Topic: {Type: AWS::SNS::Topic, Condition: A}\n")
    with pytest.raises(TemplateError, match="circular condition dependency"):
        instantiate(text)


def test_condition_functions_outside_conditions_are_refused() -> None:
    with pytest.raises(TemplateError, match="can only be used in Conditions"):
        output("!Equals [a, a]")


def test_import_value_reads_the_exports() -> None:
    exports = {"ml-platform-StudioDomainId": "d-abcdefghijkl"}
    assert output("!ImportValue ml-platform-StudioDomainId", exports=exports) == "d-abcdefghijkl"
    assert output("!ImportValue {'Fn::Sub': 'ml-platform-${P}'}",
                  exports={"ml-platform-pv": "x"}) == "x"


def test_import_value_of_a_missing_export_is_refused_like_cloudformation() -> None:
    with pytest.raises(TemplateError) as caught:
        output("!ImportValue ml-platform-StudioDomainId")
    assert str(caught.value) == "No export named ml-platform-StudioDomainId found."


def test_find_in_map() -> None:
    assert output("!FindInMap [Sizes, !Ref AWS::Region, big]") == "50"
    with pytest.raises(TemplateError, match="Unable to get mapping for Sizes::eu-west-1::huge"):
        output("!FindInMap [Sizes, !Ref AWS::Region, huge]")


def test_get_azs_defaults_to_the_stack_region() -> None:
    assert output("!Select [0, !GetAZs '']") == "eu-west-1a"
    assert output("!Join [',', !GetAZs us-east-1]") == "us-east-1a,us-east-1b,us-east-1c"


def test_base64() -> None:
    assert base64.b64decode(output("!Base64 'echo ${AWS::Region}'")) == b"echo ${AWS::Region}"
    assert base64.b64decode(output("!Base64 {'Fn::Sub': 'echo ${AWS::Region}'}")) == (
        b"echo eu-west-1")


def test_an_unknown_function_is_refused() -> None:
    with pytest.raises(TemplateError, match="Encountered unsupported function: Fn::Frobnicate"):
        output("{'Fn::Frobnicate': [a]}")


def test_no_value_removes_a_property() -> None:
    text = ("Resources:\n  Bucket:\n    Type: AWS::S3::Bucket\n"
            "    Properties: {BucketName: !Ref AWS::NoValue, Tags: [!Ref AWS::NoValue]}\n")
    (bucket,) = instantiate(text).resources
    assert bucket.properties == {"Tags": []}


def test_sub_writes_yaml_numbers_and_booleans_as_cloudformation_strings() -> None:
    assert output("!Sub ['${N}-${B}', {N: 5, B: true}]") == "5-true"


def test_exported_outputs_are_reported_for_other_stacks() -> None:
    text = """
Conditions:
  Never: !Equals [a, b]
Resources:
  Bucket:
    Type: AWS::S3::Bucket
    Properties: {BucketName: shared-data}
Outputs:
  Name:
    Value: !Ref Bucket
    Export: {Name: !Sub "${AWS::StackName}-DataBucket"}
  Hidden:
    Condition: Never
    Value: x
    Export: {Name: hidden}
  Plain: {Value: y}
"""
    instance = instantiate(text, stack_name="ml-platform")
    assert instance.exports == {"ml-platform-DataBucket": "shared-data"}


def test_an_export_without_a_name_is_refused() -> None:
    text = ("Resources:\n  Topic: {Type: AWS::SNS::Topic}\n"
            "Outputs:\n  Out: {Value: x, Export: {}}\n")
    with pytest.raises(TemplateError, match="The Export must have a Name"):
        instantiate(text)


def test_an_unknown_top_level_section_is_refused() -> None:
    with pytest.raises(TemplateError, match=r"Invalid template property or properties \[Res"):
        Template.load("Resource: {}\nResources:\n  Topic: {Type: AWS::SNS::Topic}\n")


def test_a_transform_is_refused_rather_than_ignored() -> None:
    with pytest.raises(TemplateError, match="does not run Transform macros"):
        Template.load("Transform: AWS::Serverless-2016-10-31\n"
                      "Resources:\n  Topic: {Type: AWS::SNS::Topic}\n")


def test_malformed_yaml_is_a_template_error() -> None:
    with pytest.raises(TemplateError, match="Template format error"):
        Template.load("Resources: [\n")
    with pytest.raises(TemplateError, match="At least one Resources member"):
        Template.load("Description: nothing\n")
