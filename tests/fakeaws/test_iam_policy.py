"""IAM-lite policy evaluation behaves as the IAM user guide documents (fakeaws.iam_policy)."""

from __future__ import annotations

from typing import Any

import pytest

from fakeaws.iam_policy import Call, decision

NB = "arn:aws:sagemaker:eu-west-1:111111111111:notebook-instance/dana-nb"


def allow(condition: dict[str, Any] | None = None, *, action: Any = "sagemaker:Stop*",
          resource: Any = "arn:aws:sagemaker:*:111111111111:notebook-instance/*"
          ) -> dict[str, Any]:
    statement: dict[str, Any] = {"Effect": "Allow", "Action": action, "Resource": resource}
    if condition is not None:
        statement["Condition"] = condition
    return {"Version": "2012-10-17", "Statement": [statement]}


def verdict(policy: dict[str, Any], context: dict[str, Any] | None = None, *,
            action: str = "sagemaker:StopNotebookInstance", resource: str = NB) -> str:
    return decision(call=Call(action=action, resource=resource, context=context or {}),
                    policies=[policy])


def test_actions_match_without_case_resources_with_case() -> None:
    assert verdict(allow(), action="SageMaker:stopNotebookInstance") == "allowed"
    assert verdict(allow(), action="sagemaker:StartNotebookInstance") == "implicit-deny"
    assert verdict(allow(), resource=NB.replace("notebook", "Notebook")) == "implicit-deny"
    assert verdict(allow(resource="arn:aws:sagemaker:*:111111111111:notebook-instance/dana-n?"),
                   ) == "allowed"


def test_an_explicit_deny_wins_over_an_allow() -> None:
    policy = allow()
    policy["Statement"].append({"Effect": "Deny", "Action": "*", "Resource": "*"})
    assert verdict(policy) == "explicit-deny"


def test_a_policy_variable_compares_the_resource_tag_with_the_principal_tag() -> None:
    policy = allow({"StringEquals": {"aws:ResourceTag/owner": "${aws:PrincipalTag/owner}"}})
    assert verdict(policy, {"aws:ResourceTag/owner": "dana", "aws:PrincipalTag/owner": "dana"}
                   ) == "allowed"
    assert verdict(policy, {"aws:ResourceTag/owner": "dana", "aws:PrincipalTag/owner": "colin"}
                   ) == "implicit-deny"
    # The variable's key absent (an untagged session): the condition is false.
    assert verdict(policy, {"aws:ResourceTag/owner": "dana"}) == "implicit-deny"
    # The tag absent from the resource: false as well.
    assert verdict(policy, {"aws:PrincipalTag/owner": "dana"}) == "implicit-deny"
    # Key names are case-insensitive, values exact.
    assert verdict(policy, {"AWS:resourcetag/Owner": "dana", "aws:principaltag/OWNER": "dana"}
                   ) == "allowed"
    assert verdict(policy, {"aws:ResourceTag/owner": "Dana", "aws:PrincipalTag/owner": "dana"}
                   ) == "implicit-deny"


def test_negated_operators_are_true_when_the_key_is_absent() -> None:
    policy = allow({"StringNotEquals": {"sagemaker:RootAccess": "Enabled"}})
    assert verdict(policy) == "allowed"
    assert verdict(policy, {"sagemaker:RootAccess": "Enabled"}) == "implicit-deny"
    assert verdict(policy, {"sagemaker:RootAccess": "Disabled"}) == "allowed"
    like = allow({"ArnNotLike": {"aws:PrincipalArn": "arn:*:iam::*:role/Launch"}})
    assert verdict(like) == "allowed"
    assert verdict(like, {"aws:PrincipalArn": "arn:aws:iam::1:role/Launch"}) == "implicit-deny"


def test_positive_operators_are_false_when_the_key_is_absent_unless_if_exists() -> None:
    assert verdict(allow({"StringEquals": {"sagemaker:RootAccess": "Disabled"}})
                   ) == "implicit-deny"
    if_exists = allow({"StringEqualsIfExists": {"sagemaker:RootAccess": "Disabled"}})
    assert verdict(if_exists) == "allowed"
    assert verdict(if_exists, {"sagemaker:RootAccess": "Enabled"}) == "implicit-deny"


def test_null_tests_presence() -> None:
    missing = allow({"Null": {"aws:RequestTag/owner": "true"}})
    assert verdict(missing) == "allowed"
    assert verdict(missing, {"aws:RequestTag/owner": "x"}) == "implicit-deny"
    present = allow({"Null": {"aws:RequestTag/owner": "false"}})
    assert verdict(present, {"aws:RequestTag/owner": "x"}) == "allowed"


def test_set_operators_over_a_multivalued_key() -> None:
    only_owner = allow({"ForAllValues:StringEquals": {"aws:TagKeys": ["owner"]}})
    assert verdict(only_owner, {"aws:TagKeys": ["owner"]}) == "allowed"
    assert verdict(only_owner, {"aws:TagKeys": ["owner", "admin"]}) == "implicit-deny"
    assert verdict(only_owner) == "allowed"  # no tags at all: the empty set
    any_owner = allow({"ForAnyValue:StringEqualsIgnoreCase": {"aws:TagKeys": ["owner"]}})
    assert verdict(any_owner, {"aws:TagKeys": ["project", "OWNER"]}) == "allowed"
    assert verdict(any_owner, {"aws:TagKeys": ["project"]}) == "implicit-deny"
    assert verdict(any_owner) == "implicit-deny"


def test_all_operators_and_keys_must_hold_and_values_of_one_key_are_ored() -> None:
    policy = allow({"StringEquals": {"aws:PrincipalTag/team": ["a", "b"]},
                    "Bool": {"aws:SecureTransport": "true"}})
    assert verdict(policy, {"aws:PrincipalTag/team": "b", "aws:SecureTransport": "true"}
                   ) == "allowed"
    assert verdict(policy, {"aws:PrincipalTag/team": "b", "aws:SecureTransport": "false"}
                   ) == "implicit-deny"


def test_a_principal_element_names_who_the_resource_policy_applies_to() -> None:
    trust = {"Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                            "Principal": {"AWS": "arn:aws:iam::999999999999:root"}}]}
    ok = Call(action="sts:AssumeRole", principal="arn:aws:iam::999999999999:user/ml-portal")
    other = Call(action="sts:AssumeRole", principal="arn:aws:iam::888888888888:user/ml-portal")
    assert decision(call=ok, policies=[trust]) == "allowed"
    assert decision(call=other, policies=[trust]) == "implicit-deny"


def test_an_operator_it_does_not_know_is_refused_not_guessed() -> None:
    with pytest.raises(ValueError, match="NumericLessThan"):
        verdict(allow({"NumericLessThan": {"s3:max-keys": "10"}}), {"s3:max-keys": "5"})


def test_an_scp_denies_but_never_grants() -> None:
    scp = {"Statement": [{"Effect": "Deny", "Action": "sagemaker:CreateNotebookInstance",
                          "Resource": "*"}]}
    create = Call(action="sagemaker:CreateNotebookInstance", resource="*")
    assert decision(call=create, policies=[allow(action="*", resource="*")], scps=[scp]
                    ) == "explicit-deny"
    stop = Call(action="sagemaker:StopNotebookInstance", resource=NB)
    assert decision(call=stop, policies=[], scps=[scp]) == "implicit-deny"
    with pytest.raises(ValueError):
        decision(call=stop, policies=[], scps=[allow()])
