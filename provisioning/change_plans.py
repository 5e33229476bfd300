"""Change-set previews: a change request is approved on a Service Catalog plan, and that plan runs.

A change (update) request of a Service Catalog environment gets a provisioned product plan when it
is submitted (``plan_open``, registered with ``approvals.change_preview``): the plan task calls
CreateProvisionedProductPlan (PlanType CLOUDFORMATION) with exactly the parameters and tags the
update would send, then DescribeProvisionedProductPlan until CREATE_SUCCESS or CREATE_FAILED. The
approvers see its ResourceChanges (``plan_preview``), a replaced resource in red and in words, and
cannot approve before it is made or when it failed. On approval the follow-up executes that plan
(``plan_execute``: ExecuteProvisionedProductPlan) instead of UpdateProvisionedProduct, and follows
its record like any update.

A plan is stale when the provisioned product changed after it was made (its LastRecordId is not
the one seen then) or AWS no longer has it (deleted, expired, not CREATE_SUCCESS): it is made
again and the request goes back to its approvers (audited; they are notified as for a new step).
A rejected, cancelled or expired request's plan is deleted (DeleteProvisionedProductPlan).

AWS facts (Service Catalog API reference): a plan lists the resources to be created or modified;
there is no plan for a termination, so a terminate request's preview is built from what the
portal knows of the environment (its outputs and resource names), labelled "all resources
removed". SageMaker projects change through SageMaker's UpdateProject, which has no plan: their
change requests keep the previous path (no preview), as do requests made before this feature.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from typing import Any

from django.db import transaction

from approvals.change_preview import (
    PREVIEW_FAILED,
    PREVIEW_PENDING,
    PREVIEW_READY,
    PREVIEW_TERMINATE,
    ChangePreview,
    ResourceChangeRow,
)
from approvals.models import Request
from approvals.notifications import notify
from approvals.services import request_reapproval
from portal.aws_errors import aws_text_redact
from portal.services import audit_record
from portal.tasking import task_enqueue_on_commit
from provisioning.backends import (
    BackendError,
    Invalid,
    NotFound,
    PlanOrder,
    ProvisioningBackend,
    RecordStatus,
    Transient,
    backend_for,
)
from provisioning.day2 import environment_change_plan, environment_change_tags
from provisioning.models import Environment, ResourcePlan
from provisioning.services import (
    Kind,
    Status,
    environment_locked,
    event_add,
    launch_path_id,
    parameters_opened,
)
from provisioning.states import environment_status_set

logger = logging.getLogger(__name__)

PLAN_ACTOR = "portal:change-plan"  # who acts when a stale plan sends a request back
PLAN_CHECK_DELAYS = (2, 3, 5, 10, 15, 30)  # seconds between DescribeProvisionedProductPlan calls
PLAN_MAX_CHECKS = 120
State = ResourcePlan.State


def _environment_of(request: Request) -> Environment | None:
    try:
        pk = uuid.UUID(str(request.environment_ref))
    except ValueError:
        return None
    return Environment.objects.select_related("product", "project", "owner").filter(
        pk=pk, project=request.project).first()


def _plannable(environment: Environment) -> bool:
    return bool(environment.provisioned_product_id) and not environment.is_sagemaker_project \
        and environment.status != Status.TERMINATED


def plan_open(request: Request) -> None:
    """``approvals.change_preview.request_opened`` hook: a new change request gets its plan."""
    if request.action != Request.Action.UPDATE:
        return
    environment = _environment_of(request)
    if environment is None or not _plannable(environment):
        return
    plan = ResourcePlan.objects.create(request=request, environment=environment)
    audit_record(action="change_plan.requested", actor=request.requester, obj=environment,
                 project=environment.project, data={"request": str(request.pk)})
    _schedule(plan, delay=0)


def _schedule(plan: ResourcePlan, *, delay: float) -> None:
    from provisioning.tasks import change_plan_task

    task_enqueue_on_commit(change_plan_task, plan.pk, countdown=delay)


def _order(plan: ResourcePlan) -> PlanOrder:
    """What the update would send, as a plan: changed values, the rest UsePreviousValue."""
    request, environment = plan.request, plan.environment
    change = environment_change_plan(environment=environment, request=request)
    return PlanOrder(
        plan_name=f"portal-{request.reference}-{plan.generation}", name=
        environment.provisioned_product_name, product_id=environment.product.product_id,
        artifact_id=request.version.artifact_id, path_id=launch_path_id(environment.product),
        # NoEcho values are sealed at rest: opened here, for the call to AWS only.
        parameters=parameters_opened(version=request.version, values=change.send),
        previous=change.keep, tags=environment_change_tags(environment=environment,
                                                           request=request),
        token=plan.token)


def _acting(plan: ResourcePlan) -> ProvisioningBackend:
    return backend_for(plan.environment.project, actor=plan.request.requester,
                       resource_owner=plan.environment.owner)


def plan_step(*, plan_pk: int) -> str:
    """The plan task's work: create the plan once, then check it until AWS finished it.

    Returns the plan's state. Raises ``Transient`` for the task to retry; any other AWS refusal
    fails the plan with AWS's reason (shown to the requester and the approvers).
    """
    plan = ResourcePlan.objects.select_related(
        "request__requester", "request__version", "request__project", "environment__product",
        "environment__project", "environment__owner").filter(pk=plan_pk).first()
    if plan is None or plan.state != State.CREATING:
        return plan.state if plan else "missing"
    try:
        if not plan.plan_id:
            current = backend_for(plan.environment.project).describe_provisioned_product(
                provisioned_product_id=plan.environment.provisioned_product_id)
            plan_id = _acting(plan).create_provisioned_product_plan(order=_order(plan))
            with transaction.atomic():
                locked = ResourcePlan.objects.select_for_update().get(pk=plan.pk)
                if locked.state != State.CREATING:  # discarded while AWS made it
                    _delete_in_aws(plan, plan_id)
                    return locked.state
                locked.plan_id, locked.base_record_id = plan_id, current.last_record_id
                locked.save(update_fields=["plan_id", "base_record_id", "updated_at"])
            plan.plan_id, plan.base_record_id = plan_id, current.last_record_id
        status = backend_for(plan.environment.project).describe_provisioned_product_plan(
            plan_id=plan.plan_id)
    except Transient:
        raise
    except BackendError as exc:
        return _plan_settle(plan, state=State.FAILED, aws_status="",
                            message=f"{exc.operation}: {exc.message}")
    if not status.finished:
        if plan.checks >= PLAN_MAX_CHECKS:
            return _plan_settle(plan, state=State.FAILED, aws_status=status.status,
                                message="AWS did not finish the plan in time.")
        with transaction.atomic():
            ResourcePlan.objects.filter(pk=plan.pk).update(checks=plan.checks + 1,
                                                           aws_status=status.status)
            _schedule(plan, delay=PLAN_CHECK_DELAYS[min(plan.checks, len(PLAN_CHECK_DELAYS) - 1)])
        return State.CREATING
    if status.status == "CREATE_SUCCESS":
        return _plan_settle(plan, state=State.READY, aws_status=status.status,
                            changes=status.changes)
    return _plan_settle(plan, state=State.FAILED, aws_status=status.status,
                        message=status.status_message or "AWS gave no reason.")


def _plan_settle(plan: ResourcePlan, *, state: str, aws_status: str, message: str = "",
                 changes: list[dict[str, Any]] | None = None) -> str:
    with transaction.atomic():
        locked = ResourcePlan.objects.select_for_update().get(pk=plan.pk)
        if locked.state != State.CREATING:
            return locked.state
        locked.state, locked.aws_status = state, aws_status
        locked.message = aws_text_redact(message)  # shown to the requester and approvers
        locked.changes = changes or []
        locked.save()
        request = plan.request
        audit_record(action=f"change_plan.{state}", obj=plan.environment,
                     project=plan.environment.project,
                     data={"request": str(request.pk), "plan_id": locked.plan_id,
                           "aws_status": aws_status, "message": message[:1000],
                           "replaced": [c["LogicalResourceId"] for c in locked.changes
                                        if c.get("Replacement") in ("TRUE", "CONDITIONAL")]})
        if state == State.FAILED:
            notify(request=request, recipients=[request.requester],
                   subject=f"Change preview failed: {request.product}",
                   lines=["AWS could not prepare the preview of your change, so it cannot be "
                          "approved:", locked.message])
    return state


def _delete_in_aws(plan: ResourcePlan, plan_id: str) -> None:
    try:
        _acting(plan).delete_provisioned_product_plan(plan_id=plan_id)
    except NotFound:
        pass  # already gone (deleted, or expired)
    except BackendError as exc:
        logger.warning("Plan %s of request %s not deleted: %s", plan_id, plan.request_id, exc)


def plan_discard(request: Request) -> None:
    """``approvals.change_preview.request_closed`` hook: a closed request's plan is deleted."""
    plan = ResourcePlan.objects.filter(
        request=request, state__in=(State.CREATING, State.READY, State.FAILED)).first()
    if plan is None:
        return
    plan.state = State.DELETED
    plan.save(update_fields=["state", "updated_at"])
    audit_record(action="change_plan.deleted", obj=plan.environment,
                 project=plan.environment.project,
                 data={"request": str(request.pk), "plan_id": plan.plan_id,
                       "reason": f"request {request.status}"})
    if plan.plan_id:
        from provisioning.tasks import change_plan_delete_task

        task_enqueue_on_commit(change_plan_delete_task, plan.pk)


def plan_delete_run(*, plan_pk: int) -> None:
    """The delete task's work: DeleteProvisionedProductPlan for a discarded plan."""
    plan = ResourcePlan.objects.select_related(
        "request__requester", "environment__project", "environment__owner").filter(
        pk=plan_pk, state=State.DELETED).first()
    if plan is not None and plan.plan_id:
        _delete_in_aws(plan, plan.plan_id)


def plan_for(request: Request) -> ResourcePlan | None:
    """The plan a change request was approved on (None: it has none, the previous path)."""
    return ResourcePlan.objects.filter(request=request).first()


def plan_execute(backend: ProvisioningBackend, environment: Environment, plan: ResourcePlan
                 ) -> RecordStatus | None:
    """Execute the approved plan: its record, or None when it cannot run now (still being made:
    check again; stale: made again and the request sent back, the environment left updating)."""
    if plan.state == State.CREATING:
        return None
    if plan.state != State.READY:
        raise Invalid(operation="ExecuteProvisionedProductPlan", code="PlanNotReady",
                      message=f"The change preview {plan.get_state_display().lower()}: "
                              f"{plan.message or 'it cannot be executed.'}")
    reads = backend_for(environment.project)
    current = reads.describe_provisioned_product(
        provisioned_product_id=environment.provisioned_product_id)
    try:
        described = reads.describe_provisioned_product_plan(plan_id=plan.plan_id)
    except NotFound:
        described = None
    if described is None or described.status != "CREATE_SUCCESS":
        plan_replan(environment, plan, reason="AWS no longer has the approved change plan "
                                              "(deleted or expired).")
        return None
    if current.last_record_id != plan.base_record_id:
        plan_replan(environment, plan, reason="The environment changed in AWS after the change "
                                              "plan was approved.")
        return None
    try:
        record = backend.execute_provisioned_product_plan(
            plan_id=plan.plan_id, token=environment.operation_token)
    except NotFound:
        plan_replan(environment, plan, reason="AWS no longer has the approved change plan.")
        return None
    ResourcePlan.objects.filter(pk=plan.pk).update(state=State.EXECUTED)
    audit_record(action="change_plan.executed", obj=environment, project=environment.project,
                 data={"request": str(plan.request_id), "plan_id": plan.plan_id,
                       "record": record.record_id})
    return record


def plan_replan(environment: Environment, plan: ResourcePlan, *, reason: str) -> None:
    """A stale plan: delete it, make a new one, send the request back to its approvers and leave
    the environment as it was (nothing was applied)."""
    old_id = plan.plan_id
    if old_id:
        _delete_in_aws(plan, old_id)
    with transaction.atomic():
        request = Request.objects.select_for_update(of=("self",)).select_related(
            "requester", "project", "product", "version").get(pk=plan.request_id)
        locked = environment_locked(environment.pk)
        if locked.status != Status.UPDATING or locked.pending_request_id != request.pk:
            return
        environment_status_set(locked, to=Status.AVAILABLE)
        locked.pending_request = None
        locked.acting_user = None
        locked.operation_token = ""  # the request is handed off again after its new approval
        locked.next_check_at = None
        locked.status_message = f"Change request {request.reference} needs approval again: " \
                                f"{reason}"
        locked.save()
        event_add(environment=locked, kind=Kind.PROGRESS, message=locked.status_message)
        audit_record(action="change_plan.stale", actor_username=PLAN_ACTOR, obj=locked,
                     project=locked.project,
                     data={"request": str(request.pk), "plan_id": old_id, "reason": reason,
                           "base_record_id": plan.base_record_id})
        ResourcePlan.objects.filter(pk=plan.pk).update(
            state=State.CREATING, plan_id="", aws_status="", changes=[], base_record_id="",
            checks=0, message="", generation=plan.generation + 1)
        plan.refresh_from_db()
        _schedule(plan, delay=0)
        if request.status == Request.Status.APPROVED:
            request_reapproval(request=request, actor_label=PLAN_ACTOR,
                               reason=f"The change plan was made again: {reason}")


def plan_preview(request: Request) -> ChangePreview | None:
    """``approvals.change_preview`` reader: the plan's changes, or a termination's removals."""
    if request.action == Request.Action.TERMINATE:
        environment = _environment_of(request)
        return None if environment is None else _terminate_preview(environment)
    if request.action != Request.Action.UPDATE:
        return None
    plan = plan_for(request)
    return None if plan is None else _plan_preview(plan)


def plan_previews(requests: Sequence[Request]) -> dict[object, ChangePreview]:
    """``approvals.change_preview`` many-requests reader (the inbox): two queries at most,
    whatever the number of requests (the update requests' plans, the terminated environments)."""
    previews: dict[object, ChangePreview] = {}
    updates = [r.pk for r in requests if r.action == Request.Action.UPDATE]
    if updates:
        for plan in ResourcePlan.objects.filter(request_id__in=updates):
            previews[plan.request_id] = _plan_preview(plan)
    terminations: dict[uuid.UUID, Request] = {}
    for request in requests:
        if request.action == Request.Action.TERMINATE:
            try:
                terminations[uuid.UUID(str(request.environment_ref))] = request
            except ValueError:
                continue
    if terminations:
        for environment in Environment.objects.filter(pk__in=list(terminations)):
            request = terminations[environment.pk]
            if environment.project_id == request.project_id:
                previews[request.pk] = _terminate_preview(environment)
    return previews


def _plan_preview(plan: ResourcePlan) -> ChangePreview:
    if plan.state == State.CREATING:
        return ChangePreview(state=PREVIEW_PENDING)
    if plan.state == State.FAILED:
        return ChangePreview(state=PREVIEW_FAILED, message=plan.message, plan_id=plan.plan_id)
    rows = tuple(ResourceChangeRow(
        action=str(c.get("Action", "")), logical_id=str(c.get("LogicalResourceId", "")),
        resource_type=str(c.get("ResourceType", "")),
        physical_id=str(c.get("PhysicalResourceId", "")),
        replacement=str(c.get("Replacement", "")),
        properties=tuple(c.get("Properties") or ()),
        recreating=tuple(c.get("Recreates") or ())) for c in plan.changes)
    return ChangePreview(state=PREVIEW_READY, rows=rows, plan_id=plan.plan_id)


def _terminate_preview(environment: Environment) -> ChangePreview:
    """No plan exists for a termination (plans are for provisioning and updates): every resource
    of the provisioned product is removed; listed from what the portal knows of it."""
    known = [("NotebookInstance", "AWS::SageMaker::NotebookInstance",
              environment.notebook_instance_name),
             ("UserProfile", "AWS::SageMaker::UserProfile", environment.user_profile_name),
             ("Project", "AWS::SageMaker::Project", environment.sagemaker_project_name)]
    rows = [ResourceChangeRow(action="REMOVE", logical_id=name, resource_type=type_,
                              physical_id=physical) for name, type_, physical in known if physical]
    rows += [ResourceChangeRow(action="REMOVE", logical_id=f"Output {key}", resource_type="",
                               physical_id=str(value))
             for key, value in sorted((environment.outputs or {}).items())]
    rows.append(ResourceChangeRow(
        action="REMOVE", logical_id=environment.provisioned_product_name,
        resource_type="AWS::ServiceCatalog::CloudFormationProvisionedProduct",
        physical_id=environment.provisioned_product_id))
    return ChangePreview(state=PREVIEW_TERMINATE, rows=tuple(rows))
