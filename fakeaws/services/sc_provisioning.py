"""Service Catalog, the provisioning side: provision, follow, update, terminate, search.

The owner transfer (UpdateProvisionedProductProperties) is in ``sc_owner``, plans in
``sc_plans``; both find the product with ``provisioned_product_of``.

Facts (Service Catalog API reference and observed behaviour):
- ProvisionProduct is idempotent on ProvisionToken (same token: the same record back).
- A provisioned product name already used in the account is refused synchronously:
  InvalidParametersException "A stack named <name> already exists." (as reported in
  awslabs/aws-service-catalog-puppet#284).
- Invalid parameter values are refused synchronously with InvalidParametersException carrying
  CloudFormation's message (Service Catalog validates against the template before it creates
  the stack); resource-level failures (a taken name) fail the record instead.
- A provisioned product that is UNDER_CHANGE refuses update/terminate: InvalidStateException.
- RecordOutputs carry the stack's Outputs plus ``CloudformationStackARN``, which Service Catalog
  adds for CloudFormation products.
- UpdateProvisionedProduct's ``Tags`` replace the provisioned product's tags, and the stack
  update carries them to every resource that takes tags (CloudFormation propagates stack-level
  tags). Tag updates need a RESOURCE_UPDATE constraint on the product (in the portfolio of its
  launch path) with TagUpdateOnProvisionedProduct ALLOWED ("Requires the product to have
  RESOURCE_UPDATE constraint with TagUpdatesOnProvisionedProduct set to ALLOWED to allow tag
  updates", API reference; AWS::ServiceCatalog::ResourceUpdateConstraint: NOT_ALLOWED "prevents
  users from changing tags"). Without one, or NOT_ALLOWED, the fake refuses the call with
  InvalidParametersException, nothing changed. The exact wording of AWS's message was not found
  in the docs; the fake's names the constraint. Tags that equal the current ones are no update
  and pass (the portal sends its tag set on every day-2 change).
- SearchProvisionedProducts filters by AccessLevelFilter (Account, Role, User; default User) and
  a SearchQuery ``name:<value>``; DescribeRecord pages its outputs with PageToken/PageSize.
"""

from __future__ import annotations

import re
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F

from fakeaws import clock
from fakeaws.cfn import ParameterError, TemplateError
from fakeaws.events import stack_events_for_record
from fakeaws.identity import Caller
from fakeaws.models import ProvisionedProduct, Record
from fakeaws.owner import owner_check
from fakeaws.protocol import AwsError
from fakeaws.services.paging import page, page_next_token, page_window
from fakeaws.services.registry import operation
from fakeaws.services.servicecatalog import (
    SC,
    invalid,
    not_found,
    path_get,
    product_get,
    tag_updates_for,
    template_for,
    version_get,
)
from fakeaws.stacks import (
    new_id,
    record_settle,
    record_status,
    record_timing,
    stack_apply,
    stack_id_for,
    stack_plan,
)

_PP_NAME = re.compile(r"^[a-zA-Z0-9][a-zA-Z0-9._-]{0,127}$")


def _tags(items: Any) -> dict[str, str]:
    return {str(t["Key"]): str(t.get("Value", "")) for t in items or []}


def _record_detail(record: Record, *, fresh: bool = False) -> dict[str, Any]:
    """RecordDetail; a request's own answer always says CREATED (it has only been accepted)."""
    product = record.product
    status = "CREATED" if fresh else record_status(record)
    detail: dict[str, Any] = {
        "RecordId": record.record_id, "ProvisionedProductName": product.name, "Status": status,
        "CreatedTime": record.created_at, "UpdatedTime": max(record.created_at,
                                                             min(clock.now(), record.done_at)),
        "ProvisionedProductType": "CFN_STACK", "RecordType": record.record_type,
        "ProvisionedProductId": product.pp_id, "ProductId": product.product_id,
        "ProvisioningArtifactId": record.artifact_id, "PathId": record.path_id,
        "RecordErrors": [], "RecordTags": [{"Key": k, "Value": v} for k, v in record.tags.items()],
    }
    if status in ("FAILED", "IN_PROGRESS_IN_ERROR"):
        detail["RecordErrors"] = [{"Code": "ProvisioningFailed", "Description": record.failure}]
    return detail


def _resolve(template: Any, given: dict[str, str]) -> dict[str, str]:
    try:
        return dict(template.resolve_parameters(given))
    except ParameterError as error:
        raise invalid(" ".join(error.messages)) from None
    except TemplateError as error:
        raise invalid(str(error)) from None


def _start(*, product: ProvisionedProduct, record_type: str, token: str, artifact_id: str,
           path_id: str, parameters: dict[str, str], tags: dict[str, str], update: bool
           ) -> Record:
    created, visible, done = record_timing()
    previous = dict(product.parameters)
    record = Record(record_id=new_id("rec-"), product=product, record_type=record_type,
                    provision_token=token, artifact_id=artifact_id, path_id=path_id,
                    created_at=created, visible_at=visible, done_at=done, tags=tags,
                    previous_parameters=previous)
    if record_type == "TERMINATE_PROVISIONED_PRODUCT":
        record.save()
        for row in list(product.resources.all()):
            from fakeaws.stacks import resource_delete
            resource_delete(product=product, logical_id=row.logical_id, due=done)
    else:
        catalog_product = product_get(product.product_id)
        template = template_for(version_get(catalog_product, artifact_id))
        outcome = stack_plan(template=template, product=product, parameters=parameters,
                             update=update)
        record.failure = outcome.failure
        if outcome.instance is not None:
            record.outputs = {**outcome.instance.outputs,
                              "CloudformationStackARN": product.stack_id}
            record.exports = dict(outcome.instance.exports)
        record.save()
        if outcome.instance is not None:
            stack_apply(product=product, record=record, instance=outcome.instance,
                        ready_at=done)
    product.status, product.last_record_id = "UNDER_CHANGE", record.record_id
    product.parameters, product.artifact_id, product.path_id = parameters, artifact_id, path_id
    product.save()
    stack_events_for_record(product, record_type=record_type, failure=record.failure,
                            created=created, done=done)
    return record


@operation(SC, "ProvisionProduct")
def provision_product(*, caller: Caller, region: str, params: dict[str, Any]) -> dict[str, Any]:
    token = str(params.get("ProvisionToken", ""))
    again = Record.objects.filter(provision_token=token, product__account=caller.account,
                                  record_type="PROVISION_PRODUCT").first()
    if token and again is not None:
        return {"RecordDetail": _record_detail(again)}
    name = str(params.get("ProvisionedProductName", ""))
    if not _PP_NAME.match(name):
        raise invalid(f"ProvisionedProductName {name} is not valid.")
    catalog_product = product_get(params.get("ProductId"))
    version = version_get(catalog_product, params.get("ProvisioningArtifactId"))
    path = path_get(catalog_product, params.get("PathId"))
    if ProvisionedProduct.objects.filter(account=caller.account, region=region, name=name,
                                         terminated=False).exists():
        raise invalid(f"A stack named {name} already exists.")
    given = {str(p["Key"]): str(p.get("Value", ""))
             for p in params.get("ProvisioningParameters", [])}
    template = template_for(version)
    parameters = _resolve(template, given)
    pp_id = new_id("pp-")
    stack_name = f"SC-{caller.account}-{pp_id}"
    try:
        with transaction.atomic():
            product = ProvisionedProduct.objects.create(
                account=caller.account, region=region, pp_id=pp_id, name=name,
                arn=f"arn:aws:servicecatalog:{region}:{caller.account}:stack/{name}/{pp_id}",
                status="UNDER_CHANGE", product_id=catalog_product.id, artifact_id=version.id,
                path_id=path.id, stack_name=stack_name,
                stack_id=stack_id_for(account=caller.account, region=region,
                                      stack_name=stack_name),
                no_echo_keys=[d.key for d in template.parameters if d.no_echo],
                tags=_tags(params.get("Tags")), created_by=caller.arn,
                created_by_role=caller.role_arn, created_at=clock.now())
    except IntegrityError:
        # Lost a race with another process for this name.
        raise invalid(f"A stack named {name} already exists.") from None
    record = _start(product=product, record_type="PROVISION_PRODUCT", token=token,
                    artifact_id=version.id, path_id=path.id, parameters=parameters,
                    tags=product.tags, update=False)
    return {"RecordDetail": _record_detail(record, fresh=True)}


@operation(SC, "DescribeRecord")
def describe_record(*, caller: Caller, region: str, params: dict[str, Any]) -> dict[str, Any]:
    record = Record.objects.filter(record_id=params.get("Id"), product__account=caller.account,
                                   product__region=region).select_related("product").first()
    if record is None or clock.now() < record.visible_at:
        raise not_found(f"Record {params.get('Id')} not found.")
    record = record_settle(record)
    detail = _record_detail(record)
    outputs: list[dict[str, str]] = []
    if detail["Status"] == "SUCCEEDED":
        outputs = [{"OutputKey": k, "OutputValue": v} for k, v in record.outputs.items()]
    chunk, token = page(outputs, token=params.get("PageToken"), size=params.get("PageSize"),
                        default=20, maximum=20)
    return {"RecordDetail": detail, "RecordOutputs": chunk,
            **({"NextPageToken": token} if token else {})}


def provisioned_product_of(caller: Caller, region: str, params: dict[str, Any]
                           ) -> ProvisionedProduct:
    """The caller's live provisioned product named by ``ProvisionedProductId``/``Id`` or
    ``ProvisionedProductName``/``Name``, its last record settled first (so a finished terminate
    reads as gone): ResourceNotFoundException otherwise. Shared by the day-2 operations."""
    key = params.get("ProvisionedProductId") or params.get("Id")
    rows = ProvisionedProduct.objects.filter(account=caller.account, region=region,
                                             terminated=False)
    if key:
        product = rows.filter(pp_id=key).first()
    else:
        name = params.get("ProvisionedProductName") or params.get("Name")
        product = rows.filter(name=name).first()
        key = name
    if product is None:
        raise not_found(f"Provisioned product {key} not found.")
    last = Record.objects.filter(record_id=product.last_record_id).first()
    if last is not None:
        record_settle(last)
        product.refresh_from_db()
    if product.terminated:
        raise not_found(f"Provisioned product {key} not found.")
    return product


def provisioned_product_changeable(product: ProvisionedProduct) -> None:
    """Refuse a change while a record or a plan is in flight: InvalidStateException (AWS)."""
    if product.status in ("UNDER_CHANGE", "PLAN_IN_PROGRESS"):
        raise AwsError("InvalidStateException", f"Provisioned product {product.pp_id} is "
                       f"in {product.status} state and cannot be changed.")


def _day2_begin(*, caller: Caller, region: str, params: dict[str, Any], token_key: str,
                action: str) -> tuple[ProvisionedProduct, str, Record | None]:
    """The common start of an update or termination: the product, its idempotency token, and
    the record an earlier call with that token made (AWS answers it again), else the owner
    condition and the product's state are checked."""
    product = provisioned_product_of(caller, region, params)
    token = str(params.get(token_key, ""))
    again = Record.objects.filter(provision_token=token, product=product).first()
    if token and again is not None:
        return product, token, again
    owner_check(caller=caller, action=action, resource_arn=product.arn, tags=dict(product.tags),
                owner_arn=product.created_by)
    provisioned_product_changeable(product)
    return product, token, None


@operation(SC, "UpdateProvisionedProduct")
def update_provisioned_product(*, caller: Caller, region: str, params: dict[str, Any]
                               ) -> dict[str, Any]:
    product, token, again = _day2_begin(caller=caller, region=region, params=params,
                                        token_key="UpdateToken",
                                        action="servicecatalog:UpdateProvisionedProduct")
    if again is not None:
        return {"RecordDetail": _record_detail(again)}
    catalog_product = product_get(params.get("ProductId") or product.product_id)
    if catalog_product.id != product.product_id:
        raise invalid("An update cannot change the product of a provisioned product.")
    version = version_get(catalog_product,
                          params.get("ProvisioningArtifactId") or product.artifact_id)
    path = path_get(catalog_product, params.get("PathId") or product.path_id)
    given: dict[str, str] = {}
    for item in params.get("ProvisioningParameters", []):
        key = str(item["Key"])
        if item.get("UsePreviousValue"):
            if key not in product.parameters:
                raise invalid(f"Parameter {key} has no previous value.")
            given[key] = product.parameters[key]
        else:
            given[key] = str(item.get("Value", ""))
    # Parameters the caller leaves out take the template default (CloudFormation UpdateStack).
    parameters = _resolve(template_for(version), given)
    tags = _tags(params.get("Tags")) if "Tags" in params else dict(product.tags)
    allowed = tag_updates_for(product.product_id, product.path_id) == "ALLOWED"
    if tags != dict(product.tags) and not allowed:
        raise invalid(f"Tag updates are not allowed for provisioned product {product.pp_id}: its "
                      "product has no RESOURCE_UPDATE constraint with "
                      "TagUpdateOnProvisionedProduct set to ALLOWED.")
    product.tags = tags
    record = _start(product=product, record_type="UPDATE_PROVISIONED_PRODUCT", token=token,
                    artifact_id=version.id, path_id=path.id, parameters=parameters, tags=tags,
                    update=True)
    return {"RecordDetail": _record_detail(record, fresh=True)}


@operation(SC, "TerminateProvisionedProduct")
def terminate_provisioned_product(*, caller: Caller, region: str, params: dict[str, Any]
                                  ) -> dict[str, Any]:
    product, token, again = _day2_begin(caller=caller, region=region, params=params,
                                        token_key="TerminateToken",
                                        action="servicecatalog:TerminateProvisionedProduct")
    if again is not None:
        return {"RecordDetail": _record_detail(again)}
    record = _start(product=product, record_type="TERMINATE_PROVISIONED_PRODUCT", token=token,
                    artifact_id=product.artifact_id, path_id=product.path_id,
                    parameters=dict(product.parameters), tags=dict(product.tags), update=True)
    return {"RecordDetail": _record_detail(record, fresh=True)}


def _pp_detail(product: ProvisionedProduct) -> dict[str, Any]:
    return {"Name": product.name, "Arn": product.arn, "Type": "CFN_STACK", "Id": product.pp_id,
            "Status": product.status, "StatusMessage": product.status_message,
            "CreatedTime": product.created_at, "IdempotencyToken": product.pp_id,
            "LastRecordId": product.last_record_id,
            "LastProvisioningRecordId": product.last_record_id,
            "LastSuccessfulProvisioningRecordId": product.last_success_record_id,
            "ProductId": product.product_id, "ProvisioningArtifactId": product.artifact_id,
            "LaunchRoleArn": ""}


@operation(SC, "DescribeProvisionedProduct")
def describe_provisioned_product(*, caller: Caller, region: str, params: dict[str, Any]
                                 ) -> dict[str, Any]:
    product = provisioned_product_of(caller, region, params)
    detail = {k: v for k, v in _pp_detail(product).items() if v != ""}
    return {"ProvisionedProductDetail": detail, "CloudWatchDashboards": []}


@operation(SC, "SearchProvisionedProducts")
def search_provisioned_products(*, caller: Caller, region: str, params: dict[str, Any]
                                ) -> dict[str, Any]:
    """Pages of provisioned products: PageSize up to 100 (botocore's model), default 20; a
    token not issued here is an InvalidParametersException (the operation's only client error).
    Only the page's rows are read; in-flight records are settled first, so a terminate that has
    completed drops out of the list."""
    rows = ProvisionedProduct.objects.filter(account=caller.account, region=region,
                                             terminated=False)
    level = params.get("AccessLevelFilter") or {"Key": "User", "Value": "Self"}
    if level.get("Key") == "User":
        rows = rows.filter(created_by=caller.arn)
    elif level.get("Key") == "Role":
        rows = rows.filter(created_by_role=caller.role_arn or "-")
    elif level.get("Key") != "Account":
        raise invalid(f"AccessLevelFilter key {level.get('Key')} is not valid.")
    for query in params.get("Filters", {}).get("SearchQuery", []):
        field_, _, value = str(query).partition(":")
        if field_ == "name":
            rows = rows.filter(name=value)
        elif field_ == "id":
            rows = rows.filter(pp_id=value)
        else:
            rows = rows.filter(name__icontains=query)
    in_flight = Record.objects.filter(product__in=rows, settled=False,
                                      record_id=F("product__last_record_id"))
    for record in in_flight:
        record_settle(record)
    rows = rows.filter(terminated=False).order_by("created_at", "id")
    start, count = page_window(token=params.get("PageToken"), size=params.get("PageSize"),
                               default=20, maximum=100)
    items = [{**{k: v for k, v in _pp_detail(p).items() if v != ""},
              "Tags": [{"Key": k, "Value": v} for k, v in p.tags.items()],
              "PhysicalId": p.stack_id, "UserArn": p.created_by,
              "UserArnSession": p.created_by} for p in rows[start:start + count]]
    total = rows.count()
    token = page_next_token(start=start, count=count, total=total)
    return {"ProvisionedProducts": items, "TotalResultsCount": total,
            **({"NextPageToken": token} if token else {})}
