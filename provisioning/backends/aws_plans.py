"""Service Catalog plan calls of the aws backend: the change preview a day-2 request is approved on.

Facts relied on (Service Catalog API reference, CreateProvisionedProductPlan,
DescribeProvisionedProductPlan, ExecuteProvisionedProductPlan, DeleteProvisionedProductPlan):
- CreateProvisionedProductPlan takes PlanName, PlanType (only ``CLOUDFORMATION``), ProductId,
  ProvisionedProductName, ProvisioningArtifactId, optional PathId, ProvisioningParameters
  ({Key, Value, UsePreviousValue}, the update's shape), IdempotencyToken (required,
  ``[a-zA-Z0-9][a-zA-Z0-9_-]*``, at most 128) and Tags; it answers PlanId. "You can create one plan
  for each provisioned product"; for an existing one its status must be AVAILABLE or TAINTED.
  A plan includes the resources to be created (provisioning) or modified (updating): there is no
  plan for a termination.
- DescribeProvisionedProductPlan answers ProvisionedProductPlanDetails (Status CREATE_IN_PROGRESS
  | CREATE_SUCCESS | CREATE_FAILED | EXECUTE_IN_PROGRESS | EXECUTE_SUCCESS | EXECUTE_FAILED,
  StatusMessage) and ResourceChanges[] ({Action ADD|MODIFY|REMOVE|IMPORT, LogicalResourceId,
  PhysicalResourceId, ResourceType, Replacement TRUE|FALSE|CONDITIONAL, Scope[], Details[] of
  {Target {Attribute, Name, RequiresRecreation}, Evaluation, CausingEntity}}), paged by PageToken.
- ExecuteProvisionedProductPlan takes PlanId and IdempotencyToken and answers a RecordDetail,
  followed with DescribeRecord like any update.
- DeleteProvisionedProductPlan takes PlanId (IgnoreErrors optional).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Any

from provisioning.backends.base import RecordStatus, Tag

PLAN_DONE = frozenset({"CREATE_SUCCESS", "CREATE_FAILED"})


@dataclass(frozen=True)
class PlanStatus:
    """DescribeProvisionedProductPlan: the plan's status, message and resource changes (as AWS
    gives them)."""

    plan_id: str
    status: str
    status_message: str = ""
    changes: list[dict[str, Any]] = field(default_factory=list)

    @property
    def finished(self) -> bool:
        return self.status in PLAN_DONE


@dataclass(frozen=True)
class PlanOrder:
    """What to plan: an update of the provisioned product ``name`` to a version and values; the
    keys in ``previous`` keep their value (UsePreviousValue)."""

    plan_name: str
    product_id: str
    artifact_id: str
    path_id: str
    name: str
    parameters: Mapping[str, str]
    previous: Sequence[str]
    tags: Sequence[Tag]
    token: str


def _change(change: Mapping[str, Any]) -> dict[str, Any]:
    """A ResourceChange as the portal keeps it: the names of the properties that cause it, and
    of those the ones that recreate it."""
    row: dict[str, Any] = {key: str(change.get(key, "")) for key in (
        "Action", "LogicalResourceId", "PhysicalResourceId", "ResourceType", "Replacement")}
    details = [d.get("Target") or {} for d in change.get("Details") or []]
    row["Properties"] = sorted({str(t.get("Name", "")) for t in details} - {""})
    # The ones whose change recreates the resource (RequiresRecreation is per property).
    row["Recreates"] = sorted({str(t.get("Name", "")) for t in details
                               if t.get("RequiresRecreation") in ("ALWAYS", "CONDITIONALLY")}
                              - {""})
    return row


class ProvisionedProductPlanCalls:
    """Mixed into ``AwsBackend``, which provides ``_client``, ``_errors`` and ``_record``."""

    def _client(self, service: str) -> Any:  # pragma: no cover - provided by AwsBackend
        raise NotImplementedError

    def _errors(self, operation: str) -> AbstractContextManager[None]:  # pragma: no cover
        raise NotImplementedError

    def _record(self, detail: Mapping[str, Any], outputs: Sequence[Mapping[str, Any]] = ()
                ) -> RecordStatus:  # pragma: no cover - provided by AwsBackend
        raise NotImplementedError

    def create_provisioned_product_plan(self, *, order: PlanOrder) -> str:
        """CreateProvisionedProductPlan (CLOUDFORMATION); the new plan's id."""
        kept = [key for key in order.previous if key not in order.parameters]
        kwargs: dict[str, Any] = {
            "PlanName": order.plan_name, "PlanType": "CLOUDFORMATION",
            "ProductId": order.product_id, "ProvisionedProductName": order.name,
            "ProvisioningArtifactId": order.artifact_id,
            "ProvisioningParameters": [{"Key": k, "Value": str(v)}
                                       for k, v in order.parameters.items()]
            + [{"Key": key, "UsePreviousValue": True} for key in kept],
            "IdempotencyToken": order.token,
            "Tags": [{"Key": t.key, "Value": t.value} for t in order.tags],
        }
        if order.path_id:
            kwargs["PathId"] = order.path_id
        with self._errors("CreateProvisionedProductPlan"):
            response = self._client("servicecatalog").create_provisioned_product_plan(**kwargs)
        return str(response["PlanId"])

    def describe_provisioned_product_plan(self, *, plan_id: str) -> PlanStatus:
        """DescribeProvisionedProductPlan, every page of its resource changes."""
        client = self._client("servicecatalog")
        kwargs: dict[str, Any] = {"PlanId": plan_id, "PageSize": 20}
        changes: list[dict[str, Any]] = []
        with self._errors("DescribeProvisionedProductPlan"):
            while True:
                response = client.describe_provisioned_product_plan(**kwargs)
                changes.extend(_change(row) for row in response.get("ResourceChanges") or [])
                token = response.get("NextPageToken")
                if not token:
                    break
                kwargs["PageToken"] = token
        details = response.get("ProvisionedProductPlanDetails") or {}
        return PlanStatus(plan_id=plan_id, status=str(details.get("Status", "")),
                          status_message=str(details.get("StatusMessage", "")), changes=changes)

    def execute_provisioned_product_plan(self, *, plan_id: str, token: str) -> RecordStatus:
        with self._errors("ExecuteProvisionedProductPlan"):
            response = self._client("servicecatalog").execute_provisioned_product_plan(
                PlanId=plan_id, IdempotencyToken=token)
        return self._record(response["RecordDetail"])

    def delete_provisioned_product_plan(self, *, plan_id: str) -> None:
        with self._errors("DeleteProvisionedProductPlan"):
            self._client("servicecatalog").delete_provisioned_product_plan(PlanId=plan_id)
