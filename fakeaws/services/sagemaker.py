"""SageMaker: notebook instances, Studio domains and profiles, projects, tags, presigned URLs.

Facts (SageMaker API reference; error texts as SageMaker returns them, e.g. in
aws/amazon-sagemaker-examples#1094 and hashicorp/terraform-provider-aws#16767):
- StartNotebookInstance only from Stopped/Failed, StopNotebookInstance only from InService,
  UpdateNotebookInstance and DeleteNotebookInstance only from Stopped/Failed; otherwise
  ValidationException "Status (<s>) not in ([<allowed>]). Unable to transition to (<to>) for
  Notebook Instance (<arn>)."
- An unknown notebook: ValidationException "RecordNotFound"; an unknown domain/profile/project:
  ResourceNotFound.
- CreatePresignedNotebookInstanceUrl: the URL is valid for 5 minutes;
  SessionExpirationDurationInSeconds 1800-43200. CreatePresignedDomainUrl: ExpiresInSeconds
  5-300 (default 300).
- CreateProject fills the template's SageMakerProjectName/SageMakerProjectId parameters itself;
  ProjectId looks like ``p-`` + 12 lower-case characters.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core import signing
from django.urls import reverse

from fakeaws import clock, faults
from fakeaws.baseline import baseline_ensure
from fakeaws.billing import runs_end, runs_follow
from fakeaws.events import notebook_events
from fakeaws.identity import Caller
from fakeaws.models import NotebookInstance, SageMakerProject, StudioDomain, Tag, UserProfile
from fakeaws.owner import owner_check
from fakeaws.protocol import AwsError, validation
from fakeaws.services.paging import page, page_next_token, page_window
from fakeaws.services.registry import operation
from fakeaws.stacks import new_id, tags_set

SM = "sagemaker"
LAUNCH_SALT = "fakeaws.launch"
NOTEBOOK_URL_SECONDS = 300


def notebook_settle(notebook: NotebookInstance) -> NotebookInstance | None:
    """Apply a due transition; None when a deletion completed."""
    if notebook.next_at is not None and clock.now() >= notebook.next_at:
        if notebook.status == "Deleting":
            runs_end(arn=notebook.arn, at=notebook.next_at)
            notebook.delete()
            return None
        took_effect = notebook.next_at
        notebook.status, notebook.next_status, notebook.next_at = notebook.next_status, "", None
        notebook.save(update_fields=["status", "next_status", "next_at"])
        runs_follow(notebook, at=took_effect)
    return notebook


def _owned_notebook(caller: Caller, region: str, params: dict[str, Any], action: str
                    ) -> NotebookInstance:
    notebook = _notebook(caller, region, params)
    owner_check(caller=caller, action=f"sagemaker:{action}", resource_arn=notebook.arn)
    return notebook


def _notebook(caller: Caller, region: str, params: dict[str, Any]) -> NotebookInstance:
    name = str(params.get("NotebookInstanceName", ""))
    notebook = NotebookInstance.objects.filter(account=caller.account, region=region,
                                               name=name).first()
    notebook = notebook_settle(notebook) if notebook is not None else None
    if notebook is None:
        raise validation("RecordNotFound")
    return notebook


def _move(notebook: NotebookInstance, *, allowed: list[str], to: str, then: str) -> None:
    if notebook.status not in allowed:
        raise validation(f"Status ({notebook.status}) not in ([{', '.join(allowed)}]). Unable "
                         f"to transition to ({to}) for Notebook Instance ({notebook.arn}).")
    seconds = int(getattr(settings, "FAKEAWS_OPERATION_SECONDS", 8))
    notebook.status, notebook.next_status = to, then
    notebook.next_at = clock.now() + timedelta(seconds=seconds)
    notebook.modified_at = clock.now()
    notebook.save()
    if notebook.status != "Pending":  # a start's events follow once its outcome is known
        notebook_events(notebook)
    runs_follow(notebook, at=notebook.modified_at)


def _notebook_detail(nb: NotebookInstance) -> dict[str, Any]:
    detail: dict[str, Any] = {
        "NotebookInstanceArn": nb.arn, "NotebookInstanceName": nb.name,
        "NotebookInstanceStatus": nb.status, "InstanceType": nb.instance_type,
        "RoleArn": nb.role_arn, "KmsKeyId": nb.kms_key_id, "SubnetId": nb.subnet_id,
        "SecurityGroups": nb.security_groups, "DirectInternetAccess": nb.direct_internet_access,
        "VolumeSizeInGB": nb.volume_size_gb, "RootAccess": nb.root_access,
        "PlatformIdentifier": nb.platform_identifier, "CreationTime": nb.created_at,
        "LastModifiedTime": nb.modified_at,
        "InstanceMetadataServiceConfiguration": {"MinimumInstanceMetadataServiceVersion": "2"},
    }
    if nb.status == "InService":
        detail["Url"] = f"{nb.name}.notebook.{nb.region}.sagemaker.aws"
    if nb.status == "Failed":
        detail["FailureReason"] = nb.failure_reason or "Notebook instance failed."
    if nb.lifecycle_config:
        detail["NotebookInstanceLifecycleConfigName"] = nb.lifecycle_config
    return {k: v for k, v in detail.items() if v not in ("", None)}


@operation(SM, "DescribeNotebookInstance")
def describe_notebook_instance(*, caller: Caller, region: str, params: dict[str, Any]
                               ) -> dict[str, Any]:
    return _notebook_detail(_notebook(caller, region, params))


@operation(SM, "ListNotebookInstances")
def list_notebook_instances(*, caller: Caller, region: str, params: dict[str, Any]
                            ) -> dict[str, Any]:
    """Pages of NotebookInstanceSummary: MaxResults 1-100 (botocore's model), default 10;
    SortBy Name (the default), CreationTime or Status; a token not issued here is a
    ValidationException. Only the page's rows are read."""
    mine = NotebookInstance.objects.filter(account=caller.account, region=region)
    for due in mine.filter(next_at__lte=clock.now()):
        notebook_settle(due)
    rows = mine
    if params.get("NameContains"):
        rows = rows.filter(name__contains=str(params["NameContains"]))
    if params.get("StatusEquals"):
        rows = rows.filter(status=str(params["StatusEquals"]))
    key = {"CreationTime": "created_at", "Status": "status"}.get(
        str(params.get("SortBy", "Name")), "name")
    descending = params.get("SortOrder") == "Descending"
    rows = rows.order_by(f"-{key}" if descending else key, "pk")
    start, count = page_window(token=params.get("NextToken"), size=params.get("MaxResults"),
                               default=10, maximum=100, invalid_code="ValidationException")
    chunk = [{"NotebookInstanceName": n.name, "NotebookInstanceArn": n.arn,
              "NotebookInstanceStatus": n.status, "InstanceType": n.instance_type,
              "CreationTime": n.created_at, "LastModifiedTime": n.modified_at}
             for n in rows[start:start + count]]
    token = page_next_token(start=start, count=count, total=rows.count())
    return {"NotebookInstances": chunk, **({"NextToken": token} if token else {})}


@operation(SM, "StartNotebookInstance")
def start_notebook_instance(*, caller: Caller, region: str, params: dict[str, Any]
                            ) -> dict[str, Any]:
    notebook = _owned_notebook(caller, region, params, "StartNotebookInstance")
    _move(notebook, allowed=["Stopped", "Failed"], to="Pending", then="InService")
    # Taken only once the start is accepted, so a refused start leaves the fault pending.
    reason = faults.notebook_failure_take(account=caller.account)
    notebook.failure_reason = reason
    if reason:
        notebook.next_status = "Failed"
    notebook.save(update_fields=["failure_reason", "next_status"])
    notebook_events(notebook)
    return {}


@operation(SM, "StopNotebookInstance")
def stop_notebook_instance(*, caller: Caller, region: str, params: dict[str, Any]
                           ) -> dict[str, Any]:
    _move(_owned_notebook(caller, region, params, "StopNotebookInstance"),
          allowed=["InService"], to="Stopping",
          then="Stopped")
    return {}


@operation(SM, "UpdateNotebookInstance")
def update_notebook_instance(*, caller: Caller, region: str, params: dict[str, Any]
                             ) -> dict[str, Any]:
    notebook = _owned_notebook(caller, region, params, "UpdateNotebookInstance")
    _move(notebook, allowed=["Stopped", "Failed"], to="Updating", then="Stopped")
    if params.get("InstanceType"):
        notebook.instance_type = str(params["InstanceType"])
    if params.get("VolumeSizeInGB"):
        notebook.volume_size_gb = int(params["VolumeSizeInGB"])
    notebook.save()
    return {}


@operation(SM, "DeleteNotebookInstance")
def delete_notebook_instance(*, caller: Caller, region: str, params: dict[str, Any]
                             ) -> dict[str, Any]:
    _move(_owned_notebook(caller, region, params, "DeleteNotebookInstance"),
          allowed=["Stopped", "Failed"], to="Deleting",
          then="")
    return {}


def _base_url() -> str:
    base = getattr(settings, "FAKEAWS_BASE_URL", "") or getattr(settings, "PORTAL_BASE_URL", "")
    return str(base).rstrip("/")


def launch_token(payload: dict[str, Any], *, lifetime: int) -> str:
    """A token signed with the secret key; expiry on the fake's clock (so tests can move it)."""
    expires = (clock.now() + timedelta(seconds=lifetime)).timestamp()
    return signing.dumps({**payload, "exp": expires}, salt=LAUNCH_SALT)


def launch_token_read(token: str) -> dict[str, Any] | None:
    try:
        payload: dict[str, Any] = signing.loads(token, salt=LAUNCH_SALT)
    except (signing.BadSignature, ValueError, TypeError):
        return None
    if not isinstance(payload, dict) or float(payload.get("exp", 0)) <= clock.now().timestamp():
        return None
    return payload


def _session_seconds(params: dict[str, Any]) -> int:
    seconds = int(params.get("SessionExpirationDurationInSeconds", 43200))
    if not 1800 <= seconds <= 43200:
        raise validation("1 validation error detected: Value at "
                         "'sessionExpirationDurationInSeconds' failed to satisfy constraint: "
                         "Member must have value between 1800 and 43200")
    return seconds


@operation(SM, "CreatePresignedNotebookInstanceUrl")
def create_presigned_notebook_instance_url(*, caller: Caller, region: str,
                                           params: dict[str, Any]) -> dict[str, Any]:
    notebook = _owned_notebook(caller, region, params, "CreatePresignedNotebookInstanceUrl")
    token = launch_token({"kind": "notebook", "account": caller.account, "region": region,
                          "name": notebook.name, "session": _session_seconds(params),
                          "principal": caller.arn}, lifetime=NOTEBOOK_URL_SECONDS)
    path = reverse("fakeaws:notebook", args=[region, notebook.name])
    return {"AuthorizedUrl": f"{_base_url()}{path}?authToken={token}"}


def _domain(caller: Caller, region: str, domain_id: Any) -> StudioDomain:
    baseline_ensure(account=caller.account, region=region)
    domain = StudioDomain.objects.filter(account=caller.account, region=region,
                                         domain_id=str(domain_id or "")).first()
    if domain is None:
        raise AwsError("ResourceNotFound", f"Domain {domain_id} not found.")
    return domain


def _profile(caller: Caller, region: str, params: dict[str, Any]) -> UserProfile:
    domain = _domain(caller, region, params.get("DomainId"))
    profile = domain.profiles.filter(name=str(params.get("UserProfileName", ""))).first()
    if profile is not None and profile.next_at is not None and clock.now() >= profile.next_at:
        if profile.status == "Deleting":
            profile.delete()
            profile = None
        else:
            profile.status, profile.next_status, profile.next_at = profile.next_status, "", None
            profile.save()
    if profile is None:
        raise AwsError("ResourceNotFound", f"User profile {params.get('UserProfileName')} "
                       f"not found in domain {domain.domain_id}.")
    return profile


@operation(SM, "CreatePresignedDomainUrl")
def create_presigned_domain_url(*, caller: Caller, region: str, params: dict[str, Any]
                                ) -> dict[str, Any]:
    profile = _profile(caller, region, params)
    owner_check(caller=caller, action="sagemaker:CreatePresignedDomainUrl",
                resource_arn=profile.arn)
    expires = int(params.get("ExpiresInSeconds", 300))
    if not 5 <= expires <= 300:
        raise validation("1 validation error detected: Value at 'expiresInSeconds' failed to "
                         "satisfy constraint: Member must have value between 5 and 300")
    token = launch_token({"kind": "studio", "account": caller.account, "region": region,
                          "domain": profile.domain.domain_id, "name": profile.name,
                          "session": _session_seconds(params), "principal": caller.arn},
                         lifetime=expires)
    path = reverse("fakeaws:studio", args=[region, profile.domain.domain_id, profile.name])
    return {"AuthorizedUrl": f"{_base_url()}{path}?authToken={token}"}


@operation(SM, "DescribeDomain")
def describe_domain(*, caller: Caller, region: str, params: dict[str, Any]) -> dict[str, Any]:
    d = _domain(caller, region, params.get("DomainId"))
    return {"DomainArn": d.arn, "DomainId": d.domain_id, "DomainName": d.name,
            "Status": d.status, "CreationTime": d.created_at, "LastModifiedTime": d.created_at,
            "AuthMode": "IAM", "AppNetworkAccessType": "VpcOnly", "VpcId": d.vpc_id,
            "SubnetIds": d.subnet_ids, "KmsKeyId": d.kms_key_id,
            "DefaultUserSettings": {"ExecutionRole": d.execution_role},
            "Url": f"https://{d.domain_id}.studio.{region}.sagemaker.aws"}


def _profile_detail(p: UserProfile) -> dict[str, Any]:
    detail: dict[str, Any] = {
        "DomainId": p.domain.domain_id, "UserProfileArn": p.arn, "UserProfileName": p.name,
        "Status": p.status, "CreationTime": p.created_at, "LastModifiedTime": p.modified_at}
    user_settings: dict[str, Any] = {}
    if p.execution_role:
        user_settings["ExecutionRole"] = p.execution_role
    if p.idle_settings:
        user_settings["JupyterLabAppSettings"] = {
            "AppLifecycleManagement": {"IdleSettings": dict(p.idle_settings)}}
    if user_settings:
        detail["UserSettings"] = user_settings
    return detail


@operation(SM, "DescribeUserProfile")
def describe_user_profile(*, caller: Caller, region: str, params: dict[str, Any]
                          ) -> dict[str, Any]:
    return _profile_detail(_profile(caller, region, params))


@operation(SM, "ListUserProfiles")
def list_user_profiles(*, caller: Caller, region: str, params: dict[str, Any]
                       ) -> dict[str, Any]:
    baseline_ensure(account=caller.account, region=region)
    rows = UserProfile.objects.filter(domain__account=caller.account, domain__region=region)
    if params.get("DomainIdEquals"):
        rows = rows.filter(domain__domain_id=params["DomainIdEquals"])
    if params.get("UserProfileNameContains"):
        rows = rows.filter(name__contains=params["UserProfileNameContains"])
    items = [{"DomainId": p.domain.domain_id, "UserProfileName": p.name, "Status": p.status,
              "CreationTime": p.created_at, "LastModifiedTime": p.modified_at}
             for p in rows.select_related("domain").order_by("created_at", "id")]
    chunk, token = page(items, token=params.get("NextToken"), size=params.get("MaxResults"),
                        default=10, maximum=100, invalid_code="ValidationException")
    return {"UserProfiles": chunk, **({"NextToken": token} if token else {})}


@operation(SM, "ListTags")
def list_tags(*, caller: Caller, region: str, params: dict[str, Any]) -> dict[str, Any]:
    arn = str(params.get("ResourceArn", ""))
    tags = Tag.objects.filter(account=caller.account, resource_arn=arn).order_by("key")
    items = [{"Key": t.key, "Value": t.value} for t in tags]
    chunk, token = page(items, token=params.get("NextToken"), size=params.get("MaxResults"),
                        default=50, maximum=10000, invalid_code="ValidationException")
    return {"Tags": chunk, **({"NextToken": token} if token else {})}


@operation(SM, "AddTags")
def add_tags(*, caller: Caller, region: str, params: dict[str, Any]) -> dict[str, Any]:
    tags = {str(t["Key"]): str(t.get("Value", "")) for t in params.get("Tags", [])}
    if any(k.startswith("aws:") for k in tags):
        # The aws: prefix is reserved (tagging docs).
        raise validation("Tag keys starting with 'aws:' are reserved for AWS use.")
    tags_set(account=caller.account, region=region, arn=str(params.get("ResourceArn", "")),
             tags=tags)
    return {"Tags": [{"Key": k, "Value": v} for k, v in tags.items()]}


__all__ = ["SageMakerProject", "launch_token_read", "new_id"]
