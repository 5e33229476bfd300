"""SageMaker projects: CreateProject provisions a Service Catalog product; DescribeProject
follows it; DeleteProject terminates it.

Facts (SageMaker API reference, CreateProject/DescribeProject): ProjectName 1-32 characters
``^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,31}$``; SageMaker passes SageMakerProjectName and
SageMakerProjectId to the template itself; ProjectStatus is Pending, CreateInProgress,
CreateCompleted, CreateFailed, DeleteInProgress, DeleteFailed, DeleteCompleted, Update*.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from fakeaws import clock
from fakeaws.identity import Caller
from fakeaws.models import ProvisionedProduct, Record, SageMakerProject
from fakeaws.protocol import AwsError, validation
from fakeaws.services.registry import operation
from fakeaws.services.sc_provisioning import (
    provision_product,
    terminate_provisioned_product,
    update_provisioned_product,
)
from fakeaws.stacks import consistency_seconds, new_id, record_settle, record_status, tags_set

SM = "sagemaker"
_NAME = re.compile(r"^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,31}$")
_FILLED = ("SageMakerProjectName", "SageMakerProjectId")
_CREATE = {"CREATED": "Pending", "IN_PROGRESS": "CreateInProgress",
           "IN_PROGRESS_IN_ERROR": "CreateInProgress", "SUCCEEDED": "CreateCompleted",
           "FAILED": "CreateFailed"}
_UPDATE = {"CREATED": "UpdateInProgress", "IN_PROGRESS": "UpdateInProgress",
           "IN_PROGRESS_IN_ERROR": "UpdateInProgress", "SUCCEEDED": "UpdateCompleted",
           "FAILED": "UpdateFailed"}
_DELETE = {"CREATED": "DeleteInProgress", "IN_PROGRESS": "DeleteInProgress",
           "IN_PROGRESS_IN_ERROR": "DeleteInProgress", "SUCCEEDED": "DeleteCompleted",
           "FAILED": "DeleteFailed"}


@operation(SM, "CreateProject")
def create_project(*, caller: Caller, region: str, params: dict[str, Any]) -> dict[str, Any]:
    name = str(params.get("ProjectName", ""))
    if not _NAME.match(name):
        raise validation("1 validation error detected: Value at 'projectName' failed to "
                         "satisfy constraint: Member must satisfy regular expression pattern: "
                         "^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,31}$")
    if SageMakerProject.objects.filter(account=caller.account, region=region, name=name,
                                       deleted=False).exists():
        raise validation(f"Project {name} already exists.")
    details = dict(params.get("ServiceCatalogProvisioningDetails") or {})
    given = list(details.get("ProvisioningParameters", []))
    if any(p.get("Key") in _FILLED for p in given):
        raise validation("SageMakerProjectName and SageMakerProjectId are reserved parameters "
                         "that SageMaker sets.")
    project_id = new_id("p-", 12)
    provisioned = provision_product(caller=caller, region=region, params={
        "ProductId": details.get("ProductId"),
        "ProvisioningArtifactId": details.get("ProvisioningArtifactId"),
        "PathId": details.get("PathId"),
        "ProvisionedProductName": f"SageMaker-{name}-{project_id}"[:128],
        "ProvisionToken": project_id,
        "ProvisioningParameters": given + [{"Key": "SageMakerProjectName", "Value": name},
                                           {"Key": "SageMakerProjectId", "Value": project_id}],
        "Tags": [*params.get("Tags", []),
                 {"Key": "sagemaker:project-name", "Value": name},
                 {"Key": "sagemaker:project-id", "Value": project_id}],
    })
    arn = f"arn:aws:sagemaker:{region}:{caller.account}:project/{name.lower()}"
    now = clock.now()
    SageMakerProject.objects.create(
        account=caller.account, region=region, name=name, project_id=project_id, arn=arn,
        description=str(params.get("ProjectDescription", "")), status="Pending",
        product=ProvisionedProduct.objects.get(
            pp_id=provisioned["RecordDetail"]["ProvisionedProductId"]),
        provisioning_details=details, created_by=caller.arn, created_at=now,
        visible_at=now + timedelta(seconds=consistency_seconds()), modified_at=now)
    tags_set(account=caller.account, region=region, arn=arn,
             tags={str(t["Key"]): str(t.get("Value", "")) for t in params.get("Tags", [])})
    return {"ProjectArn": arn, "ProjectId": project_id}


def _project(caller: Caller, region: str, params: dict[str, Any]) -> SageMakerProject:
    project = SageMakerProject.objects.filter(
        account=caller.account, region=region, name=str(params.get("ProjectName", "")),
        deleted=False).select_related("product").first()
    if project is None or clock.now() < project.visible_at:
        raise AwsError("ValidationException", f"Project {params.get('ProjectName')} does not "
                       "exist.")
    return project


def _status(project: SageMakerProject) -> tuple[str, Record | None]:
    record = None
    if project.product is not None:
        record = Record.objects.filter(record_id=project.product.last_record_id).first()
    if record is None:
        return project.status, None
    record = record_settle(record)
    table = {"TERMINATE_PROVISIONED_PRODUCT": _DELETE,
             "UPDATE_PROVISIONED_PRODUCT": _UPDATE}.get(record.record_type, _CREATE)
    return table[record_status(record)], record


@operation(SM, "DescribeProject")
def describe_project(*, caller: Caller, region: str, params: dict[str, Any]) -> dict[str, Any]:
    project = _project(caller, region, params)
    status, record = _status(project)
    if status == "DeleteCompleted":
        project.deleted = True
        project.save(update_fields=["deleted"])
        raise AwsError("ValidationException", f"Project {project.name} does not exist.")
    answer: dict[str, Any] = {
        "ProjectArn": project.arn, "ProjectName": project.name, "ProjectId": project.project_id,
        "ServiceCatalogProvisioningDetails": project.provisioning_details,
        "ProjectStatus": status, "CreationTime": project.created_at,
        "LastModifiedTime": project.modified_at,
        "CreatedBy": {"UserProfileName": "", "DomainId": ""},
    }
    answer["CreatedBy"] = {}
    if project.description:
        answer["ProjectDescription"] = project.description
    if project.product is not None:
        pp: dict[str, Any] = {"ProvisionedProductId": project.product.pp_id}
        if record is not None and record.failure and status.endswith("Failed"):
            pp["ProvisionedProductStatusMessage"] = record.failure
        answer["ServiceCatalogProvisionedProductDetails"] = pp
    return answer


@operation(SM, "DeleteProject")
def delete_project(*, caller: Caller, region: str, params: dict[str, Any]) -> dict[str, Any]:
    project = _project(caller, region, params)
    status, _ = _status(project)
    if status in ("Pending", "CreateInProgress", "DeleteInProgress"):
        raise validation(f"Project {project.name} cannot be deleted while its status is "
                         f"{status}.")
    if project.product is not None and not project.product.terminated:
        terminate_provisioned_product(caller=caller, region=region,
                                      params={"ProvisionedProductId": project.product.pp_id,
                                              "TerminateToken": new_id("del-")})
    return {}


@operation(SM, "UpdateProject")
def update_project(*, caller: Caller, region: str, params: dict[str, Any]) -> dict[str, Any]:
    """Update the project's product; SageMaker re-sends its own two parameters unchanged."""
    project = _project(caller, region, params)
    status, _ = _status(project)
    if status in ("Pending", "CreateInProgress", "UpdateInProgress", "DeleteInProgress"):
        raise validation(f"Project {project.name} cannot be updated while its status is "
                         f"{status}.")
    details = dict(params.get("ServiceCatalogProvisioningUpdateDetails") or {})
    given = list(details.get("ProvisioningParameters", []))
    if any(p.get("Key") in _FILLED for p in given):
        raise validation("SageMakerProjectName and SageMakerProjectId are reserved parameters "
                         "that SageMaker sets.")
    if project.product is None:
        raise validation(f"Project {project.name} has no provisioned product.")
    update_provisioned_product(caller=caller, region=region, params={
        "ProvisionedProductId": project.product.pp_id,
        "ProvisioningArtifactId": details.get("ProvisioningArtifactId")
        or project.product.artifact_id,
        "ProvisioningParameters": given + [{"Key": k, "UsePreviousValue": True}
                                           for k in _FILLED],
        "UpdateToken": new_id("upd-"),
    })
    if params.get("ProjectDescription") is not None:
        project.description = str(params["ProjectDescription"])
    project.modified_at = clock.now()
    project.save(update_fields=["description", "modified_at"])
    if params.get("Tags"):
        tags_set(account=caller.account, region=region, arn=project.arn,
                 tags={str(t["Key"]): str(t.get("Value", "")) for t in params["Tags"]})
    return {"ProjectArn": project.arn}
