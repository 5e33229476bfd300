"""The generated policy pack: parliament finds nothing of medium severity or more in any
document, and each guardrail and trust condition decides the exact calls as AWS would
(fakeaws.iam_policy, the fake's IAM-lite)."""

from __future__ import annotations

import json
from typing import Any

import parliament
import pytest
from parliament.cli import is_finding_filtered

from fakeaws.hook import attach
from fakeaws.iam_policy import Call, decision
from portal.aws import aws_client
from portal.models import Project, User
from portal.policy_pack import (
    SCP_MAX_CHARS,
    PolicyDocument,
    PolicyPackUnavailable,
    guardrails_scp,
    policy_pack,
    trust_policy,
)
from provisioning.backends import aws_session_for
from tests.provisioning import fake_portal

pytestmark = pytest.mark.django_db
fake_aws = fake_portal.fake_aws
PORTAL_ARN = "arn:aws:iam::999999999999:user/ml-portal"
LAUNCH_ROLE = "arn:aws:iam::111111111111:role/ServiceCatalogLaunchRole"
PROJECT_ROLE = "arn:aws:iam::111111111111:role/ml-portal-provisioning"
# IAM refuses a Resource element in a role's trust policy ("Has prohibited field Resource"), and
# parliament 1.6.4 has no resource-policy mode: for trust documents only, this one finding is
# expected. parliament knows every SageMaker condition key used (sagemaker:DirectInternetAccess
# and sagemaker:RootAccess on CreateNotebookInstance, RootAccess on UpdateNotebookInstance), so
# no private auditor or config override is needed for them.
TRUST_HAS_NO_RESOURCE = ("MALFORMED", "Statement contains neither Resource nor NotResource")


def lint(document: PolicyDocument) -> list[tuple[str, str, Any]]:
    policy = parliament.analyze_policy_string(document.json_text(),
                                              include_community_auditors=True)
    found = []
    for finding in policy.findings:
        finding = parliament.enhance_finding(finding)
        if is_finding_filtered(finding, "MEDIUM"):
            continue
        if document.kind == "trust" and (finding.issue, finding.detail) == TRUST_HAS_NO_RESOURCE:
            continue
        found.append((finding.issue, finding.severity, finding.detail))
    return found


@pytest.fixture
def projects(project: Project, other_project: Project) -> list[Project]:
    project.aws_external_id = "ext-fraud"
    project.save()
    return [project, other_project]


@pytest.mark.parametrize("configuration", [
    {},
    {"PORTAL_POLICY_OWNER_MATCH": "userid"},
    {"PORTAL_TAG_KEYS_RENAMED": {"owner": "OwnerId", "cost-center": "CostCenter"}},
])
def test_parliament_finds_nothing_of_medium_severity_or_more(
        projects: list[Project], settings: Any, configuration: dict[str, Any]) -> None:
    for name, value in configuration.items():
        if name == "PORTAL_TAG_KEYS_RENAMED":
            settings.PORTAL_TAG_KEYS = {**settings.PORTAL_TAG_KEYS, **value}
        else:
            setattr(settings, name, value)
    documents = policy_pack(projects=projects)
    assert [d.name for d in documents] == [
        "scp-guardrails", f"{projects[0].slug}-trust", f"{projects[0].slug}-permissions",
        f"{projects[1].slug}-trust", f"{projects[1].slug}-permissions"]
    for document in documents:
        assert lint(document) == [], document.name


def test_the_linter_does_report_a_bad_document() -> None:
    """The lint above can fail: parliament flags an unknown condition key on an action."""
    bad = PolicyDocument(name="bad", kind="permissions", title="bad", body={
        "Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Action": "sagemaker:StartNotebookInstance",
            "Resource": "*", "Condition": {"StringEquals": {"sagemaker:RootAccess": "x"}}}]})
    assert [f[0] for f in lint(bad)] == ["UNKNOWN_CONDITION_FOR_ACTION"]


def test_the_scp_has_no_principal_only_denies_and_fits_the_size_limit(
        projects: list[Project], settings: Any) -> None:
    scp = policy_pack(projects=projects)[0]
    assert len(scp.json_text()) <= SCP_MAX_CHARS
    assert json.loads(scp.json_text()) == scp.body
    assert {s["Effect"] for s in scp.body["Statement"]} == {"Deny"}
    assert not any("Principal" in s for s in scp.body["Statement"])
    settings.PORTAL_TAG_KEYS = {**settings.PORTAL_TAG_KEYS, "owner": "o" * 2000}
    with pytest.raises(PolicyPackUnavailable, match="5120"):
        policy_pack(projects=projects)


def create_notebook(principal: str, **overrides: Any) -> str:
    """CreateNotebookInstance as CloudFormation makes it under a launch role, tags from the
    provisioned product's (the portal's required tags)."""
    tags = {"owner": "AROAEXAMPLE:dana", "department": "DS", "cost-center": "CC-1",
            "project": "fraud", "environment": "dev"}
    context: dict[str, Any] = {"aws:PrincipalArn": principal,
                               "sagemaker:DirectInternetAccess": "Disabled",
                               "sagemaker:RootAccess": "Disabled",
                               **{f"aws:RequestTag/{k}": v for k, v in tags.items()},
                               "aws:TagKeys": list(tags)}
    for key, value in overrides.items():
        if value is None:
            context.pop(key, None)
        else:
            context[key] = value
    return scp_decision("sagemaker:CreateNotebookInstance", context)


def scp_decision(action: str, context: dict[str, Any]) -> str:
    allow_all = {"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
    return decision(call=Call(action=action, resource="*", context=context),
                    policies=[allow_all], scps=[guardrails_scp()])


def test_the_scp_lets_the_launch_role_create_a_locked_down_tagged_notebook() -> None:
    assert create_notebook(LAUNCH_ROLE) == "allowed"
    assert create_notebook(LAUNCH_ROLE.replace("111111111111", "333333333333")) == "allowed"


def test_the_scp_denies_creation_by_anyone_but_the_launch_role() -> None:
    assert create_notebook(PROJECT_ROLE) == "explicit-deny"
    assert create_notebook("arn:aws:iam::111111111111:user/dana") == "explicit-deny"


@pytest.mark.parametrize("key, value", [
    ("sagemaker:DirectInternetAccess", "Enabled"),
    ("sagemaker:DirectInternetAccess", None),  # AWS's default is Enabled
    ("sagemaker:RootAccess", "Enabled"),
    ("sagemaker:RootAccess", None),  # AWS's default is Enabled
    ("aws:RequestTag/owner", None), ("aws:RequestTag/department", None),
    ("aws:RequestTag/cost-center", None), ("aws:RequestTag/project", None),
    ("aws:RequestTag/environment", None),
])
def test_the_scp_denies_internet_root_access_and_missing_tags(key: str, value: Any) -> None:
    assert create_notebook(LAUNCH_ROLE, **{key: value}) == "explicit-deny"


def test_the_scp_denies_enabling_root_access_on_update_only() -> None:
    update = "sagemaker:UpdateNotebookInstance"
    assert scp_decision(update, {"aws:PrincipalArn": LAUNCH_ROLE}) == "allowed"
    assert scp_decision(update, {"aws:PrincipalArn": LAUNCH_ROLE,
                                 "sagemaker:RootAccess": "Enabled"}) == "explicit-deny"


def test_the_scp_keeps_the_owner_tag_to_the_launch_role() -> None:
    owner_change = {"aws:TagKeys": ["Owner"], "aws:PrincipalArn": PROJECT_ROLE}
    assert scp_decision("sagemaker:AddTags", owner_change) == "explicit-deny"
    assert scp_decision("sagemaker:DeleteTags", owner_change) == "explicit-deny"
    assert scp_decision("sagemaker:AddTags", {**owner_change, "aws:TagKeys": ["purpose"]}
                        ) == "allowed"
    assert scp_decision("sagemaker:AddTags", {**owner_change, "aws:PrincipalArn": LAUNCH_ROLE}
                        ) == "allowed"


ASSUME_ROLE_CALLS: list[dict[str, Any]] = []


def assume_role_recording_hook(client: Any) -> None:
    """The fake's hook, plus a record of each AssumeRole request as the portal sends it."""
    attach(client)
    client.meta.events.register(
        "provide-client-params.sts.AssumeRole",
        lambda params, **_: ASSUME_ROLE_CALLS.append(dict(params)))


def trust_call(params: dict[str, Any], principal: str, action: str) -> Call:
    """The request context STS builds for AssumeRole (and its TagSession/SetSourceIdentity)."""
    tags = {t["Key"]: t["Value"] for t in params.get("Tags", [])}
    context: dict[str, Any] = {f"aws:RequestTag/{k}": v for k, v in tags.items()}
    if tags:
        context["aws:TagKeys"] = list(tags)
    for name, key in (("ExternalId", "sts:ExternalId"), ("SourceIdentity", "sts:SourceIdentity"),
                      ("RoleSessionName", "sts:RoleSessionName")):
        if name in params:
            context[key] = params[name]
    return Call(action=action, resource=params["RoleArn"], principal=principal, context=context)


def test_the_trust_policy_admits_the_portals_own_assume_role_calls(
        fake_aws: Any, project: Project, scientist: User, settings: Any) -> None:
    settings.PORTAL_AWS_PORTAL_PRINCIPAL_ARN = PORTAL_ARN
    settings.PORTAL_AWS_CLIENT_HOOK = f"{__name__}.assume_role_recording_hook"
    ASSUME_ROLE_CALLS.clear()
    for actor in (scientist, None):
        session = aws_session_for(project=project, actor=actor)
        aws_client("sts", project=project, session=session).get_caller_identity()
    assert len(ASSUME_ROLE_CALLS) == 2
    trust = trust_policy(project)
    for params in ASSUME_ROLE_CALLS:
        needed = ["sts:AssumeRole", "sts:SetSourceIdentity"]
        needed += ["sts:TagSession"] if params.get("Tags") else []
        for action in needed:
            call = trust_call(params, PORTAL_ARN, action)
            assert decision(call=call, policies=[trust]) == "allowed", (action, params)
            # Anyone else, or without the external id: refused.
            other = Call(action=action, resource=call.resource, context=call.context,
                         principal="arn:aws:iam::111111111111:role/someone")
            assert decision(call=other, policies=[trust]) == "implicit-deny"
    first = ASSUME_ROLE_CALLS[0]
    wrong_id = trust_call({**first, "ExternalId": "guess"}, PORTAL_ARN, "sts:AssumeRole")
    assert decision(call=wrong_id, policies=[trust]) == "implicit-deny"
    no_source = trust_call({k: v for k, v in first.items() if k != "SourceIdentity"},
                           PORTAL_ARN, "sts:AssumeRole")
    assert decision(call=no_source, policies=[trust]) == "implicit-deny"
    extra_tag = trust_call({**first, "Tags": [*first["Tags"], {"Key": "admin", "Value": "y"}]},
                           PORTAL_ARN, "sts:TagSession")
    assert decision(call=extra_tag, policies=[trust]) == "implicit-deny"


def test_aws_mode_without_the_portals_principal_says_what_to_set(
        project: Project, settings: Any) -> None:
    settings.PORTAL_AWS_MODE = "aws"
    settings.PORTAL_AWS_PORTAL_PRINCIPAL_ARN = ""
    with pytest.raises(PolicyPackUnavailable, match="PORTAL_AWS_PORTAL_PRINCIPAL_ARN"):
        policy_pack(projects=[project])
