"""Resource types the fake knows: naming, Ref and Fn::GetAtt values, ARNs, replacement rules.

Facts from the CloudFormation resource reference ("Return values" and "Update requires" of each
type) and the registry schemas they are generated from (``primaryIdentifier``,
``createOnlyProperties``, ``readOnlyProperties``; cfn-lint bundles them and a test checks this
table against them):
- AWS::SageMaker::NotebookInstance — Ref returns the ARN; GetAtt NotebookInstanceName (and
  NotebookInstanceArn, a read-only property of the registry schema). Name
  property NotebookInstanceName (pattern ``^[a-zA-Z0-9](-*[a-zA-Z0-9])*``, max 63). Replaced when
  DirectInternetAccess, KmsKeyId, NotebookInstanceName, PlatformIdentifier, SecurityGroupIds or
  SubnetId change.
- AWS::SageMaker::NotebookInstanceLifecycleConfig — Ref returns the ARN; GetAtt
  NotebookInstanceLifecycleConfigName and …Arn; name max 63; replaced when the name changes.
- AWS::SageMaker::UserProfile — Ref returns the ARN; GetAtt UserProfileArn; DomainId and
  UserProfileName are required and replace the profile; ARN ``user-profile/<domain>/<name>``.
- AWS::SageMaker::Domain — Ref returns the DomainId; GetAtt DomainArn, DomainId, Url,
  HomeEfsFileSystemId, SecurityGroupIdForDomainBoundary, SingleSignOn… .
- AWS::SageMaker::Project — Ref returns the ProjectArn; GetAtt ProjectArn, ProjectId,
  CreationTime, ProjectStatus; ProjectName max 32 and every property but none replaces it.
- AWS::IAM::Role — Ref returns the RoleName; GetAtt Arn, RoleId; RoleName max 64.
- AWS::KMS::Key — Ref returns the KeyId; GetAtt Arn, KeyId; no name.
- AWS::S3::Bucket — Ref returns the bucket name; GetAtt Arn, DomainName, RegionalDomainName,
  DualStackDomainName, WebsiteURL; names max 63, lower case.
- AWS::CodeCommit::Repository — Ref returns the RepositoryId; GetAtt Arn, CloneUrlHttp,
  CloneUrlSsh, Name, RepositoryId; RepositoryName required.
- AWS::CodeBuild::Project — Ref returns the project name; GetAtt Arn, Id; Name replaces it.
- AWS::Events::Rule — Ref returns the rule name; GetAtt Arn, RuleName; Name max 64 replaces it.
- AWS::SSM::Parameter — Ref returns the parameter name; GetAtt Type, Value, Arn, Name and the
  other properties it echoes.
- AWS::CloudFormation::WaitConditionHandle — Ref (and GetAtt Id) return a presigned URL.
The GetAtt lists equal what cfn-lint's schemas accept (a test checks), S3's metadata-table
attributes aside.
SageMaker builds ARNs from the lower-cased resource name (``…:notebook-instance/mynotebook``):
observed behaviour the docs do not state; whoever parses a name out of an ARN must compare it
case-insensitively.
"""

from __future__ import annotations

import hashlib
import re
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from .errors import TemplateError
from .idle_settings import idle_settings_read


@dataclass(frozen=True)
class PhysicalResource:
    """One created resource: what Ref returns, its own name, ARN, GetAtt values, properties."""

    logical_id: str
    type: str
    physical_id: str
    name: str
    arn: str
    attributes: dict[str, str]
    properties: dict[str, Any]


@dataclass(frozen=True)
class Naming:
    """What a builder needs to name and identify one resource."""

    account: str
    region: str
    partition: str
    stack_name: str
    stack_id: str
    logical_id: str
    suffix: Callable[[], str]


@dataclass(frozen=True)
class ResourceType:
    """How CloudFormation names and identifies one resource type."""

    name_property: str | None
    max_length: int
    name_pattern: str | None = None
    lowercase: bool = False
    required: tuple[str, ...] = ()
    replacement: frozenset[str] = frozenset()
    conditional: frozenset[str] = frozenset()
    attributes: tuple[str, ...] = ()
    build: Callable[[Naming, str, Mapping[str, Any]], tuple[str, str, dict[str, str]]] | None = (
        field(default=None)
    )


def generated_name(*, stack_name: str, logical_id: str, suffix: str, max_length: int,
                   lowercase: bool = False) -> str:
    """``<stack>-<LogicalId>-<SUFFIX>``, shortened the way CloudFormation shortens it.

    CloudFormation keeps the random suffix and the logical id and cuts the stack-name part first
    (observed: ``MyStackDev-MyNestedApplicationStack-MyLambdaFunctionName-1U44TLUZ7OR55`` became
    ``MyStackDev-MyNestedApplicatio-MyLambdaFunctionName-1U44TLUZ7OR55`` for a 64-character
    limit); only when that is not enough is the logical id cut too.
    """
    room = max_length - len(suffix) - 2
    stack_part, logical_part = stack_name, logical_id
    if len(stack_part) + len(logical_part) > room:
        stack_part = stack_part[: max(room - len(logical_part), 1)]
        logical_part = logical_part[: max(room - len(stack_part), 1)]
    # A name must not end in a hyphen where the cut fell on one.
    name = f"{stack_part.rstrip('-')}-{logical_part}-{suffix}"
    return name.lower() if lowercase else name


def _id_from(naming: Naming, salt: str) -> str:
    """A stable-looking random identifier, reproducible when the suffix function is."""
    return hashlib.sha256(f"{naming.stack_id}/{naming.logical_id}/{salt}".encode()).hexdigest()


def _arn(n: Naming, service: str, resource: str, *, region: bool = True,
         account: bool = True) -> str:
    return (f"arn:{n.partition}:{service}:{n.region if region else ''}:"
            f"{n.account if account else ''}:{resource}")


# Each builder returns (Ref value, ARN, GetAtt values) for the resource named ``name``.
def _notebook(n: Naming, name: str, props: Mapping[str, Any]) -> tuple[str, str, dict[str, str]]:
    arn = _arn(n, "sagemaker", f"notebook-instance/{name.lower()}")
    return arn, arn, {"NotebookInstanceName": name, "NotebookInstanceArn": arn}


def _lifecycle(n: Naming, name: str, props: Mapping[str, Any]) -> tuple[str, str, dict[str, str]]:
    arn = _arn(n, "sagemaker", f"notebook-instance-lifecycle-config/{name.lower()}")
    return arn, arn, {"NotebookInstanceLifecycleConfigName": name,
                      "NotebookInstanceLifecycleConfigArn": arn}


def _profile(n: Naming, name: str, props: Mapping[str, Any]) -> tuple[str, str, dict[str, str]]:
    arn = _arn(n, "sagemaker", f"user-profile/{props['DomainId']}/{name.lower()}")
    return arn, arn, {"UserProfileArn": arn}


def _domain(n: Naming, name: str, props: Mapping[str, Any]) -> tuple[str, str, dict[str, str]]:
    domain_id = "d-" + n.suffix().lower()
    arn = _arn(n, "sagemaker", f"domain/{domain_id}")
    digest = _id_from(n, domain_id)
    return domain_id, arn, {
        "DomainArn": arn, "DomainId": domain_id,
        "Url": f"https://{domain_id}.studio.{n.region}.sagemaker.aws",
        "HomeEfsFileSystemId": f"fs-{digest[:17]}",
        "SecurityGroupIdForDomainBoundary": f"sg-{digest[17:34]}",
        "SingleSignOnApplicationArn": "", "SingleSignOnManagedApplicationInstanceId": "",
    }


def _project(n: Naming, name: str, props: Mapping[str, Any]) -> tuple[str, str, dict[str, str]]:
    arn = _arn(n, "sagemaker", f"project/{name.lower()}")
    return arn, arn, {
        "ProjectArn": arn, "ProjectId": "p-" + n.suffix().lower(),
        "CreationTime": "", "ProjectStatus": "CreateCompleted",
    }


def _role(n: Naming, name: str, props: Mapping[str, Any]) -> tuple[str, str, dict[str, str]]:
    path = str(props.get("Path", "/"))
    arn = _arn(n, "iam", f"role{path}{name}", region=False)
    role_id = "AROA" + _id_from(n, name)[:17].upper()
    return name, arn, {"Arn": arn, "RoleId": role_id}


def _key(n: Naming, name: str, props: Mapping[str, Any]) -> tuple[str, str, dict[str, str]]:
    key_id = str(uuid.UUID(_id_from(n, n.suffix())[:32]))
    arn = _arn(n, "kms", f"key/{key_id}")
    return key_id, arn, {"Arn": arn, "KeyId": key_id}


def _bucket(n: Naming, name: str, props: Mapping[str, Any]) -> tuple[str, str, dict[str, str]]:
    arn = _arn(n, "s3", name, region=False, account=False)
    return name, arn, {
        "Arn": arn, "DomainName": f"{name}.s3.amazonaws.com",
        "RegionalDomainName": f"{name}.s3.{n.region}.amazonaws.com",
        "DualStackDomainName": f"{name}.s3.dualstack.{n.region}.amazonaws.com",
        "WebsiteURL": f"http://{name}.s3-website.{n.region}.amazonaws.com",
    }


def _repository(n: Naming, name: str,
                props: Mapping[str, Any]) -> tuple[str, str, dict[str, str]]:
    repository_id = str(uuid.UUID(_id_from(n, name)[:32]))
    host = f"git-codecommit.{n.region}.amazonaws.com"
    arn = _arn(n, "codecommit", name)
    return repository_id, arn, {
        "Arn": arn, "Name": name, "RepositoryId": repository_id,
        "CloneUrlHttp": f"https://{host}/v1/repos/{name}",
        "CloneUrlSsh": f"ssh://{host}/v1/repos/{name}",
    }


def _build_project(n: Naming, name: str,
                   props: Mapping[str, Any]) -> tuple[str, str, dict[str, str]]:
    arn = _arn(n, "codebuild", f"project/{name}")
    return name, arn, {"Arn": arn, "Id": name}


def _rule(n: Naming, name: str, props: Mapping[str, Any]) -> tuple[str, str, dict[str, str]]:
    bus = str(props.get("EventBusName", "default"))
    arn = _arn(n, "events", f"rule/{name}" if bus == "default" else f"rule/{bus}/{name}")
    return name, arn, {"Arn": arn, "RuleName": name}


def _parameter(n: Naming, name: str, props: Mapping[str, Any]) -> tuple[str, str, dict[str, str]]:
    arn = _arn(n, "ssm", f"parameter/{name.lstrip('/')}")
    return name, arn, {"Arn": arn, "Name": name, **_parameter_echoes(props)}


def _parameter_echoes(props: Mapping[str, Any]) -> dict[str, str]:
    """SSM::Parameter's GetAtt values that repeat its properties (with the service defaults)."""
    return {"Type": str(props.get("Type", "String")), "Value": str(props.get("Value", "")),
            "AllowedPattern": str(props.get("AllowedPattern", "")),
            "DataType": str(props.get("DataType", "text")),
            "Description": str(props.get("Description", "")),
            "Policies": str(props.get("Policies", "")),
            "Tier": str(props.get("Tier", "Standard"))}


def _wait_handle(n: Naming, name: str,
                 props: Mapping[str, Any]) -> tuple[str, str, dict[str, str]]:
    # A presigned S3 URL; the signature is a secret, so callers must not log or show it.
    signature = _id_from(n, n.suffix())[:40]
    stack = n.stack_id.replace(":", "%3A").replace("/", "%2F")
    url = (f"https://cloudformation-waitcondition-{n.region}.s3.amazonaws.com/"
           f"{stack}%2F{n.logical_id}?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Signature={signature}")
    return url, "", {"Id": url}


# SageMaker's API model (botocore) limits these names to 63 characters of this pattern; the
# registry schema of NotebookInstance says 64, but the service refuses a 64th character.
_SAGEMAKER_NAME = 63
_SAGEMAKER_PATTERN = r"[a-zA-Z0-9](-*[a-zA-Z0-9])*"
TYPES: dict[str, ResourceType] = {
    "AWS::SageMaker::NotebookInstance": ResourceType(
        name_property="NotebookInstanceName", max_length=_SAGEMAKER_NAME,
        name_pattern=_SAGEMAKER_PATTERN, required=("InstanceType", "RoleArn"),
        # "Update requires: Replacement" in the resource reference; every other property
        # (InstanceType, VolumeSizeInGB, RootAccess, LifecycleConfigName, RoleArn, Tags, the
        # code repositories) is "No interruption": a resize is never a replacement.
        replacement=frozenset({"DirectInternetAccess", "KmsKeyId", "NotebookInstanceName",
                               "PlatformIdentifier", "SecurityGroupIds", "SubnetId"}),
        attributes=("NotebookInstanceName", "NotebookInstanceArn"), build=_notebook),
    "AWS::SageMaker::NotebookInstanceLifecycleConfig": ResourceType(
        name_property="NotebookInstanceLifecycleConfigName", max_length=_SAGEMAKER_NAME,
        name_pattern=_SAGEMAKER_PATTERN,
        replacement=frozenset({"NotebookInstanceLifecycleConfigName"}),
        attributes=("NotebookInstanceLifecycleConfigName", "NotebookInstanceLifecycleConfigArn"),
        build=_lifecycle),
    "AWS::SageMaker::UserProfile": ResourceType(
        name_property="UserProfileName", max_length=_SAGEMAKER_NAME,
        name_pattern=r"[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}", required=("DomainId", "UserProfileName"),
        replacement=frozenset({"DomainId", "UserProfileName", "SingleSignOnUserIdentifier",
                               "SingleSignOnUserValue"}),
        attributes=("UserProfileArn",), build=_profile),
    "AWS::SageMaker::Domain": ResourceType(
        name_property="DomainName", max_length=_SAGEMAKER_NAME,
        name_pattern=r"[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}",
        required=("AuthMode", "DefaultUserSettings", "DomainName"),
        replacement=frozenset({"AuthMode", "DomainName", "KmsKeyId"}),
        conditional=frozenset({"VpcId"}),
        attributes=("DomainArn", "DomainId", "Url", "HomeEfsFileSystemId",
                    "SecurityGroupIdForDomainBoundary", "SingleSignOnApplicationArn",
                    "SingleSignOnManagedApplicationInstanceId"), build=_domain),
    "AWS::SageMaker::Project": ResourceType(
        name_property="ProjectName", max_length=32,
        name_pattern=r"[a-zA-Z0-9](-*[a-zA-Z0-9]){0,31}", required=("ProjectName",),
        replacement=frozenset({"ProjectName", "ProjectDescription", "Tags",
                               "ServiceCatalogProvisioningDetails", "TemplateProviderDetails"}),
        attributes=("ProjectArn", "ProjectId", "CreationTime", "ProjectStatus"),
        build=_project),
    "AWS::IAM::Role": ResourceType(
        name_property="RoleName", max_length=64, name_pattern=r"[\w+=,.@-]+",
        required=("AssumeRolePolicyDocument",),
        replacement=frozenset({"Path", "RoleName"}), attributes=("Arn", "RoleId"),
        build=_role),
    "AWS::KMS::Key": ResourceType(
        name_property=None, max_length=0, attributes=("Arn", "KeyId"), build=_key),
    "AWS::S3::Bucket": ResourceType(
        name_property="BucketName", max_length=63, lowercase=True,
        name_pattern=r"([a-z0-9][a-z0-9.-]*[a-z0-9])?",
        replacement=frozenset({"BucketName", "BucketNamePrefix", "BucketNamespace"}),
        attributes=("Arn", "DomainName", "DualStackDomainName", "RegionalDomainName",
                    "WebsiteURL"), build=_bucket),
    "AWS::CodeCommit::Repository": ResourceType(
        name_property="RepositoryName", max_length=100, required=("RepositoryName",),
        name_pattern=r"[a-zA-Z0-9._\-]+(?<!\.git)",
        attributes=("Arn", "CloneUrlHttp", "CloneUrlSsh", "Name", "RepositoryId"),
        build=_repository),
    "AWS::CodeBuild::Project": ResourceType(
        name_property="Name", max_length=150,
        required=("Artifacts", "Environment", "ServiceRole", "Source"),
        replacement=frozenset({"Name"}), attributes=("Arn", "Id"), build=_build_project),
    "AWS::Events::Rule": ResourceType(
        name_property="Name", max_length=64, name_pattern=r"[\.\-_A-Za-z0-9]+",
        replacement=frozenset({"Name"}),
        conditional=frozenset({"EventBusName"}), attributes=("Arn", "RuleName"), build=_rule),
    "AWS::SSM::Parameter": ResourceType(
        name_property="Name", max_length=2048, required=("Type", "Value"),
        replacement=frozenset({"Name"}),
        attributes=("AllowedPattern", "Arn", "DataType", "Description", "Name", "Policies",
                    "Tier", "Type", "Value"), build=_parameter),
    "AWS::CloudFormation::WaitConditionHandle": ResourceType(
        name_property=None, max_length=0, attributes=("Id",), build=_wait_handle),
}
# Any other type: a generated physical id, no attributes (CloudFormation's usual id length).
GENERIC = ResourceType(name_property=None, max_length=128)


def resource_type(type_: str) -> ResourceType:
    """The naming and identity rules of ``type_`` (a generic rule for types the fake lacks)."""
    return TYPES.get(type_, GENERIC)


def resource_build(*, naming: Naming, type_: str, properties: dict[str, Any],
                   previous: PhysicalResource | None = None) -> PhysicalResource:
    """Create (or, given ``previous``, keep the identity of) one resource.

    A missing required property is refused with the registry's validation message.
    """
    spec = resource_type(type_)
    missing = [name for name in spec.required if name not in properties]
    if missing:
        raise TemplateError(
            f"Properties validation failed for resource {naming.logical_id} with message: "
            f"#: required key [{missing[0]}] not found")
    if type_ == "AWS::SageMaker::UserProfile":
        idle_settings_read(properties, logical_id=naming.logical_id)
    if previous is not None:
        return PhysicalResource(
            logical_id=naming.logical_id, type=type_, physical_id=previous.physical_id,
            name=previous.name, arn=previous.arn, attributes=_refreshed(spec, previous,
                                                                        properties),
            properties=properties)
    name = ""
    if spec.name_property and properties.get(spec.name_property) not in (None, ""):
        name = str(properties[spec.name_property])
        _check_name(spec, naming.logical_id, name)
    elif spec.name_property or spec.build is None:
        name = generated_name(stack_name=naming.stack_name, logical_id=naming.logical_id,
                              suffix=naming.suffix(), max_length=spec.max_length,
                              lowercase=spec.lowercase)
    if spec.build is None:
        return PhysicalResource(logical_id=naming.logical_id, type=type_, physical_id=name,
                                name="", arn="", attributes={}, properties=properties)
    physical_id, arn, attributes = spec.build(naming, name, properties)
    return PhysicalResource(logical_id=naming.logical_id, type=type_, physical_id=physical_id,
                            name=name, arn=arn, attributes=attributes, properties=properties)


def _check_name(spec: ResourceType, logical_id: str, name: str) -> None:
    """Refuse a name the type's schema refuses (the stack fails: a template without an
    AllowedPattern lets such a value through parameter validation)."""
    keyword = None
    if len(name) > spec.max_length:
        keyword = "maxLength"
    elif spec.name_pattern and not re.fullmatch(spec.name_pattern, name):
        keyword = "pattern"
    if keyword:
        raise TemplateError(f"Properties validation failed for resource {logical_id} with "
                            f"message: #/{spec.name_property}: failed validation constraint "
                            f"for keyword [{keyword}]")


def _refreshed(spec: ResourceType, previous: PhysicalResource,
               properties: Mapping[str, Any]) -> dict[str, str]:
    """Attributes after an in-place update: only property-derived ones can move."""
    attributes = dict(previous.attributes)
    if previous.type == "AWS::SSM::Parameter":
        attributes.update(_parameter_echoes(properties))
    return attributes
