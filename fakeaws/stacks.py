"""Stacks behind provisioned products: instantiate a template, create its resources, settle.

Time works lazily: a request computes its outcome when it lands and stores when it completes;
every read settles what is due (``record_settle``), so no background process is needed and the
web and worker processes see the same progress.

Facts (CloudFormation/Service Catalog docs): Service Catalog names the stack
``SC-<account>-pp-<id>``; CloudFormation tags every resource that supports tags with
``aws:cloudformation:stack-name``, ``…:stack-id`` and ``…:logical-id``, Service Catalog adds
``aws:servicecatalog:portfolioArn``, ``…:productArn``, ``…:provisionedProductArn``,
``…:provisioningArtifactIdentifier`` and ``…:provisioningPrincipalArn``; a failed create rolls
back (nothing is left) and the provisioned product is ERROR, a failed update rolls back to the
previous resources and the provisioned product is TAINTED.
"""

from __future__ import annotations

import secrets
import string
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings

from fakeaws import clock, faults
from fakeaws.baseline import baseline_ensure
from fakeaws.billing import runs_end
from fakeaws.cfn import PhysicalResource, StackContext, StackInstance, Template, TemplateError
from fakeaws.cfn.idle_settings import idle_settings_read
from fakeaws.events import notebook_events
from fakeaws.models import (
    NotebookInstance,
    ProvisionedProduct,
    Record,
    StackResource,
    StudioDomain,
    Tag,
    UserProfile,
)

NOTEBOOK = "AWS::SageMaker::NotebookInstance"
PROFILE = "AWS::SageMaker::UserProfile"
_LOWER = string.ascii_lowercase + string.digits


def new_id(prefix: str, length: int = 13) -> str:
    return prefix + "".join(secrets.choice(_LOWER) for _ in range(length))


def operation_seconds() -> int:
    return int(getattr(settings, "FAKEAWS_OPERATION_SECONDS", 8))


def consistency_seconds() -> int:
    return int(getattr(settings, "FAKEAWS_CONSISTENCY_SECONDS", 2))


@dataclass(frozen=True)
class Outcome:
    instance: StackInstance | None
    failure: str


def _existing(product: ProvisionedProduct) -> dict[str, PhysicalResource]:
    return {r.logical_id: PhysicalResource(
        logical_id=r.logical_id, type=r.resource_type, physical_id=r.physical_id, name=r.name,
        arn=r.arn, attributes=dict(r.attributes), properties=dict(r.properties))
        for r in product.resources.all()}


def _taken(resource: PhysicalResource, product: ProvisionedProduct) -> str:
    """CloudFormation's failure when a resource's name is already used (empty when free)."""
    if resource.type == NOTEBOOK:
        clash = NotebookInstance.objects.filter(account=product.account, region=product.region,
                                                name=resource.name)
        if clash.exclude(product=product).exists():
            return (f"{resource.logical_id}: Resource handler returned message: \"Cannot create "
                    "a duplicate Notebook Instance (Service: SageMaker, Status Code: 400)\"")
    if resource.type == PROFILE:
        domain_id = str(resource.properties.get("DomainId", ""))
        if not StudioDomain.objects.filter(account=product.account, region=product.region,
                                           domain_id=domain_id).exists():
            return (f"{resource.logical_id}: Resource handler returned message: \"Domain "
                    f"{domain_id} not found (Service: SageMaker, Status Code: 400)\"")
        if (UserProfile.objects.filter(domain__domain_id=domain_id, name=resource.name)
                .exclude(product=product).exists()):
            return (f"{resource.logical_id}: Resource handler returned message: \"Resource "
                    f"Already Exists: UserProfile with name {resource.name} already exists. "
                    "(Service: SageMaker, Status Code: 400)\"")
    if resource.type in ("AWS::S3::Bucket", "AWS::CodeCommit::Repository") and resource.name:
        clash_rows = StackResource.objects.filter(resource_type=resource.type,
                                                  name=resource.name, product__terminated=False)
        if resource.type == "AWS::CodeCommit::Repository":
            clash_rows = clash_rows.filter(product__account=product.account,
                                           product__region=product.region)
        if clash_rows.exclude(product=product).exists():
            return f"{resource.logical_id}: {resource.name} already exists"
    return ""


def stack_plan(*, template: Template, product: ProvisionedProduct,
               parameters: dict[str, str], update: bool) -> Outcome:
    """What the stack will be once the request completes, or why it fails."""
    base = baseline_ensure(account=product.account, region=product.region)
    # Exports are per account and region: the platform's and those of every live stack.
    exports = dict(base.exports)
    exporter = {name: "the platform stack" for name in exports}
    others = (ProvisionedProduct.objects.filter(account=product.account, region=product.region,
                                                terminated=False).exclude(pk=product.pk))
    for other in others:
        exports.update(other.exports)
        exporter.update({name: other.stack_name for name in other.exports})
    context = StackContext(
        account=product.account, region=product.region, stack_name=product.stack_name,
        stack_id=product.stack_id, parameters=parameters, exports=exports,
        existing=_existing(product) if update else {})
    try:
        instance = template.instantiate(context=context)
    except TemplateError as error:
        return Outcome(None, str(error))
    for name in instance.exports:
        if name in exporter:
            # CloudFormation: export names are unique in an account and region.
            return Outcome(None, f"Export with name {name} is already exported by stack "
                                 f"{exporter[name]}")
    for resource in instance.resources:
        problem = _taken(resource, product)
        if problem:
            return Outcome(None, problem)
    injected = faults.stack_failure_take(account=product.account)
    if injected:
        return Outcome(None, injected)
    return Outcome(instance, "")


def _tags(product: ProvisionedProduct, resource: PhysicalResource, record: Record,
          portfolio: str) -> dict[str, str]:
    tags = dict(product.tags)
    for item in resource.properties.get("Tags", []) or []:
        if isinstance(item, dict) and "Key" in item:
            tags[str(item["Key"])] = str(item.get("Value", ""))
    region, account = product.region, product.account
    tags.update({
        "aws:cloudformation:stack-name": product.stack_name,
        "aws:cloudformation:stack-id": product.stack_id,
        "aws:cloudformation:logical-id": resource.logical_id,
        "aws:servicecatalog:portfolioArn": f"arn:aws:catalog:{region}:{account}:portfolio/"
                                           f"{portfolio}",
        "aws:servicecatalog:productArn": f"arn:aws:catalog:{region}:{account}:product/"
                                         f"{product.product_id}",
        "aws:servicecatalog:provisionedProductArn": product.arn,
        "aws:servicecatalog:provisioningArtifactIdentifier": record.artifact_id,
        "aws:servicecatalog:provisioningPrincipalArn": product.created_by,
    })
    return tags


def tags_set(*, account: str, region: str, arn: str, tags: dict[str, str]) -> None:
    """Add or overwrite the resource's tags in one statement (an upsert on (arn, key): SQLite's
    and PostgreSQL's ``ON CONFLICT DO UPDATE``), not a read and a write per tag: a provisioning
    tags a dozen resources with a dozen tags each, the bench showed it as the fake's main cost."""
    Tag.objects.bulk_create(
        [Tag(account=account, region=region, resource_arn=arn, key=k, value=v)
         for k, v in tags.items()],
        update_conflicts=True, unique_fields=["resource_arn", "key"],
        update_fields=["account", "region", "value"])


def _str_list(value: Any) -> list[str]:
    if isinstance(value, list):
        return [str(v) for v in value]
    return [v for v in str(value or "").split(",") if v]


def _notebook_write(product: ProvisionedProduct, resource: PhysicalResource, ready_at: datetime
                    ) -> None:
    props = resource.properties
    now = clock.now()
    fields = {
        "arn": resource.arn, "instance_type": str(props.get("InstanceType", "ml.t3.medium")),
        "volume_size_gb": int(props.get("VolumeSizeInGB", 5) or 5),
        "kms_key_id": str(props.get("KmsKeyId", "")), "subnet_id": str(props.get("SubnetId", "")),
        "security_groups": _str_list(props.get("SecurityGroupIds")),
        "role_arn": str(props.get("RoleArn", "")),
        "root_access": str(props.get("RootAccess", "Enabled")),
        "direct_internet_access": str(props.get("DirectInternetAccess", "Enabled")),
        "platform_identifier": str(props.get("PlatformIdentifier", "notebook-al2-v2")),
        "lifecycle_config": str(props.get("LifecycleConfigName", "")), "modified_at": now,
    }
    notebook = NotebookInstance.objects.filter(account=product.account, region=product.region,
                                               name=resource.name).first()
    if notebook is None:
        NotebookInstance.objects.create(
            account=product.account, region=product.region, name=resource.name,
            status="Pending", next_status="InService", next_at=ready_at, created_at=now,
            product=product, **fields)
        notebook_events(NotebookInstance.objects.get(account=product.account,
                                                     region=product.region, name=resource.name))
        return
    if all(getattr(notebook, key) == value for key, value in fields.items()
           if key != "modified_at"):
        # Only the tags changed: CloudFormation calls AddTags/DeleteTags, not
        # UpdateNotebookInstance (no interruption), so the notebook keeps its state.
        return
    # CloudFormation updates a notebook in place: Updating, then back to where it was.
    back = "InService" if notebook.status in ("InService", "Pending") else notebook.status
    for key, value in fields.items():
        setattr(notebook, key, value)
    notebook.status, notebook.next_status, notebook.next_at = "Updating", back, ready_at
    notebook.save()
    notebook_events(notebook)


def _profile_write(product: ProvisionedProduct, resource: PhysicalResource, ready_at: datetime
                   ) -> None:
    props = resource.properties
    domain = StudioDomain.objects.get(account=product.account, region=product.region,
                                      domain_id=str(props.get("DomainId", "")))
    settings_ = props.get("UserSettings") or {}
    now = clock.now()
    UserProfile.objects.update_or_create(
        domain=domain, name=resource.name,
        defaults={"arn": resource.arn, "status": "Pending", "next_status": "InService",
                  "next_at": ready_at, "product": product, "created_at": now, "modified_at": now,
                  "execution_role": str(settings_.get("ExecutionRole", "")
                                        if isinstance(settings_, dict) else ""),
                  "idle_settings": idle_settings_read(props, logical_id=resource.logical_id)})


def resource_delete(*, product: ProvisionedProduct, logical_id: str, due: datetime) -> None:
    row = product.resources.filter(logical_id=logical_id).first()
    if row is None:
        return
    if row.resource_type == NOTEBOOK:
        runs_end(arn=row.arn, at=clock.now())
        NotebookInstance.objects.filter(account=product.account, region=product.region,
                                        name=row.name).update(
            status="Deleting", next_status="", next_at=due)
        for notebook in NotebookInstance.objects.filter(account=product.account,
                                                        region=product.region, name=row.name):
            notebook_events(notebook)
    elif row.resource_type == PROFILE:
        UserProfile.objects.filter(arn=row.arn).update(status="Deleting", next_status="",
                                                       next_at=due)
    Tag.objects.filter(resource_arn=row.arn or row.physical_id).delete()
    row.delete()


def stack_apply(*, product: ProvisionedProduct, record: Record, instance: StackInstance,
                ready_at: datetime) -> None:
    """Create/update the physical resources of a stack that will succeed."""
    portfolio = _portfolio_of(record)
    keep = {r.logical_id for r in instance.resources}
    for old in list(product.resources.all()):
        if old.logical_id not in keep or old.physical_id not in {
                r.physical_id for r in instance.resources}:
            resource_delete(product=product, logical_id=old.logical_id, due=ready_at)
    for order, resource in enumerate(instance.resources):
        StackResource.objects.update_or_create(
            product=product, logical_id=resource.logical_id,
            defaults={"resource_type": resource.type, "physical_id": resource.physical_id,
                      "name": resource.name, "arn": resource.arn,
                      "attributes": dict(resource.attributes),
                      "properties": _jsonable(resource.properties), "order": order})
        if resource.type == NOTEBOOK:
            _notebook_write(product, resource, ready_at)
        elif resource.type == PROFILE:
            _profile_write(product, resource, ready_at)
        if resource.arn:
            tags_set(account=product.account, region=product.region, arn=resource.arn,
                     tags=_tags(product, resource, record, portfolio))


def _portfolio_of(record: Record) -> str:
    from fakeaws.services.servicecatalog import product_get

    product = product_get(record.product.product_id)
    path = next((p for p in product.launch_paths if p.id == record.path_id), None)
    return path.portfolio if path else ""


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)


def stack_id_for(*, account: str, region: str, stack_name: str) -> str:
    return f"arn:aws:cloudformation:{region}:{account}:stack/{stack_name}/{uuid.uuid4()}"


def record_status(record: Record) -> str:
    """Service Catalog's record status now: CREATED → IN_PROGRESS → SUCCEEDED, or
    IN_PROGRESS_IN_ERROR while a failed stack rolls back, then FAILED."""
    now = clock.now()
    if now >= record.done_at:
        return "FAILED" if record.failure else "SUCCEEDED"
    span = record.done_at - record.created_at
    if now < record.created_at + span / 8:
        return "CREATED"
    if record.failure and now >= record.created_at + span / 2:
        return "IN_PROGRESS_IN_ERROR"
    return "IN_PROGRESS"


def record_settle(record: Record) -> Record:
    """Apply a completed record's effect on its provisioned product (once)."""
    if record.settled or clock.now() < record.done_at:
        return record
    product = ProvisionedProduct.objects.select_for_update().get(pk=record.product_id)
    record = Record.objects.select_for_update().get(pk=record.pk)
    if record.settled:
        return record
    terminate = record.record_type == "TERMINATE_PROVISIONED_PRODUCT"
    if record.failure:
        product.status = "ERROR" if record.record_type == "PROVISION_PRODUCT" else "TAINTED"
        product.status_message = record.failure
        if record.record_type == "UPDATE_PROVISIONED_PRODUCT":
            product.parameters = record.previous_parameters
    else:
        product.status, product.status_message = "AVAILABLE", ""
        product.last_success_record_id = record.record_id
        if terminate:
            product.terminated = True
        else:
            product.outputs, product.exports = record.outputs, record.exports
    product.save()
    record.settled = True
    record.save(update_fields=["settled"])
    return record


def record_timing() -> tuple[datetime, datetime, datetime]:
    """(created, visible from, done at) for a request landing now."""
    now = clock.now()
    return (now, now + timedelta(seconds=consistency_seconds()),
            now + timedelta(seconds=operation_seconds()))
