"""The AWS-side policy pack: IAM and SCP documents that make AWS enforce what the portal promises.

Generated from the current configuration (``PORTAL_TAG_KEYS``, ``PORTAL_POLICY_OWNER_MATCH``,
``PORTAL_AWS_PORTAL_PRINCIPAL_ARN``, ``PORTAL_AWS_LAUNCH_ROLE_NAME``) and the active projects'
accounts. Per project: the project role's trust policy and its permissions; for the organisation:
one service control policy (SCP) of guardrails on the project accounts.

AWS facts relied on (IAM user guide, Organizations user guide, SageMaker/Service Catalog service
authorization reference):

- ``aws:PrincipalTag/<key>`` of an assumed-role session is the session tag passed to AssumeRole
  (``sts:TagSession``), which the portal sets to the acting person's owner id; a policy variable
  ``${aws:PrincipalTag/<key>}`` whose key is absent makes the condition false (implicit deny).
- ``aws:userid`` of an assumed-role session is ``<RoleId>:<RoleSessionName>``.
- ``aws:ResourceTag/<key>`` is the resource's tag (SageMaker notebook instances, user profiles,
  projects); condition key names are case-insensitive, ``StringEquals`` values are exact.
- ``aws:PrincipalArn`` of an assumed-role session is the *role's* ARN, so
  ``arn:aws:iam::*:role/<launch role>`` matches every session of the Service Catalog launch role:
  with a launch constraint Service Catalog creates the CloudFormation stack with that role, and
  CloudFormation calls SageMaker with it (nobody else's call to CreateNotebookInstance carries it).
- ``sagemaker:DirectInternetAccess`` and ``sagemaker:RootAccess`` are ``Enabled``/``Disabled``
  on CreateNotebookInstance (RootAccess also on UpdateNotebookInstance); both default to
  ``Enabled`` when the request omits them, so the SCP denies anything but an explicit
  ``Disabled`` on creation (a negated operator is true when the key is absent).
- ``aws:RequestTag/<key>`` holds the tags of a create request (CloudFormation passes the stack's
  tags, which Service Catalog sets from the provisioned product's, on creation); ``Null: true``
  is true when that tag is missing. Several keys in one ``Null`` block are ANDed, so each required
  tag gets a statement of its own.
- SCPs: no ``Principal`` element, only ``Deny`` here (the default ``FullAWSAccess`` SCP keeps
  allowing), at most 5,120 characters; an SCP never applies to the management account.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.http import HttpRequest

from portal.aws import SYSTEM_SESSION_NAME
from portal.models import Project, User
from portal.policy_pack_events import (
    bus_policy,
    forwarding_permissions,
    queue_policy,
    rule_patterns,
)
from portal.services import audit_record

VERSION = "2012-10-17"
SCP_MAX_CHARS = 5120
# The tags the architecture requires on every created resource (names before PORTAL_TAG_KEYS).
REQUIRED_TAGS = ("owner", "department", "cost-center", "project", "environment")
OWNER_ACTIONS_NOTEBOOK = ("sagemaker:CreatePresignedNotebookInstanceUrl",
                          "sagemaker:StartNotebookInstance", "sagemaker:StopNotebookInstance")
# Service Catalog evaluates only servicecatalog:accountLevel/roleLevel/userLevel on these (the
# Service Authorization Reference lists no resource type and no other condition key for them;
# the admin guide's "Example access policies for provisioned product management" applies the
# levels to UpdateProvisionedProduct and TerminateProvisionedProduct): ``userLevel`` ``self``
# is "provisioned products this principal owns", the owner being the session ARN that
# provisioned it or that UpdateProvisionedProductProperties (OWNER) named, which is why the
# portal names each session after the person and a hand-over moves OWNER.
OWNER_ACTIONS_PRODUCT = ("servicecatalog:TerminateProvisionedProduct",
                         "servicecatalog:UpdateProvisionedProduct",
                         "servicecatalog:DescribeProvisionedProductPlan",
                         "servicecatalog:ExecuteProvisionedProductPlan",
                         "servicecatalog:DeleteProvisionedProductPlan")
# Creating a plan changes nothing (the plan is executed, conditioned, above); it takes "*".
PLAN_CREATE_ACTIONS = ("servicecatalog:CreateProvisionedProductPlan",)
# Only the portal's own session (SourceIdentity ml-portal-system, portal.aws) moves an owner:
# UpdateProvisionedProductProperties has no service condition key, aws:SourceIdentity is global.
SYSTEM_ACTIONS_PRODUCT = ("servicecatalog:UpdateProvisionedProductProperties",)
# What reconcile and resource discovery read (these List/Get calls take only "*").
DISCOVERY_READ_ACTIONS = (
    "sagemaker:ListNotebookInstances", "sagemaker:ListUserProfiles", "sagemaker:ListTags",
    "tag:GetResources", "ec2:DescribeSubnets", "ec2:DescribeVpcs",
    "ec2:DescribeSecurityGroups", "kms:ListAliases",
)
CATALOG_READ_ACTIONS = (
    "servicecatalog:DescribeProductAsAdmin", "servicecatalog:DescribeProvisionedProduct",
    "servicecatalog:DescribeProvisioningParameters", "servicecatalog:DescribeRecord",
    "servicecatalog:ListAcceptedPortfolioShares", "servicecatalog:ListLaunchPaths",
    "servicecatalog:ListPortfolios", "servicecatalog:ListProvisioningArtifacts",
    "servicecatalog:SearchProductsAsAdmin", "servicecatalog:SearchProvisionedProducts",
)
_SID_CHARS = re.compile(r"[^A-Za-z0-9]")


class PolicyPackUnavailable(Exception):
    """The configuration lacks what the documents need (said in the message)."""


@dataclass(frozen=True)
class PolicyDocument:
    """One downloadable document: its name (the URL slug), what it is for, and the JSON."""

    name: str
    kind: str  # "trust", "permissions", "scp"; with events: "queue", "bus", "event-pattern"
    title: str
    body: dict[str, Any]
    project: Project | None = None

    def json_text(self) -> str:
        # SCPs count every character AWS is sent (whitespace included): send the compact form.
        if self.kind == "scp":
            return json.dumps(self.body, separators=(",", ":"))
        return json.dumps(self.body, indent=2) + "\n"


def owner_variable() -> str:
    """What a resource's owner tag is compared with (``PORTAL_POLICY_OWNER_MATCH``)."""
    if settings.PORTAL_POLICY_OWNER_MATCH == "userid":
        return "${aws:userid}"
    return "${aws:PrincipalTag/" + settings.PORTAL_TAG_KEYS["owner"] + "}"


def portal_principal_arn() -> str:
    arn = str(settings.PORTAL_AWS_PORTAL_PRINCIPAL_ARN or "")
    if arn:
        return arn
    if settings.PORTAL_AWS_MODE == "fake":
        # The fake's static credentials belong to this IAM user (fakeaws.identity).
        return f"arn:aws:iam::{settings.FAKEAWS_PORTAL_ACCOUNT}:user/ml-portal"
    raise PolicyPackUnavailable("Set PORTAL_AWS_PORTAL_PRINCIPAL_ARN to the ARN of the portal's "
                                "own AWS identity (its role) so the trust policies can name it.")


def _partition(project: Project) -> str:
    return project.aws_role_arn.split(":")[1] if project.aws_role_arn else "aws"


def _owner_condition() -> dict[str, Any]:
    key = settings.PORTAL_TAG_KEYS["owner"]
    return {"StringEquals": {f"aws:ResourceTag/{key}": owner_variable()}}


def trust_policy(project: Project) -> dict[str, Any]:
    """Who may assume the project role: the portal, with the external id, naming who acts."""
    principal = {"AWS": portal_principal_arn()}
    assume: dict[str, Any] = {
        "Sid": "PortalAssumesWithSourceIdentity", "Effect": "Allow", "Principal": principal,
        "Action": "sts:AssumeRole",
        # The portal always sets SourceIdentity (the acting person or ml-portal-system).
        "Condition": {"Null": {"sts:SourceIdentity": "false"}},
    }
    if project.aws_external_id:
        assume["Condition"]["StringEquals"] = {"sts:ExternalId": project.aws_external_id}
    return {"Version": VERSION, "Statement": [
        assume,
        {"Sid": "PortalSetsSourceIdentity", "Effect": "Allow", "Principal": principal,
         "Action": "sts:SetSourceIdentity"},
        # Only the owner session tag: nobody can slip in another principal tag through the portal.
        {"Sid": "PortalTagsSessionWithOwner", "Effect": "Allow", "Principal": principal,
         "Action": "sts:TagSession",
         "Condition": {"ForAllValues:StringEquals": {
             "aws:TagKeys": [settings.PORTAL_TAG_KEYS["owner"]]}}},
    ]}


def permissions_policy(project: Project) -> dict[str, Any]:
    """What the project role may do: read and launch the catalog, act on owned resources only."""
    part, region, account = _partition(project), project.aws_region, project.aws_account_id
    sagemaker = f"arn:{part}:sagemaker:{region}:{account}"
    return {"Version": VERSION, "Statement": [
        # These Service Catalog reads support no resource-level permissions ("*" is required).
        {"Sid": "CatalogRead", "Effect": "Allow", "Action": list(CATALOG_READ_ACTIONS),
         "Resource": "*"},
        {"Sid": "CatalogLaunch", "Effect": "Allow", "Action": "servicecatalog:ProvisionProduct",
         "Resource": f"arn:{part}:catalog:{region}:{account}:product/*"},
        {"Sid": "OwnerOnlyProvisionedProducts", "Effect": "Allow",
         "Action": list(OWNER_ACTIONS_PRODUCT), "Resource": "*",
         "Condition": {"StringEquals": {"servicecatalog:userLevel": "self"}}},
        {"Sid": "ChangePlans", "Effect": "Allow", "Action": list(PLAN_CREATE_ACTIONS),
         "Resource": "*"},
        {"Sid": "PortalMovesOwners", "Effect": "Allow", "Action": list(SYSTEM_ACTIONS_PRODUCT),
         "Resource": "*",
         "Condition": {"StringEquals": {"aws:SourceIdentity": SYSTEM_SESSION_NAME}}},
        {"Sid": "DiscoveryRead", "Effect": "Allow", "Action": list(DISCOVERY_READ_ACTIONS),
         "Resource": "*"},
        {"Sid": "StackResourcesRead", "Effect": "Allow",
         "Action": "cloudformation:ListStackResources",
         "Resource": f"arn:{part}:cloudformation:{region}:{account}:stack/SC-{account}-pp-*/*"},
        {"Sid": "StudioRead", "Effect": "Allow", "Action": "sagemaker:DescribeUserProfile",
         "Resource": f"{sagemaker}:user-profile/*/*"},
        # The hand-over's fallback and discovery tag notebooks; the SCP keeps the owner tag to
        # the launch role (OwnerTagOnlyByLaunchRole), so with it attached only the stack path
        # (a RESOURCE_UPDATE constraint allowing tag updates) moves an owner tag.
        {"Sid": "NotebookTags", "Effect": "Allow", "Action": "sagemaker:AddTags",
         "Resource": f"{sagemaker}:notebook-instance/*"},
        {"Sid": "NotebookRead", "Effect": "Allow", "Action": "sagemaker:DescribeNotebookInstance",
         "Resource": f"{sagemaker}:notebook-instance/*"},
        {"Sid": "OwnerOnlyNotebooks", "Effect": "Allow", "Action": list(OWNER_ACTIONS_NOTEBOOK),
         "Resource": f"{sagemaker}:notebook-instance/*", "Condition": _owner_condition()},
        {"Sid": "OwnerOnlyStudio", "Effect": "Allow",
         "Action": "sagemaker:CreatePresignedDomainUrl",
         "Resource": f"{sagemaker}:user-profile/*/*", "Condition": _owner_condition()},
        {"Sid": "SageMakerProjects", "Effect": "Allow",
         "Action": ["sagemaker:CreateProject", "sagemaker:DescribeProject"],
         "Resource": f"{sagemaker}:project/*"},
        {"Sid": "OwnerOnlySageMakerProjects", "Effect": "Allow",
         "Action": ["sagemaker:DeleteProject", "sagemaker:UpdateProject"],
         "Resource": f"{sagemaker}:project/*", "Condition": _owner_condition()},
        # The daily actuals by the portal-environment tag (Cost Explorer takes no resource).
        {"Sid": "CostExplorerRead", "Effect": "Allow", "Action": "ce:GetCostAndUsage",
         "Resource": "*"},
    ]}


def guardrails_scp() -> dict[str, Any]:
    """The organisation's guardrails on the project accounts (attach to their OU)."""
    launch_role = f"arn:*:iam::*:role/{settings.PORTAL_AWS_LAUNCH_ROLE_NAME}"
    not_launch_role = {"ArnNotLike": {"aws:PrincipalArn": launch_role}}
    statements: list[dict[str, Any]] = [
        {"Sid": "NotebooksOnlyThroughServiceCatalog", "Effect": "Deny",
         "Action": "sagemaker:CreateNotebookInstance", "Resource": "*",
         "Condition": not_launch_role},
        {"Sid": "NoDirectInternetAccess", "Effect": "Deny",
         "Action": "sagemaker:CreateNotebookInstance", "Resource": "*",
         "Condition": {"StringNotEquals": {"sagemaker:DirectInternetAccess": "Disabled"}}},
        {"Sid": "NoRootAccessOnCreate", "Effect": "Deny",
         "Action": "sagemaker:CreateNotebookInstance", "Resource": "*",
         "Condition": {"StringNotEquals": {"sagemaker:RootAccess": "Disabled"}}},
        # An update that leaves RootAccess out keeps the instance's value (Disabled, above).
        {"Sid": "NoRootAccessOnUpdate", "Effect": "Deny",
         "Action": "sagemaker:UpdateNotebookInstance", "Resource": "*",
         "Condition": {"StringEquals": {"sagemaker:RootAccess": "Enabled"}}},
    ]
    for name in REQUIRED_TAGS:
        key = settings.PORTAL_TAG_KEYS[name]
        statements.append({
            "Sid": "RequireTag" + _SID_CHARS.sub("", key.title()), "Effect": "Deny",
            "Action": ["sagemaker:CreateNotebookInstance", "sagemaker:CreateProject",
                       "sagemaker:CreateUserProfile"],
            "Resource": "*", "Condition": {"Null": {f"aws:RequestTag/{key}": "true"}}})
    # The owner condition trusts the owner tag: only the launch role (CloudFormation) sets it.
    statements.append({
        "Sid": "OwnerTagOnlyByLaunchRole", "Effect": "Deny",
        "Action": ["sagemaker:AddTags", "sagemaker:DeleteTags"], "Resource": "*",
        "Condition": {"ForAnyValue:StringEqualsIgnoreCase": {
            "aws:TagKeys": [settings.PORTAL_TAG_KEYS["owner"]]}, **not_launch_role}})
    return {"Version": VERSION, "Statement": statements}


def _event_documents(projects: list[Project]) -> list[PolicyDocument]:
    return [
        PolicyDocument(name="events-queue-policy", kind="queue",
                       title="Events queue policy (SQS, portal account)",
                       body=queue_policy(consumer_arn=portal_principal_arn())),
        PolicyDocument(name="events-bus-policy", kind="bus",
                       title="Central event bus policy (portal account)",
                       body=bus_policy(projects)),
        PolicyDocument(name="events-forwarding-role", kind="permissions",
                       title="Project accounts: role of the forwarding rules",
                       body=forwarding_permissions()),
        PolicyDocument(name="events-rule-patterns", kind="event-pattern",
                       title="EventBridge rules: event patterns (project accounts and bus)",
                       body=rule_patterns()),
    ]


def policy_pack(*, projects: Iterable[Project]) -> list[PolicyDocument]:
    """Every document, the SCP first, then two per project (trust, permissions), then, with
    events on, the event documents (``portal.policy_pack_events``)."""
    documents = [PolicyDocument(
        name="scp-guardrails", kind="scp", title="Service control policy: SageMaker guardrails",
        body=guardrails_scp())]
    projects_seen = list(projects)
    for project in projects_seen:
        documents.append(PolicyDocument(
            name=f"{project.slug}-trust", kind="trust", project=project,
            title=f"{project.name}: project role trust policy", body=trust_policy(project)))
        documents.append(PolicyDocument(
            name=f"{project.slug}-permissions", kind="permissions", project=project,
            title=f"{project.name}: project role permissions", body=permissions_policy(project)))
    if settings.PORTAL_EVENTS_ENABLED:
        documents += _event_documents(list(projects_seen))
    scp = documents[0]
    if len(scp.json_text()) > SCP_MAX_CHARS:
        raise PolicyPackUnavailable(f"The SCP is {len(scp.json_text())} characters; AWS allows "
                                    f"{SCP_MAX_CHARS}. Shorten PORTAL_TAG_KEYS.")
    return documents


# --- Reads and the audited download (platform admins only) -----------------------------------

def policy_pack_for_user(*, user: User) -> list[PolicyDocument] | None:
    """The pack for a platform admin; ``None`` for anyone else (their pages and API answer 404).

    Raises ``PolicyPackUnavailable`` when the configuration lacks what the documents need.
    """
    if not (user.is_authenticated and user.is_catalog_admin):
        return None
    projects = Project.objects.filter(active=True).exclude(aws_account_id="").order_by("slug")
    return policy_pack(projects=projects)


def policy_pack_downloaded(*, user: User, documents: Sequence[PolicyDocument],
                           request: HttpRequest | None = None) -> None:
    """Audit a download (``policy_pack.downloaded``) with the names of the documents taken."""
    project = documents[0].project if len(documents) == 1 else None
    audit_record(action="policy_pack.downloaded", actor=user, request=request, project=project,
                 data={"documents": [d.name for d in documents]})
