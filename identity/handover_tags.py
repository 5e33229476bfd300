"""A hand-over's tags: the provisioned product's own (a stack update), else the notebook's.

The owner tag the portal set at ProvisionProduct is a tag of the provisioned product, and
Service Catalog changes those only through UpdateProvisionedProduct's ``Tags``; the stack update
carries them to every resource of the stack that takes tags (the notebook included). AWS allows
that only when the product has a RESOURCE_UPDATE constraint with TagUpdateOnProvisionedProduct
ALLOWED in the portfolio of its launch path ("Requires the product to have RESOURCE_UPDATE
constraint with TagUpdatesOnProvisionedProduct set to ALLOWED to allow tag updates", Service
Catalog API reference, UpdateProvisionedProduct); otherwise it refuses the call with
InvalidParametersException and changes nothing.

So the hand-over first asks for the stack update (the same artifact, every parameter
UsePreviousValue, the environment's tag set with the new owner: path ``stack``); when AWS
refuses it, or the record fails, the notebook's owner tag is set with SageMaker AddTags (path
``notebook``: the tag the IAM owner condition compares) and the provisioned product keeps the
leaver's tag. ``handover_tags_follow`` follows the stack record like any day-2 record
(DescribeRecord, the follow backoff) until it succeeds or fails.
"""

from __future__ import annotations

from django.conf import settings
from django.db import transaction

from identity.models import Handover
from portal.services import audit_record
from provisioning.backends import BackendError, ProvisioningBackend, Tag, backend_for
from provisioning.models import Environment
from provisioning.services import launch_path_id

ACTOR = "offboarding"
# How often the stack record is checked before the hand-over stops waiting (the follow backoff
# caps at a minute: about half an hour).
FOLLOW_CHECKS = 30


def tags_with_owner(tags: list[dict[str, str]], owner_id: str) -> list[dict[str, str]]:
    """The environment's tag set with the owner tag's value replaced (added when missing)."""
    key = settings.PORTAL_TAG_KEYS["owner"]
    rows = [{"Key": t["Key"], "Value": owner_id if t["Key"] == key else t["Value"]}
            for t in tags]
    if not any(t["Key"] == key for t in rows):
        rows.append({"Key": key, "Value": owner_id})
    return rows


def notebook_owner_tag(backend: ProvisioningBackend, environment: Environment,
                       owner_id: str) -> bool:
    """The fallback: SageMaker AddTags on the notebook's owner tag; False without a notebook."""
    if not environment.notebook_instance_name:
        return False
    _, arn = backend.notebook_describe(notebook_name=environment.notebook_instance_name)
    backend.resource_tags_add(arn=arn, tags={settings.PORTAL_TAG_KEYS["owner"]: owner_id})
    return True


def handover_tags_send(backend: ProvisioningBackend, environment: Environment, *,
                       handover: Handover, owner_id: str) -> None:
    """Ask for the stack update with the new tags; on AWS's refusal, tag the notebook instead.

    Sets ``tags_path``, ``tags_record_id``, ``tags_status`` and ``tags_detail`` on the (locked,
    unsaved) handover. A transient error propagates (the task retries; the UpdateToken is the
    handover's, so a retry gets the same record back)."""
    tags = tags_with_owner(list(environment.tags or []), owner_id)
    try:
        record = backend.update_provisioned_product(
            provisioned_product_id=environment.provisioned_product_id,
            product_id=environment.product.product_id,
            artifact_id=environment.version.artifact_id,
            path_id=launch_path_id(environment.product), parameters={},
            previous=sorted(environment.parameters or {}),
            tags=[Tag(t["Key"], t["Value"]) for t in tags], token=f"handover-{handover.pk}-tags")
    except BackendError as exc:
        if exc.transient or exc.code != "InvalidParametersException":
            raise
        handover.tags_detail = f"UpdateProvisionedProduct refused: {exc.message}"[:500]
        handover.tags_path = (Handover.TagsPath.NOTEBOOK
                              if notebook_owner_tag(backend, environment, owner_id)
                              else Handover.TagsPath.NONE)
        handover.tags_status = "REFUSED"
        return
    handover.tags_path = Handover.TagsPath.STACK
    handover.tags_record_id = record.record_id
    handover.tags_status = record.status


def handover_tags_follow(*, handover_id: int) -> str:
    """One check of a hand-over's stack record; returns its status (SUCCEEDED, FAILED, or an
    unfinished one: the task checks again). A failed record falls back to the notebook tag."""
    handover = Handover.objects.select_related("environment__project", "new_owner").get(
        pk=handover_id)
    if handover.tags_path != Handover.TagsPath.STACK or handover.tags_status in (
            "SUCCEEDED", "FAILED"):
        return handover.tags_status
    backend = backend_for(handover.environment.project)
    record = backend.describe_record(record_id=handover.tags_record_id)
    if not record.finished:
        return record.status
    with transaction.atomic():
        locked = Handover.objects.select_for_update(of=("self",)).select_related(
            "environment__project", "new_owner").get(pk=handover_id)
        if locked.tags_status in ("SUCCEEDED", "FAILED"):
            return locked.tags_status
        environment = locked.environment
        locked.tags_status = record.status
        data = {"handover": locked.pk, "record_id": locked.tags_record_id,
                "status": record.status, "path": Handover.TagsPath.STACK}
        if record.status == "FAILED":
            assert locked.new_owner is not None
            locked.tags_detail = ("The tag update failed: " + "; ".join(record.errors))[:500]
            locked.tags_path = (Handover.TagsPath.NOTEBOOK
                                if notebook_owner_tag(backend, environment,
                                                      locked.new_owner.owner_id)
                                else Handover.TagsPath.NONE)
            data.update(path=locked.tags_path, errors=record.errors[:5])
        else:
            locked.tags_detail = "The provisioned product's tags name the new owner."
        locked.save(update_fields=["tags_status", "tags_detail", "tags_path"])
        audit_record(action="environment.handover_tags", actor_username=ACTOR, obj=environment,
                     project=environment.project, data=data)
    return record.status
