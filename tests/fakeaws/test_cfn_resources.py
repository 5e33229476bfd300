"""Resource naming, Ref/Fn::GetAtt semantics, creation order and conditions."""

from __future__ import annotations

import json
import re
from pathlib import Path

import botocore.session
import cfnlint
import pytest
from cfnlint.schema.manager import PROVIDER_SCHEMA_MANAGER

from fakeaws.cfn import TemplateError, generated_name
from fakeaws.cfn.resources import TYPES

from .cfn_support import ACCOUNT, REGION, STACK_NAME, instantiate, resource

ARN = f"arn:aws:sagemaker:{REGION}:{ACCOUNT}"
NOTEBOOK = """
Resources:
  Notebook:
    Type: AWS::SageMaker::NotebookInstance
    Properties:
      InstanceType: ml.t3.medium
      RoleArn: arn:aws:iam::123456789012:role/r
      {name}
Outputs:
  Ref: {{Value: !Ref Notebook}}
  Name: {{Value: !GetAtt Notebook.NotebookInstanceName}}
"""


def test_notebook_ref_is_the_arn_and_getatt_is_the_name() -> None:
    instance = instantiate(NOTEBOOK.format(name="NotebookInstanceName: Alice-Notebook"))
    assert instance.outputs == {"Ref": f"{ARN}:notebook-instance/alice-notebook",
                                "Name": "Alice-Notebook"}
    notebook = resource(instance, "Notebook")
    assert notebook.name == "Alice-Notebook"
    assert notebook.physical_id == notebook.arn == instance.outputs["Ref"]


def test_an_unnamed_notebook_gets_a_stack_logical_id_suffix_name() -> None:
    instance = instantiate(NOTEBOOK.format(name=""))
    assert instance.outputs["Name"] == f"{STACK_NAME}-Notebook-S00000000001"
    assert instance.outputs["Ref"] == (
        f"{ARN}:notebook-instance/{STACK_NAME.lower()}-notebook-s00000000001")


def test_generated_names_are_cut_in_the_stack_part_first_to_the_type_maximum() -> None:
    long_stack = "SC-123456789012-pp-" + "a" * 40
    name = generated_name(stack_name=long_stack, logical_id="NotebookInstance",
                          suffix="ABCDEFGHIJKL", max_length=63)
    assert len(name) == 63
    assert name.endswith("-NotebookInstance-ABCDEFGHIJKL")
    assert name.startswith("SC-123456789012-pp-aaa")
    assert re.fullmatch(r"[a-zA-Z0-9](-*[a-zA-Z0-9])*", name)


def test_generated_names_cut_the_logical_id_only_when_the_stack_part_is_not_enough() -> None:
    name = generated_name(stack_name="stack", logical_id="L" * 80, suffix="ABCDEFGHIJKL",
                          max_length=63)
    assert len(name) == 63
    assert name.startswith("s-LLL") and name.endswith("L-ABCDEFGHIJKL")


def test_generated_names_never_end_a_part_in_a_hyphen() -> None:
    name = generated_name(stack_name="ab-" + "c" * 60, logical_id="Notebook",
                          suffix="ABCDEFGHIJKL", max_length=24)
    assert "--" not in name and re.fullmatch(r"[a-zA-Z0-9](-*[a-zA-Z0-9])*", name)


def test_short_names_are_not_cut() -> None:
    assert generated_name(stack_name="st", logical_id="Role", suffix="ABCDEFGHIJKL",
                          max_length=64) == "st-Role-ABCDEFGHIJKL"


def test_bucket_names_are_generated_lower_case() -> None:
    instance = instantiate("Resources:\n  Data: {Type: AWS::S3::Bucket}\n")
    assert resource(instance, "Data").physical_id == f"{STACK_NAME.lower()}-data-s00000000001"


def test_user_profile_ref_is_the_arn_with_domain_and_name() -> None:
    text = """
Resources:
  Profile:
    Type: AWS::SageMaker::UserProfile
    Properties: {DomainId: d-abcdefghijkl, UserProfileName: Alice}
Outputs:
  Ref: {Value: !Ref Profile}
  Arn: {Value: !GetAtt Profile.UserProfileArn}
"""
    instance = instantiate(text)
    assert instance.outputs == {"Ref": f"{ARN}:user-profile/d-abcdefghijkl/alice",
                                "Arn": f"{ARN}:user-profile/d-abcdefghijkl/alice"}
    assert resource(instance, "Profile").name == "Alice"


def test_user_profile_needs_a_name_and_a_domain() -> None:
    text = ("Resources:\n  Profile:\n    Type: AWS::SageMaker::UserProfile\n"
            "    Properties: {DomainId: d-abcdefghijkl}\n")
    with pytest.raises(TemplateError, match=r"required key \[UserProfileName\] not found"):
        instantiate(text)


def test_user_profile_has_no_name_attribute() -> None:
    text = """
Resources:
  Profile:
    Type: AWS::SageMaker::UserProfile
    Properties: {DomainId: d-abcdefghijkl, UserProfileName: Alice}
Outputs:
  Name: {Value: !GetAtt Profile.UserProfileName}
"""
    with pytest.raises(TemplateError, match="does not support attribute type UserProfileName"):
        instantiate(text)


def test_domain_ref_is_the_domain_id() -> None:
    text = """
Resources:
  Domain:
    Type: AWS::SageMaker::Domain
    Properties:
      DomainName: platform
      AuthMode: IAM
      DefaultUserSettings: {ExecutionRole: arn:aws:iam::123456789012:role/r}
      SubnetIds: [subnet-01234567]
      VpcId: vpc-01234567
Outputs:
  Ref: {Value: !Ref Domain}
  Id: {Value: !GetAtt Domain.DomainId}
  Arn: {Value: !GetAtt Domain.DomainArn}
  Url: {Value: !GetAtt Domain.Url}
"""
    outputs = instantiate(text).outputs
    assert re.fullmatch(r"d-[a-z0-9]{12}", outputs["Ref"])
    assert outputs["Id"] == outputs["Ref"]
    assert outputs["Arn"] == f"{ARN}:domain/{outputs['Ref']}"
    assert outputs["Url"] == f"https://{outputs['Ref']}.studio.{REGION}.sagemaker.aws"


def test_project_ref_is_the_arn_and_getatt_gives_the_id() -> None:
    text = """
Resources:
  Project:
    Type: AWS::SageMaker::Project
    Properties:
      ProjectName: Fraud-Model
      ServiceCatalogProvisioningDetails: {ProductId: prod-abc, ProvisioningArtifactId: pa-abc}
Outputs:
  Ref: {Value: !Ref Project}
  Arn: {Value: !GetAtt Project.ProjectArn}
  Id: {Value: !GetAtt Project.ProjectId}
"""
    outputs = instantiate(text).outputs
    assert outputs["Ref"] == outputs["Arn"] == f"{ARN}:project/fraud-model"
    assert re.fullmatch(r"p-[a-z0-9]{12}", outputs["Id"])


def test_lifecycle_config_ref_is_the_arn_and_getatt_the_name() -> None:
    text = """
Resources:
  Config:
    Type: AWS::SageMaker::NotebookInstanceLifecycleConfig
    Properties: {NotebookInstanceLifecycleConfigName: on-start}
Outputs:
  Ref: {Value: !Ref Config}
  Name: {Value: !GetAtt Config.NotebookInstanceLifecycleConfigName}
"""
    assert instantiate(text).outputs == {
        "Ref": f"{ARN}:notebook-instance-lifecycle-config/on-start", "Name": "on-start"}


@pytest.mark.parametrize(("type_", "properties", "ref", "attribute", "value"), [
    ("AWS::IAM::Role", "{RoleName: r1, AssumeRolePolicyDocument: {}}", "r1", "Arn",
     f"arn:aws:iam::{ACCOUNT}:role/r1"),
    ("AWS::IAM::Role", "{RoleName: r1, Path: /ml/, AssumeRolePolicyDocument: {}}", "r1", "Arn",
     f"arn:aws:iam::{ACCOUNT}:role/ml/r1"),
    ("AWS::S3::Bucket", "{BucketName: b1}", "b1", "RegionalDomainName",
     f"b1.s3.{REGION}.amazonaws.com"),
    ("AWS::CodeBuild::Project", "{Name: p1, Artifacts: {}, Environment: {}, ServiceRole: r, "
     "Source: {}}", "p1", "Arn", f"arn:aws:codebuild:{REGION}:{ACCOUNT}:project/p1"),
    ("AWS::Events::Rule", "{Name: rule1}", "rule1", "Arn",
     f"arn:aws:events:{REGION}:{ACCOUNT}:rule/rule1"),
    ("AWS::SSM::Parameter", "{Name: /ml/p, Type: String, Value: v}", "/ml/p", "Value", "v"),
])
def test_ref_and_getatt_of_the_supporting_types(type_: str, properties: str, ref: str,
                                                attribute: str, value: str) -> None:
    text = (f"Resources:\n  R:\n    Type: {type_}\n    Properties: {properties}\n"
            f"Outputs:\n  Ref: {{Value: !Ref R}}\n  Att: {{Value: !GetAtt R.{attribute}}}\n")
    assert instantiate(text).outputs == {"Ref": ref, "Att": value}


def test_codecommit_ref_is_the_repository_id_not_the_name() -> None:
    text = """
Resources:
  Repo:
    Type: AWS::CodeCommit::Repository
    Properties: {RepositoryName: model-build}
Outputs:
  Ref: {Value: !Ref Repo}
  Name: {Value: !GetAtt Repo.Name}
  Clone: {Value: !GetAtt Repo.CloneUrlHttp}
"""
    outputs = instantiate(text).outputs
    assert re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}",
                        outputs["Ref"])
    assert outputs["Name"] == "model-build"
    assert outputs["Clone"] == (
        f"https://git-codecommit.{REGION}.amazonaws.com/v1/repos/model-build")


def test_kms_key_ref_is_the_key_id_and_wait_handle_ref_is_a_presigned_url() -> None:
    text = """
Resources:
  Key: {Type: AWS::KMS::Key}
  Handle: {Type: AWS::CloudFormation::WaitConditionHandle}
Outputs:
  Key: {Value: !Ref Key}
  KeyArn: {Value: !GetAtt Key.Arn}
  Handle: {Value: !Ref Handle}
"""
    outputs = instantiate(text).outputs
    assert outputs["KeyArn"] == f"arn:aws:kms:{REGION}:{ACCOUNT}:key/{outputs['Key']}"
    assert outputs["Handle"].startswith(
        f"https://cloudformation-waitcondition-{REGION}.s3.amazonaws.com/")
    assert "X-Amz-Signature=" in outputs["Handle"]


def test_resources_are_created_after_what_they_reference_and_depend_on() -> None:
    text = """
Resources:
  Notebook:
    Type: AWS::SageMaker::NotebookInstance
    DependsOn: Key
    Properties:
      InstanceType: ml.t3.medium
      RoleArn: !Sub "${Role.Arn}"
  Role:
    Type: AWS::IAM::Role
    Properties: {AssumeRolePolicyDocument: {}}
  Key: {Type: AWS::KMS::Key}
  Unrelated: {Type: AWS::SNS::Topic}
"""
    order = [r.logical_id for r in instantiate(text).resources]
    assert order.index("Role") < order.index("Notebook")
    assert order.index("Key") < order.index("Notebook")
    assert order == ["Role", "Key", "Notebook", "Unrelated"]


def test_circular_dependencies_are_refused() -> None:
    text = ("Resources:\n  A: {Type: AWS::SNS::Topic, DependsOn: B}\n"
            "  B: {Type: AWS::SNS::Topic, DependsOn: A}\n")
    with pytest.raises(TemplateError, match=r"Circular dependency between resources: \[A, B\]"):
        instantiate(text)


def test_depends_on_an_undeclared_resource_is_refused() -> None:
    with pytest.raises(TemplateError, match=r"Unresolved resource dependencies \[Ghost\]"):
        instantiate("Resources:\n  A: {Type: AWS::SNS::Topic, DependsOn: [Ghost]}\n")


def test_false_conditions_drop_resources_and_outputs() -> None:
    text = """
Parameters:
  WithKey: {Type: String, Default: "false", AllowedValues: ["true", "false"]}
Conditions:
  CreateKey: !Equals [!Ref WithKey, "true"]
Resources:
  Key: {Type: AWS::KMS::Key, Condition: CreateKey}
  Topic: {Type: AWS::SNS::Topic}
Outputs:
  KeyArn: {Condition: CreateKey, Value: !GetAtt Key.Arn}
  Topic: {Value: !Ref Topic}
  KeyOrNone: {Value: !If [CreateKey, !Ref Key, none]}
"""
    without = instantiate(text)
    assert [r.logical_id for r in without.resources] == ["Topic"]
    assert list(without.outputs) == ["Topic", "KeyOrNone"]
    assert without.outputs["KeyOrNone"] == "none"
    with_key = instantiate(text, {"WithKey": "true"})
    assert [r.logical_id for r in with_key.resources] == ["Key", "Topic"]
    assert list(with_key.outputs) == ["KeyArn", "Topic", "KeyOrNone"]


def test_a_reference_to_a_resource_its_condition_dropped_is_refused() -> None:
    text = """
Conditions:
  Never: !Equals [a, b]
Resources:
  Key: {Type: AWS::KMS::Key, Condition: Never}
Outputs:
  KeyArn: {Value: !GetAtt Key.Arn}
"""
    with pytest.raises(TemplateError, match=r"Unresolved resource dependencies \[Key\]"):
        instantiate(text)


def test_unknown_types_get_a_generated_physical_id() -> None:
    (topic,) = instantiate("Resources:\n  Alerts: {Type: AWS::SNS::Topic}\n").resources
    assert topic.physical_id == f"{STACK_NAME}-Alerts-S00000000001"
    assert topic.attributes == {} and topic.arn == ""


def _registry_schema(type_: str) -> dict[str, object]:
    """The CloudFormation registry schema cfn-lint bundles for ``type_``."""
    data = Path(cfnlint.__file__).parent / "data" / "schemas"
    index = json.loads((data / "providers" / "us-east-1.json").read_text())
    return json.loads((data / "resources" / f"{index[type_]}.json").read_text())


@pytest.mark.parametrize("type_", sorted(TYPES))
def test_replacement_properties_match_the_registry_schema(type_: str) -> None:
    schema = _registry_schema(type_)
    top_level = {path.split("/")[2] for path in schema.get("createOnlyProperties", [])
                 if path.count("/") == 2}
    assert TYPES[type_].replacement == top_level
    conditional = {path.split("/")[2] for path in schema.get(
        "conditionalCreateOnlyProperties", [])}
    assert TYPES[type_].conditional == conditional


@pytest.mark.parametrize("type_", sorted(TYPES))
def test_getatt_accepts_exactly_the_attributes_cloudformation_accepts(type_: str) -> None:
    # S3's metadata-table attributes exist only with a metadata configuration the fake lacks.
    accepted = {name for name in PROVIDER_SCHEMA_MANAGER.get_resource_schema(
        "eu-west-1", type_).get_atts if not name.startswith("Metadata")}
    assert set(TYPES[type_].attributes) == accepted


@pytest.mark.parametrize(("name", "keyword"), [
    ("alice_notebook", "pattern"), ("-alice", "pattern"), ("a" * 64, "maxLength")])
def test_a_name_the_service_refuses_fails_the_resource(name: str, keyword: str) -> None:
    with pytest.raises(TemplateError) as caught:
        instantiate(NOTEBOOK.format(name=f"NotebookInstanceName: '{name}'"))
    assert str(caught.value) == (
        "Properties validation failed for resource Notebook with message: "
        f"#/NotebookInstanceName: failed validation constraint for keyword [{keyword}]")


def test_a_63_character_notebook_name_is_accepted() -> None:
    instance = instantiate(NOTEBOOK.format(name=f"NotebookInstanceName: {'a' * 63}"))
    assert instance.outputs["Name"] == "a" * 63


@pytest.mark.parametrize("type_", sorted(TYPES))
def test_required_properties_and_name_rules_match_the_registry_schema(type_: str) -> None:
    schema = _registry_schema(type_)
    assert set(TYPES[type_].required) == set(schema.get("required", []))  # type: ignore[arg-type]
    spec = TYPES[type_]
    declared = schema["properties"].get(spec.name_property, {})  # type: ignore[attr-defined]
    if "pattern" in declared:  # the Project schema has none: the service model test covers it
        assert declared["pattern"].strip("^$") == spec.name_pattern
        assert spec.max_length <= declared["maxLength"]


@pytest.mark.parametrize(("type_", "operation", "member"), [
    ("AWS::SageMaker::NotebookInstance", "CreateNotebookInstance", "NotebookInstanceName"),
    ("AWS::SageMaker::NotebookInstanceLifecycleConfig", "CreateNotebookInstanceLifecycleConfig",
     "NotebookInstanceLifecycleConfigName"),
    ("AWS::SageMaker::UserProfile", "CreateUserProfile", "UserProfileName"),
    ("AWS::SageMaker::Domain", "CreateDomain", "DomainName"),
    ("AWS::SageMaker::Project", "CreateProject", "ProjectName"),
])
def test_sagemaker_name_rules_match_the_service_model(type_: str, operation: str,
                                                      member: str) -> None:
    model = botocore.session.get_session().get_service_model("sagemaker")
    shape = model.operation_model(operation).input_shape.members[member]
    assert TYPES[type_].max_length == shape.metadata["max"]
    assert TYPES[type_].name_pattern == shape.metadata["pattern"]


MINIMAL = {
    "AWS::SageMaker::NotebookInstance": {"InstanceType": "ml.t3.medium", "RoleArn": "r"},
    "AWS::SageMaker::UserProfile": {"DomainId": "d-abcdefghijkl", "UserProfileName": "a"},
    "AWS::SageMaker::Domain": {"AuthMode": "IAM", "DefaultUserSettings": {},
                               "DomainName": "d"},
    "AWS::SageMaker::Project": {"ProjectName": "p"},
    "AWS::IAM::Role": {"AssumeRolePolicyDocument": {}},
    "AWS::CodeCommit::Repository": {"RepositoryName": "r"},
    "AWS::CodeBuild::Project": {"Artifacts": {}, "Environment": {}, "ServiceRole": "r",
                                "Source": {}},
    "AWS::SSM::Parameter": {"Type": "String", "Value": "v"},
}


@pytest.mark.parametrize("type_", sorted(TYPES))
def test_every_declared_attribute_has_a_value(type_: str) -> None:
    text = json.dumps({"Resources": {"R": {"Type": type_,
                                           "Properties": MINIMAL.get(type_, {})}}})
    (created,) = instantiate(text).resources
    assert set(created.attributes) == set(TYPES[type_].attributes)
