"""Service Catalog plans (change sets).

Facts (Service Catalog API reference): CreateProvisionedProductPlan (PlanType CLOUDFORMATION)
previews ResourceChanges with Action ADD/MODIFY/REMOVE and Replacement TRUE/FALSE/CONDITIONAL;
ExecuteProvisionedProductPlan provisions or updates and answers a RecordDetail;
DeleteProvisionedProductPlan removes a plan (PlanId); there is no plan for a termination (plans
list the resources to be created or modified).
(The owner transfer, UpdateProvisionedProductProperties, is in ``sc_owner``.)
"""

from __future__ import annotations

from typing import Any

from fakeaws import clock
from fakeaws.baseline import baseline_ensure
from fakeaws.cfn import PhysicalResource, StackContext, StackInstance, TemplateError
from fakeaws.cfn.resources import resource_type
from fakeaws.identity import Caller
from fakeaws.models import ProvisionedProduct, ProvisionedProductPlan
from fakeaws.protocol import AwsError
from fakeaws.services.registry import operation
from fakeaws.services.sc_provisioning import (
    provision_product,
    update_provisioned_product,
)
from fakeaws.services.servicecatalog import (
    SC,
    invalid,
    not_found,
    path_get,
    product_get,
    template_for,
    version_get,
)
from fakeaws.stacks import new_id

_ACTIONS = {"Add": "ADD", "Modify": "MODIFY", "Remove": "REMOVE"}


def recreation(resource_type_name: str, property_name: str) -> str:
    """A detail's RequiresRecreation, per property as in AWS (not per resource): a notebook
    resized and renamed in one plan says NEVER for InstanceType ("Update requires: No
    interruption" in the AWS::SageMaker::NotebookInstance reference) and ALWAYS for
    NotebookInstanceName ("Replacement"), while the resource's Replacement is TRUE."""
    spec = resource_type(resource_type_name)
    if property_name in spec.replacement:
        return "ALWAYS"
    if property_name in spec.conditional:
        return "CONDITIONALLY"
    return "NEVER"


def _changes(plan: ProvisionedProductPlan, existing: ProvisionedProduct | None
             ) -> list[dict[str, Any]]:
    catalog_product = product_get(plan.product_id)
    template = template_for(version_get(catalog_product, plan.artifact_id))
    given: dict[str, str] = {}
    for given_item in plan.parameters:
        if given_item.get("UsePreviousValue") and existing is not None:
            given[given_item["Key"]] = existing.parameters.get(given_item["Key"], "")
        else:
            given[given_item["Key"]] = str(given_item.get("Value", ""))
    try:
        parameters = dict(template.resolve_parameters(given))
    except TemplateError as error:
        raise invalid(" ".join(getattr(error, "messages", [str(error)]))) from None
    if existing is None:
        return [{"Action": "ADD", "LogicalResourceId": name, "ResourceType": spec["Type"],
                 "Scope": [], "Details": []}
                for name, spec in template.resources.items()]
    base = baseline_ensure(account=existing.account, region=existing.region)
    old = StackInstance(resources=[PhysicalResource(
        logical_id=r.logical_id, type=r.resource_type, physical_id=r.physical_id, name=r.name,
        arn=r.arn, attributes=dict(r.attributes), properties=dict(r.properties))
        for r in existing.resources.order_by("order")], outputs=dict(existing.outputs))
    context = StackContext(account=existing.account, region=existing.region,
                           stack_name=existing.stack_name, stack_id=existing.stack_id,
                           parameters=parameters, exports=base.exports,
                           existing={r.logical_id: r for r in old.resources})
    answer = []
    for change in template.changes(old=old, context=context):
        row: dict[str, Any] = {"Action": _ACTIONS[change.action],
                                "LogicalResourceId": change.logical_id,
                                "ResourceType": change.resource_type,
                                "Scope": ["PROPERTIES"] if change.properties else [],
                                "Details": [{"Target": {"Attribute": "PROPERTIES", "Name": name,
                                                        "RequiresRecreation": recreation(
                                                            change.resource_type, name)},
                                             "Evaluation": "STATIC",
                                             "CausingEntity": name}
                                            for name in change.properties]}
        if change.physical_id:
            row["PhysicalResourceId"] = change.physical_id
        if change.replacement:
            row["Replacement"] = change.replacement.upper()
        answer.append(row)
    return answer


@operation(SC, "CreateProvisionedProductPlan")
def create_provisioned_product_plan(*, caller: Caller, region: str, params: dict[str, Any]
                                    ) -> dict[str, Any]:
    if params.get("PlanType") != "CLOUDFORMATION":
        raise invalid("PlanType must be CLOUDFORMATION.")
    token = str(params.get("IdempotencyToken", ""))
    plan = ProvisionedProductPlan.objects.filter(account=caller.account, token=token).first()
    if plan is None:
        catalog_product = product_get(params.get("ProductId"))
        version = version_get(catalog_product, params.get("ProvisioningArtifactId"))
        path = path_get(catalog_product, params.get("PathId"))
        name = str(params.get("ProvisionedProductName", ""))
        existing = ProvisionedProduct.objects.filter(account=caller.account, region=region,
                                                     name=name, terminated=False).first()
        now = clock.now()
        plan = ProvisionedProductPlan(
            account=caller.account, region=region, plan_id=new_id("pplan-"),
            name=str(params.get("PlanName", "")), token=token, pp_name=name,
            pp_id=existing.pp_id if existing else "", product_id=catalog_product.id,
            artifact_id=version.id, path_id=path.id,
            parameters=list(params.get("ProvisioningParameters", [])),
            tags=list(params.get("Tags", [])), status="CREATE_SUCCESS", created_by=caller.arn,
            created_at=now, updated_at=now)
        plan.changes = _changes(plan, existing)
        plan.save()
    answer = {"PlanName": plan.name, "PlanId": plan.plan_id, "ProvisionedProductName":
              plan.pp_name, "ProvisioningArtifactId": plan.artifact_id}
    if plan.pp_id:
        answer["ProvisionProductId"] = plan.pp_id
    return answer


def _plan(caller: Caller, region: str, plan_id: Any) -> ProvisionedProductPlan:
    plan = ProvisionedProductPlan.objects.filter(account=caller.account, region=region,
                                                 plan_id=str(plan_id or "")).first()
    if plan is None:
        raise not_found(f"Plan {plan_id} not found.")
    return plan


@operation(SC, "DescribeProvisionedProductPlan")
def describe_provisioned_product_plan(*, caller: Caller, region: str, params: dict[str, Any]
                                      ) -> dict[str, Any]:
    plan = _plan(caller, region, params.get("PlanId"))
    details: dict[str, Any] = {
        "CreatedTime": plan.created_at, "UpdatedTime": plan.updated_at, "PathId": plan.path_id,
        "ProductId": plan.product_id, "PlanName": plan.name, "PlanId": plan.plan_id,
        "ProvisionProductName": plan.pp_name, "PlanType": "CLOUDFORMATION",
        "ProvisioningArtifactId": plan.artifact_id, "Status": plan.status,
        "ProvisioningParameters": plan.parameters, "Tags": plan.tags}
    if plan.pp_id:
        details["ProvisionProductId"] = plan.pp_id
    return {"ProvisionedProductPlanDetails": details, "ResourceChanges": plan.changes}


@operation(SC, "ExecuteProvisionedProductPlan")
def execute_provisioned_product_plan(*, caller: Caller, region: str, params: dict[str, Any]
                                     ) -> dict[str, Any]:
    plan = _plan(caller, region, params.get("PlanId"))
    if plan.status != "CREATE_SUCCESS":
        raise AwsError("InvalidStateException", f"Plan {plan.plan_id} is in {plan.status} "
                       "state and cannot be executed.")
    common = {"ProductId": plan.product_id, "ProvisioningArtifactId": plan.artifact_id,
              "PathId": plan.path_id,
              # A plan made without Tags changes no tags (an update keeps the product's own).
              **({"Tags": plan.tags} if plan.tags else {})}
    if plan.pp_id:
        answer = update_provisioned_product(caller=caller, region=region, params={
            **common, "ProvisionedProductId": plan.pp_id, "UpdateToken": plan.plan_id,
            "ProvisioningParameters": plan.parameters})
    else:
        answer = provision_product(caller=caller, region=region, params={
            **common, "ProvisionedProductName": plan.pp_name, "ProvisionToken": plan.plan_id,
            "ProvisioningParameters": [{"Key": p["Key"], "Value": p.get("Value", "")}
                                       for p in plan.parameters]})
    plan.status, plan.updated_at = "EXECUTE_SUCCESS", clock.now()
    plan.save(update_fields=["status", "updated_at"])
    return answer


@operation(SC, "DeleteProvisionedProductPlan")
def delete_provisioned_product_plan(*, caller: Caller, region: str, params: dict[str, Any]
                                    ) -> dict[str, Any]:
    """Deletes the plan; a plan that does not exist is ResourceNotFoundException."""
    _plan(caller, region, params.get("PlanId")).delete()
    return {}
