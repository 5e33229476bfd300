"""Writes and state changes of environments: provision, follow, stop/start, update, terminate.

The state machine (``Environment.Status``)::

    queued → provisioning → available ⇄ stopping → stopped ⇄ starting → available
    available | stopped → updating → available
    available | stopped | failed | queued → terminating → terminated
    provisioning | updating | terminating | starting | stopping → failed

Each transition checks the current state under a row lock (``select_for_update``), writes a
timeline event (and an audit event for people's actions) and enqueues follow-up work with
``transaction.on_commit``. AWS is called outside the row lock: a second worker doing the same call
is harmless because Service Catalog operations carry idempotency tokens (``ProvisionToken`` = the
request's uuid), and the state written afterwards is guarded again under the lock.
"""

from __future__ import annotations

import logging
import random
import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils import timezone

from approvals.models import Request
from catalog.models import OUTPUT_FIELDS, Product
from portal.models import User
from portal.services import audit_record
from provisioning.backends import (
    BackendError,
    NotFound,
    ProvisionOrder,
    RecordStatus,
    Tag,
    Transient,
    backend_for,
)
from provisioning.models import Environment, EnvironmentEvent
from provisioning.names import provisioned_product_name, sagemaker_project_name
from provisioning.notifications import owner_notify
from provisioning.tags import TagSetInvalid, chosen_tags, tag_set_build

logger = logging.getLogger(__name__)

Status = Environment.Status
Kind = EnvironmentEvent.Kind
# Parameters SageMaker fills in itself for project templates.
SAGEMAKER_PROJECT_PARAMETERS = ("SageMakerProjectName", "SageMakerProjectId")


class InvalidTransition(Exception):
    """The environment is not in a state that allows this action; the message says why."""


# --- Small helpers ---------------------------------------------------------------------------

def event_add(*, environment: Environment, kind: str, message: str = "") -> EnvironmentEvent:
    return EnvironmentEvent.objects.create(environment=environment, kind=kind, message=message)


def _locked(environment_id: Any) -> Environment:
    # of=("self",): lock the environment row only. Without it PostgreSQL would also lock the
    # joined owner, project and product rows, and every insert referencing them (requests, audit
    # events) would queue behind provisioning, even deadlock with it.
    return Environment.objects.select_for_update(of=("self",)).select_related(
        "product", "project", "owner", "version"
    ).get(pk=environment_id)


def follow_delay(checks: int) -> float:
    """Delay before the next check after ``checks`` checks: 5 s doubling to a 60 s cap.

    The jitter (10-30 % on top) spreads follow-ups of environments approved together; keeping it
    positive keeps a ten-minute provisioning within 12 DescribeRecord calls.
    """
    first = settings.PORTAL_FOLLOW_FIRST_SECONDS
    base = min(float(settings.PORTAL_FOLLOW_MAX_SECONDS), first * 2.0 ** min(checks, 20))
    return base * random.uniform(1.1, 1.3)


def _follow_schedule(environment: Environment, *, attempt: int, delay: float) -> None:
    """Record when the next check is due and enqueue it once the transaction commits."""
    environment.follow_attempt = attempt
    environment.next_check_at = timezone.now() + timedelta(seconds=delay)
    environment.save(update_fields=["follow_attempt", "follow_checks", "follow_started_at",
                                    "next_check_at", "updated_at"])
    environment_id = str(environment.pk)

    def enqueue() -> None:
        from provisioning.tasks import environment_follow_task

        environment_follow_task.apply_async((environment_id, attempt), countdown=delay)

    transaction.on_commit(enqueue, robust=True)


def _follow_start(environment: Environment) -> None:
    environment.follow_started_at = timezone.now()
    environment.follow_checks = 0
    _follow_schedule(environment, attempt=environment.follow_attempt + 1,
                     delay=follow_delay(0))


def _provision_dispatch(environment: Environment) -> None:
    environment.dispatched_at = timezone.now()
    environment.save(update_fields=["dispatched_at", "updated_at"])
    environment_id = str(environment.pk)

    def enqueue() -> None:
        from provisioning.tasks import environment_provision_task

        environment_provision_task.delay(environment_id)

    # robust: a broker outage must not break the approval's commit; the sweeper re-dispatches.
    transaction.on_commit(enqueue, robust=True)


# --- Hand-off from approvals -----------------------------------------------------------------

def environment_provision(*, request: Request) -> Environment | None:
    """The approvals app's hand-off for an approved request; safe to call more than once.

    A create request becomes a new queued environment (one per request) and the provision task is
    enqueued on commit. An update or terminate request is applied to its environment.
    """
    if request.status != Request.Status.APPROVED:
        raise InvalidTransition(f"Request {request.pk} is {request.status}, not approved.")
    if request.action == Request.Action.UPDATE:
        return environment_update_apply(request=request)
    if request.action == Request.Action.TERMINATE:
        return environment_terminate_apply(request=request)
    existing = Environment.objects.filter(origin_request=request).first()
    if existing is not None:
        return existing
    environment_id = uuid.uuid4()
    environment = Environment(
        id=environment_id, origin_request=request, owner=request.requester,
        project=request.project, product=request.product, version=request.version,
        parameters=dict(request.parameters or {}),
        provisioned_product_name=provisioned_product_name(
            username=request.requester.username, kind=request.product.kind,
            product_name=request.product.name, short_id=environment_id.hex[:8],
        ),
    )
    if request.product.kind == Product.Kind.SAGEMAKER_PROJECT:
        environment.sagemaker_project_name = (
            str(environment.parameters.get("SageMakerProjectName") or "").strip()
            or sagemaker_project_name(username=request.requester.username,
                                      short_id=environment_id.hex[:8])
        )
    try:
        with transaction.atomic():
            environment.save(force_insert=True)
            event_add(environment=environment, kind=Kind.CREATED,
                      message=f"Request {request.short_id} approved; queued for provisioning.")
            audit_record(action="environment.created", actor=request.requester,
                         obj=environment, project=environment.project,
                         data={"request": str(request.pk), "product": request.product.name,
                               "name": environment.provisioned_product_name})
            _provision_dispatch(environment)
    except IntegrityError:  # a concurrent hand-off of the same request created it first
        return Environment.objects.get(origin_request=request)
    return environment


# --- Provisioning ----------------------------------------------------------------------------

def _in_template_order(environment: Environment, values: dict[str, Any]) -> dict[str, str]:
    """Parameters in the template's order (then by key): JSON columns do not keep key order."""
    positions = {key: i for i, key in enumerate(
        environment.version.parameters.order_by("position", "key").values_list("key", flat=True))}
    keys = sorted(values, key=lambda k: (positions.get(str(k), len(positions)), str(k)))
    return {str(k): "" if values[k] is None else str(values[k]) for k in keys}


def _parameters_for(environment: Environment) -> dict[str, str]:
    parameters = _in_template_order(environment, dict(environment.parameters))
    kind = environment.product.kind
    # A name parameter left empty gets the provisioned product's name (valid for both).
    if kind == Product.Kind.NOTEBOOK_INSTANCE and "NotebookInstanceName" in parameters \
            and not parameters["NotebookInstanceName"]:
        parameters["NotebookInstanceName"] = environment.provisioned_product_name
    if kind == Product.Kind.STUDIO_USER_PROFILE and "UserProfileName" in parameters \
            and not parameters["UserProfileName"]:
        parameters["UserProfileName"] = environment.provisioned_product_name
    if kind == Product.Kind.SAGEMAKER_PROJECT:
        for key in SAGEMAKER_PROJECT_PARAMETERS:
            parameters.pop(key, None)
    return parameters


def environment_tags(*, environment: Environment, request: Request) -> list[Tag]:
    owner = environment.owner
    project = environment.project
    return tag_set_build(
        portal_values={
            "owner": owner.owner_id,
            "owner-name": owner.display_name,
            "owner-email": owner.email,
            "department": owner.department,
            "cost-center": project.cost_center or owner.cost_center,
            "project": project.slug,
            "environment": project.environment,
            "portal-request": str(request.pk),
            "portal-environment": str(environment.pk),
        },
        chosen=chosen_tags(request.tag_choices),
    )


def _path_id(product: Product) -> str:
    path = product.launch_paths.filter(retired_at__isnull=True).order_by("pk").first()
    return path.path_id if path else ""


def _fail(environment: Environment, *, message: str, subject: str) -> None:
    """Mark a locked environment failed, tell its owner. Caller holds the lock."""
    environment.status = Status.FAILED
    environment.status_message = message
    environment.next_check_at = None
    environment.save()
    event_add(environment=environment, kind=Kind.FAILED, message=message)
    audit_record(action="environment.failed", obj=environment, project=environment.project,
                 data={"message": message[:1000]})
    owner_notify(environment=environment, subject=subject,
                 lines=[f"{environment.product.name} ({environment.provisioned_product_name}) "
                        "could not be provisioned:", message])


@dataclass(frozen=True)
class ProvisionCall:
    """What the provision step sends to AWS, built under the lock, sent outside it."""

    order: ProvisionOrder
    kind: str
    project_name: str


def environment_provision_run(*, environment_id: Any) -> str:
    """The provision task's work: call ProvisionProduct (or CreateProject) once, start following.

    Returns what happened ("provisioning", "failed", "skipped"). Raises ``Transient`` (throttling,
    outages) for the task to retry; the environment stays queued, so nothing is lost.
    """
    if not Environment.objects.filter(pk=environment_id).exists():
        return "missing"  # a message about an environment that is gone
    with transaction.atomic():
        environment = _locked(environment_id)
        if environment.status != Status.QUEUED:
            return "skipped"
        request = environment.origin_request
        try:
            tags = environment_tags(environment=environment, request=request)
        except TagSetInvalid as exc:
            _fail(environment, message=f"Tags refused: {exc}",
                  subject=f"Provisioning failed: {environment.product.name}")
            return "failed"
        environment.tags = [{"Key": t.key, "Value": t.value} for t in tags]
        environment.operation_token = str(request.pk)
        environment.save(update_fields=["tags", "operation_token", "updated_at"])
        call = ProvisionCall(
            order=ProvisionOrder(
                product_id=environment.product.product_id,
                artifact_id=environment.version.artifact_id,
                path_id=_path_id(environment.product),
                name=environment.provisioned_product_name,
                parameters=_parameters_for(environment),
                tags=tags,
                token=environment.operation_token,
            ),
            kind=environment.product.kind,
            project_name=environment.sagemaker_project_name,
        )
        backend = backend_for(environment.project)

    try:
        if call.kind == Product.Kind.SAGEMAKER_PROJECT:
            project = _sagemaker_project_create_once(backend, call, environment)
            record: RecordStatus | None = None
        else:
            record = backend.provision_product(order=call.order)
    except Transient as exc:
        with transaction.atomic():
            environment = _locked(environment_id)
            # The task retries it: not lost, so the sweeper leaves it alone for now.
            environment.dispatched_at = timezone.now()
            environment.save(update_fields=["dispatched_at", "updated_at"])
            event_add(environment=environment, kind=Kind.RETRY,
                      message=f"AWS is busy ({exc.code}); the portal will try again.")
        raise
    except BackendError as exc:
        with transaction.atomic():
            environment = _locked(environment_id)
            if environment.status == Status.QUEUED:
                _fail(environment, message=f"{exc.operation} refused: {exc.code}: {exc.message}",
                      subject=f"Provisioning failed: {environment.product.name}")
        return "failed"

    with transaction.atomic():
        environment = _locked(environment_id)
        if environment.status != Status.QUEUED:
            return "skipped"  # another worker got here first with the same token
        environment.status = Status.PROVISIONING
        environment.status_message = "Provisioning in AWS."
        if record is not None:
            environment.last_record_id = record.record_id
            environment.provisioned_product_id = record.provisioned_product_id
            sent = f"ProvisionProduct accepted (record {record.record_id})."
        else:
            environment.sagemaker_project_id = project.project_id
            sent = f"SageMaker CreateProject accepted (project {project.project_name})."
        environment.save()
        event_add(environment=environment, kind=Kind.DISPATCHED, message=sent)
        _follow_start(environment)
    return "provisioning"


def _sagemaker_project_create_once(backend: Any, call: ProvisionCall,
                                   environment: Environment) -> Any:
    """CreateProject has no idempotency token: adopt the project if an earlier attempt made it."""
    try:
        return backend.describe_sagemaker_project(project_name=call.project_name)
    except NotFound:
        pass
    description = f"{environment.product.name} for {environment.owner.display_name}"
    try:
        return backend.create_sagemaker_project(project_name=call.project_name,
                                                description=description, order=call.order)
    except BackendError as exc:
        if exc.transient:
            raise
        try:  # a concurrent attempt created it between our describe and create
            return backend.describe_sagemaker_project(project_name=call.project_name)
        except NotFound:
            raise exc from None


# --- Following progress ----------------------------------------------------------------------

@dataclass(frozen=True)
class FollowOutcome:
    """``next_delay`` is set when the task should enqueue ``attempt`` again after that delay."""

    result: str
    attempt: int = 0
    next_delay: float | None = None


def _map_outputs(environment: Environment, outputs: dict[str, str]) -> None:
    mapping = environment.product.output_mapping or OUTPUT_FIELDS.get(environment.product.kind, {})
    fields = {"notebook_instance_name": "notebook_instance_name", "domain_id": "domain_id",
              "user_profile_name": "user_profile_name",
              "project_name": "sagemaker_project_name", "project_id": "sagemaker_project_id"}
    for name, output_key in mapping.items():
        if name in fields and outputs.get(output_key):
            setattr(environment, fields[name], str(outputs[output_key])[:63])


def _observe(environment: Environment) -> tuple[str, list[str], dict[str, str], str]:
    """Ask AWS about what the environment is waiting for: (state, errors, outputs, pp id).

    state is one of "done", "failed", "in_error" (still running, with errors), "running".
    """
    backend = backend_for(environment.project)
    if environment.status in (Status.STARTING, Status.STOPPING):
        name = environment.notebook_instance_name
        status = backend.notebook_status(notebook_name=name)
        if environment.status == Status.STOPPING:
            if status == "InService":
                backend.notebook_stop(notebook_name=name)
                return "running", [], {}, ""
            return ("done" if status == "Stopped" else
                    "failed" if status == "Failed" else "running"), _notebook_errors(status), {}, ""
        if status == "Stopped":
            backend.notebook_start(notebook_name=name)
            return "running", [], {}, ""
        return ("done" if status == "InService" else
                "failed" if status == "Failed" else "running"), _notebook_errors(status), {}, ""

    if environment.status == Status.PROVISIONING and environment.is_sagemaker_project \
            and not environment.last_record_id:
        project = backend.describe_sagemaker_project(
            project_name=environment.sagemaker_project_name)
        if not project.finished:
            return "running", [], {}, project.provisioned_product_id
        if not project.succeeded:
            return "failed", [project.status_message or project.status], {}, \
                project.provisioned_product_id
        outputs = {"SageMakerProjectName": project.project_name,
                   "SageMakerProjectId": project.project_id}
        return "done", [], outputs, project.provisioned_product_id

    if environment.status in (Status.UPDATING, Status.TERMINATING) \
            and not environment.last_record_id:
        try:
            record = _day2_call(backend, environment)
        except NotFound:
            if environment.status == Status.TERMINATING:  # already gone: nothing left to do
                return "done", [], {}, ""
            raise
        with transaction.atomic():
            locked = _locked(environment.pk)
            if locked.status == environment.status and not locked.last_record_id:
                locked.last_record_id = record.record_id
                locked.save(update_fields=["last_record_id", "updated_at"])
                event_add(environment=locked, kind=Kind.PROGRESS,
                          message=f"AWS accepted the change (record {record.record_id}).")
        environment.last_record_id = record.record_id

    record = backend.describe_record(record_id=environment.last_record_id)
    state = {"SUCCEEDED": "done", "FAILED": "failed",
             "IN_PROGRESS_IN_ERROR": "in_error"}.get(record.status, "running")
    return state, record.errors, record.outputs, record.provisioned_product_id


def _notebook_errors(status: str) -> list[str]:
    return ["The notebook instance is Failed in AWS."] if status == "Failed" else []


def _day2_call(backend: Any, environment: Environment) -> RecordStatus:
    if environment.status == Status.TERMINATING:
        return backend.terminate_provisioned_product(
            provisioned_product_id=environment.provisioned_product_id,
            token=environment.operation_token)
    request = environment.pending_request
    assert request is not None
    tags = [Tag(t["Key"], t["Value"]) for t in environment.tags]
    return backend.update_provisioned_product(
        provisioned_product_id=environment.provisioned_product_id,
        product_id=environment.product.product_id, artifact_id=request.version.artifact_id,
        path_id=_path_id(environment.product),
        parameters=_in_template_order(environment, dict(request.parameters or {})),
        tags=tags, token=environment.operation_token,
    )


def environment_follow_run(*, environment_id: Any, attempt: int) -> FollowOutcome:
    """One check of an environment in a followed state; says when to check again.

    ``attempt`` must equal the environment's ``follow_attempt``: a duplicate or superseded
    follow-up (a redelivered message, a sweeper re-dispatch) finds a newer number and stops.
    """
    environment = Environment.objects.select_related("product", "project", "owner").filter(
        pk=environment_id).first()
    if environment is None or environment.status not in Environment.FOLLOWED:
        return FollowOutcome("done")
    if environment.follow_attempt != attempt:
        return FollowOutcome("stale")
    status_seen = environment.status
    try:
        state, errors, outputs, pp_id = _observe(environment)
    except Transient as exc:
        state, errors, outputs, pp_id = "transient", [f"{exc.code}: {exc.message}"], {}, ""
    except BackendError as exc:
        state, errors, outputs, pp_id = (
            "refused", [f"{exc.operation}: {exc.code}: {exc.message}"], {}, "")

    with transaction.atomic():
        environment = _locked(environment_id)
        if environment.status != status_seen or environment.follow_attempt != attempt:
            return FollowOutcome("stale")
        if pp_id and not environment.provisioned_product_id:
            environment.provisioned_product_id = pp_id
        if state == "done":
            _finish(environment, outputs=outputs)
            return FollowOutcome(environment.status)
        if state == "refused" and environment.status in (Status.STARTING, Status.STOPPING):
            _power_refused(environment, errors=errors)
            return FollowOutcome(environment.status)
        if state in ("failed", "refused"):
            _finish_failed(environment, errors=errors)
            return FollowOutcome(environment.status)
        if state == "in_error" and errors and environment.status_message != "; ".join(errors):
            environment.status_message = "; ".join(errors)
            event_add(environment=environment, kind=Kind.PROGRESS,
                      message="AWS reports errors and is rolling back: " + "; ".join(errors))
        if state == "transient":
            logger.warning("Follow-up of environment %s postponed: %s", environment.pk, errors[0])
        started = environment.follow_started_at or environment.created_at
        timeout = settings.PORTAL_PROVISION_TIMEOUT_SECONDS
        if timezone.now() - started > timedelta(seconds=timeout):
            _finish_failed(environment, errors=[
                f"Timed out: AWS did not finish within {timeout} seconds. The reconcile task "
                "keeps watching the provisioned product."], timed_out=True)
            return FollowOutcome(environment.status)
        environment.follow_checks += 1
        environment.save()
        delay = follow_delay(environment.follow_checks)
        _follow_schedule(environment, attempt=attempt + 1, delay=delay)
        return FollowOutcome("waiting", attempt=attempt + 1, next_delay=delay)


def _finish(environment: Environment, *, outputs: dict[str, str]) -> None:
    now = timezone.now()
    was = environment.status
    environment.next_check_at = None
    environment.status_message = ""
    if was in (Status.PROVISIONING, Status.UPDATING):
        environment.outputs = {**environment.outputs, **outputs} if was == Status.UPDATING \
            else dict(outputs)
        _map_outputs(environment, environment.outputs)
    if was == Status.PROVISIONING:
        environment.status = Status.AVAILABLE
        environment.available_at = now
        environment.save()
        event_add(environment=environment, kind=Kind.AVAILABLE, message="Ready to open.")
        audit_record(action="environment.available", obj=environment,
                     project=environment.project,
                     data={"provisioned_product_id": environment.provisioned_product_id})
        owner_notify(environment=environment,
                     subject=f"Ready: {environment.product.name}",
                     lines=[f"{environment.product.name} ({environment.provisioned_product_name}) "
                            "is available. Open it from the portal."])
    elif was == Status.UPDATING:
        request = environment.pending_request
        if request is not None:
            environment.version = request.version
            environment.parameters = dict(request.parameters or {})
        environment.pending_request = None
        environment.status = Status.AVAILABLE
        environment.save()
        event_add(environment=environment, kind=Kind.UPDATED, message="The change was applied.")
        audit_record(action="environment.updated", obj=environment, project=environment.project)
        owner_notify(environment=environment, subject=f"Changed: {environment.product.name}",
                     lines=["Your change request was applied."])
    elif was == Status.TERMINATING:
        environment.status = Status.TERMINATED
        environment.terminated_at = now
        environment.save()
        event_add(environment=environment, kind=Kind.TERMINATED, message="Terminated in AWS.")
        audit_record(action="environment.terminated", obj=environment,
                     project=environment.project)
        owner_notify(environment=environment, subject=f"Terminated: {environment.product.name}",
                     lines=[f"{environment.provisioned_product_name} was terminated."])
    elif was == Status.STOPPING:
        environment.status = Status.STOPPED
        environment.save()
        event_add(environment=environment, kind=Kind.STOPPED, message="The notebook stopped.")
    elif was == Status.STARTING:
        environment.status = Status.AVAILABLE
        environment.save()
        event_add(environment=environment, kind=Kind.STARTED, message="The notebook is running.")


def _power_refused(environment: Environment, *, errors: list[str]) -> None:
    """AWS refused to stop or start the notebook: it stays as it was, with the reason shown."""
    stopping = environment.status == Status.STOPPING
    environment.status = Status.AVAILABLE if stopping else Status.STOPPED
    environment.status_message = (f"Could not {'stop' if stopping else 'start'} the notebook: "
                                  + "; ".join(errors))
    environment.next_check_at = None
    environment.save()
    event_add(environment=environment, kind=Kind.FAILED, message=environment.status_message)


def _finish_failed(environment: Environment, *, errors: list[str], timed_out: bool = False
                   ) -> None:
    message = "; ".join(e for e in errors if e) or "AWS reported a failure without details."
    if environment.status == Status.UPDATING:
        # Service Catalog rolls a failed update back: the environment keeps running as before.
        environment.status = Status.AVAILABLE
        environment.status_message = f"The change failed and was rolled back: {message}"
        environment.pending_request = None
        environment.next_check_at = None
        environment.save()
        event_add(environment=environment, kind=Kind.FAILED,
                  message=environment.status_message)
        audit_record(action="environment.update_failed", obj=environment,
                     project=environment.project, data={"message": message[:1000]})
        owner_notify(environment=environment, subject=f"Change failed: {environment.product.name}",
                     lines=["Your change could not be applied:", message])
        return
    subject = (f"Timed out: {environment.product.name}" if timed_out
               else f"Provisioning failed: {environment.product.name}")
    _fail(environment, message=message, subject=subject)


# --- Lifecycle -------------------------------------------------------------------------------

def _owner_only(environment: Environment, user: User, action: str) -> None:
    if environment.owner_id != user.pk:
        raise PermissionDenied(f"Only the environment's owner can {action} it.")


def _notebook_move(*, environment: Environment, user: User, http_request: HttpRequest | None,
                   required: str, to: str, verb: str, kind: str) -> Environment:
    _owner_only(environment, user, verb)
    done = {"stop": "stopped", "start": "started"}[verb]
    with transaction.atomic():
        locked = _locked(environment.pk)
        if not locked.notebook_instance_name:
            raise InvalidTransition(f"Only notebook instances can be {done}.")
        if locked.status != required:
            raise InvalidTransition(
                f"The environment is {locked.get_status_display().lower()}; it can only be "
                f"{done} when {Status(required).label.lower()}.")
        locked.status = to
        locked.status_message = ""
        locked.save()
        event_add(environment=locked, kind=kind,
                  message=f"{verb.title()} requested by {user.display_name}.")
        audit_record(action=f"environment.{verb}", actor=user, request=http_request, obj=locked,
                     project=locked.project)
        _follow_start(locked)
    return locked


def environment_stop(*, environment: Environment, user: User,
                     http_request: HttpRequest | None = None) -> Environment:
    return _notebook_move(environment=environment, user=user, http_request=http_request,
                          required=Status.AVAILABLE, to=Status.STOPPING, verb="stop",
                          kind=Kind.STOP)


def environment_start(*, environment: Environment, user: User,
                      http_request: HttpRequest | None = None) -> Environment:
    return _notebook_move(environment=environment, user=user, http_request=http_request,
                          required=Status.STOPPED, to=Status.STARTING, verb="start",
                          kind=Kind.START)


TERMINABLE = (Status.QUEUED, Status.AVAILABLE, Status.STOPPED, Status.FAILED)


def environment_terminate(*, environment: Environment, user: User, confirm: bool,
                          http_request: HttpRequest | None = None,
                          token: str = "") -> Environment:
    """Terminate (owner or platform admin), only with an explicit confirmation."""
    if environment.owner_id != user.pk and not user.is_catalog_admin:
        raise PermissionDenied("Only the owner or a platform admin can terminate it.")
    if not confirm:
        raise InvalidTransition("Confirm the termination: it deletes the environment and its data.")
    with transaction.atomic():
        locked = _locked(environment.pk)
        if locked.status not in TERMINABLE:
            raise InvalidTransition(
                f"The environment is {locked.get_status_display().lower()}; wait until it is "
                "available, stopped or failed.")
        event_add(environment=locked, kind=Kind.TERMINATE,
                  message=f"Termination requested by {user.display_name}.")
        audit_record(action="environment.terminate", actor=user, request=http_request,
                     obj=locked, project=locked.project)
        if not locked.provisioned_product_id:  # nothing was created in AWS
            locked.status = Status.TERMINATED
            locked.terminated_at = timezone.now()
            locked.status_message = "Nothing had been created in AWS."
            locked.save()
            event_add(environment=locked, kind=Kind.TERMINATED, message=locked.status_message)
            return locked
        locked.status = Status.TERMINATING
        locked.status_message = ""
        locked.operation_token = token or str(uuid.uuid4())
        locked.last_record_id = ""
        locked.save()
        _follow_start(locked)
    return locked


def environment_terminate_apply(*, request: Request) -> Environment | None:
    """An approved terminate request from the approvals workflow."""
    environment = _environment_of(request)
    if environment is None:
        return None
    try:
        return environment_terminate(environment=environment, user=request.requester,
                                     confirm=True, token=str(request.pk))
    except (InvalidTransition, PermissionDenied) as exc:
        event_add(environment=environment, kind=Kind.FAILED,
                  message=f"Terminate request {request.short_id} could not be applied: {exc}")
        return environment


def environment_update_apply(*, request: Request) -> Environment | None:
    """An approved change request: UpdateProvisionedProduct with the new version/parameters."""
    environment = _environment_of(request)
    if environment is None:
        return None
    with transaction.atomic():
        locked = _locked(environment.pk)
        if locked.pending_request_id == request.pk or locked.operation_token == str(request.pk):
            return locked  # handed off twice
        if locked.owner_id != request.requester_id and not request.requester.is_catalog_admin:
            event_add(environment=locked, kind=Kind.FAILED,
                      message=f"Change request {request.short_id} by {request.requester} was not "
                              "applied: only the owner or a platform admin can change it.")
            return locked
        if locked.status not in (Status.AVAILABLE, Status.STOPPED) \
                or not locked.provisioned_product_id:
            event_add(environment=locked, kind=Kind.FAILED,
                      message=f"Change request {request.short_id} could not be applied: the "
                              f"environment is {locked.get_status_display().lower()}.")
            owner_notify(environment=locked, subject=f"Change not applied: {locked.product.name}",
                         lines=["Your approved change could not be applied because the "
                                f"environment is {locked.get_status_display().lower()}."])
            return locked
        locked.status = Status.UPDATING
        locked.status_message = ""
        locked.pending_request = request
        locked.operation_token = str(request.pk)
        locked.last_record_id = ""
        locked.save()
        event_add(environment=locked, kind=Kind.UPDATE,
                  message=f"Applying approved change request {request.short_id}.")
        audit_record(action="environment.update", actor=request.requester, obj=locked,
                     project=locked.project, data={"request": str(request.pk),
                                                   "version": request.version.name})
        _follow_start(locked)
    return locked


def _environment_of(request: Request) -> Environment | None:
    """The environment a day-2 request is about (its ``environment_ref`` is our uuid)."""
    try:
        pk = uuid.UUID(str(request.environment_ref))
    except ValueError:
        return None
    return Environment.objects.filter(pk=pk, project=request.project).first()
