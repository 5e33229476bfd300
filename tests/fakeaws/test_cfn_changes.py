"""Updates: which changes replace a resource, what a change-set preview reports."""

from __future__ import annotations

import pytest

from fakeaws.cfn import Template, TemplateError

from .cfn_support import context, resource

TEMPLATE = Template.load("""
Parameters:
  Name: {Type: String, Default: nb1}
  InstanceType: {Type: String, Default: ml.t3.medium}
  SubnetId: {Type: 'AWS::EC2::Subnet::Id', Default: subnet-01234567}
  WithAlerts: {Type: String, Default: "no"}
Conditions:
  Alerts: !Equals [!Ref WithAlerts, "yes"]
Resources:
  Role:
    Type: AWS::IAM::Role
    Properties: {AssumeRolePolicyDocument: {}}
  Notebook:
    Type: AWS::SageMaker::NotebookInstance
    Properties:
      NotebookInstanceName: !Ref Name
      InstanceType: !Ref InstanceType
      SubnetId: !Ref SubnetId
      RoleArn: !GetAtt Role.Arn
  Topic: {Type: AWS::SNS::Topic, Condition: Alerts}
  Watcher:
    Type: AWS::SSM::Parameter
    Properties: {Type: String, Value: !Ref Notebook}
Outputs:
  Arn: {Value: !Ref Notebook}
""")


def created(**parameters: str):  # type: ignore[no-untyped-def]
    return TEMPLATE.instantiate(context=context(parameters))


def test_an_in_place_change_is_a_modify_without_replacement() -> None:
    old = created()
    changes = TEMPLATE.changes(old=old, context=context({"InstanceType": "ml.m5.xlarge"}))
    assert [(c.logical_id, c.action, c.replacement, c.properties) for c in changes] == [
        ("Notebook", "Modify", "False", ["InstanceType"])]
    assert changes[0].physical_id == resource(old, "Notebook").physical_id


def test_a_change_of_a_replacing_property_is_reported_as_replacement() -> None:
    changes = TEMPLATE.changes(old=created(), context=context({"SubnetId": "subnet-89abcdef"}))
    notebook = [c for c in changes if c.logical_id == "Notebook"]
    assert [(c.action, c.replacement, c.properties) for c in notebook] == [
        ("Modify", "True", ["SubnetId"])]


def test_renaming_replaces_and_what_references_the_replaced_resource_may_change() -> None:
    changes = TEMPLATE.changes(old=created(), context=context({"Name": "nb2"}))
    by_id = {c.logical_id: c for c in changes}
    assert (by_id["Notebook"].replacement, by_id["Notebook"].properties) == (
        "True", ["NotebookInstanceName"])
    # The SSM parameter's value is the notebook ARN, unknown until the new notebook exists.
    assert by_id["Watcher"].action == "Modify"
    assert by_id["Watcher"].properties == ["Value"]
    assert by_id["Watcher"].replacement == "Conditional"


def test_a_resource_whose_condition_turns_true_is_added_and_false_removed() -> None:
    old = created()
    added = TEMPLATE.changes(old=old, context=context({"WithAlerts": "yes"}))
    assert [(c.logical_id, c.action) for c in added] == [("Topic", "Add")]
    with_topic = created(WithAlerts="yes")
    removed = TEMPLATE.changes(old=with_topic, context=context({}))
    assert [(c.logical_id, c.action, c.physical_id) for c in removed] == [
        ("Topic", "Remove", resource(with_topic, "Topic").physical_id)]


def test_no_change_no_lines() -> None:
    assert TEMPLATE.changes(old=created(), context=context({})) == []


def test_an_update_keeps_identities_unless_a_replacing_property_changes() -> None:
    old = created()
    existing = {r.logical_id: r for r in old.resources}
    # A fresh suffix source: anything created anew would get a name it never had before.
    kept = TEMPLATE.instantiate(context=context({"InstanceType": "ml.m5.xlarge"},
                                                existing=existing, suffix=lambda: "NEWSUFFIX000"))
    assert resource(kept, "Notebook").physical_id == resource(old, "Notebook").physical_id
    assert resource(kept, "Notebook").properties["InstanceType"] == "ml.m5.xlarge"
    assert resource(kept, "Role").arn == resource(old, "Role").arn

    replaced = TEMPLATE.instantiate(context=context({"Name": "nb2"}, existing=existing,
                                                    suffix=lambda: "NEWSUFFIX000"))
    assert replaced.outputs["Arn"].endswith(":notebook-instance/nb2")
    assert resource(replaced, "Watcher").properties["Value"] == replaced.outputs["Arn"]
    assert resource(replaced, "Role").arn == resource(old, "Role").arn


def test_a_generated_name_changes_when_its_resource_is_replaced() -> None:
    template = Template.load("""
Parameters:
  Subnet: {Type: 'AWS::EC2::Subnet::Id'}
Resources:
  Notebook:
    Type: AWS::SageMaker::NotebookInstance
    Properties: {InstanceType: ml.t3.medium, RoleArn: r, SubnetId: !Ref Subnet}
""")
    old = template.instantiate(context=context({"Subnet": "subnet-01234567"}))
    existing = {r.logical_id: r for r in old.resources}
    new = template.instantiate(context=context({"Subnet": "subnet-89abcdef"}, existing=existing,
                                               suffix=lambda: "NEWSUFFIX000"))
    assert resource(new, "Notebook").name.endswith("-Notebook-NEWSUFFIX000")
    assert resource(new, "Notebook").name != resource(old, "Notebook").name


def test_changing_a_resource_type_is_refused_like_cloudformation() -> None:
    other = Template.load("Resources:\n  Role: {Type: AWS::SNS::Topic}\n")
    old = created()
    existing = {r.logical_id: r for r in old.resources}
    message = ("Update of resource type is not permitted. The new template modifies resource "
               "type of the following resources: [Role]")
    with pytest.raises(TemplateError) as caught:
        other.instantiate(context=context({}, existing=existing))
    assert str(caught.value) == message
    with pytest.raises(TemplateError):
        other.changes(old=old, context=context({}))


def test_a_resource_left_out_of_a_new_template_version_is_removed() -> None:
    smaller = Template.load("Resources:\n  Role:\n    Type: AWS::IAM::Role\n"
                            "    Properties: {AssumeRolePolicyDocument: {}}\n")
    old = created()
    changes = smaller.changes(old=old, context=context({}))
    assert [(c.logical_id, c.action) for c in changes] == [
        ("Notebook", "Remove"), ("Watcher", "Remove")]
