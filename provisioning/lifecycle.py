"""People's actions on an existing environment: stop/start a notebook, change it, terminate it."""

from __future__ import annotations

import uuid

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from approvals.models import Request
from portal.models import User
from portal.services import audit_record
from provisioning.guards import (
    PHASE_START,
    PHASE_UPDATE,
    environment_refusals,
    environment_refuse_unless_allowed,
)
from provisioning.models import Environment
from provisioning.notifications import owner_notify
from provisioning.services import (
    InvalidTransition,
    Kind,
    Status,
    environment_locked,
    event_add,
    follow_start,
)
from provisioning.states import environment_status_set

# --- Lifecycle -------------------------------------------------------------------------------

def _owner_only(environment: Environment, user: User, action: str) -> None:
    if environment.owner_id != user.pk:
        raise PermissionDenied(f"Only the environment's owner can {action} it.")


def _notebook_move(*, environment: Environment, user: User, http_request: HttpRequest | None,
                   required: str, to: str, verb: str, kind: str) -> Environment:
    _owner_only(environment, user, verb)
    done = {"stop": "stopped", "start": "started"}[verb]
    with transaction.atomic():
        locked = environment_locked(environment.pk)
        if not locked.notebook_instance_name:
            raise InvalidTransition(f"Only notebook instances can be {done}.")
        if locked.status != required:
            raise InvalidTransition(
                f"The environment is {locked.get_status_display().lower()}; it can only be "
                f"{done} when {Status(required).label.lower()}.")
        if verb == "start":  # a quota may refuse starting it (EnvironmentRefused, a 409)
            environment_refuse_unless_allowed(locked, phase=PHASE_START)
        environment_status_set(locked, to=to)
        locked.status_message = ""
        locked.acting_user = user
        if verb == "start":  # a start through the portal is activity (the idle auto-stop)
            locked.last_activity_at = timezone.now()
        locked.save()
        event_add(environment=locked, kind=kind,
                  message=f"{verb.title()} requested by {user.display_name}.")
        audit_record(action=f"environment.{verb}", actor=user, request=http_request, obj=locked,
                     project=locked.project)
        follow_start(locked)
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
        locked = environment_locked(environment.pk)
        if locked.status not in TERMINABLE:
            raise InvalidTransition(
                f"The environment is {locked.get_status_display().lower()}; wait until it is "
                "available, stopped or failed.")
        event_add(environment=locked, kind=Kind.TERMINATE,
                  message=f"Termination requested by {user.display_name}.")
        audit_record(action="environment.terminate", actor=user, request=http_request,
                     obj=locked, project=locked.project)
        _terminate_locked(locked, acting_user=user, token=token)
    return locked


def _terminate_locked(locked: Environment, *, acting_user: User | None, token: str) -> None:
    """Terminate a locked, terminable environment (the caller wrote who asked)."""
    # Nothing was created in AWS (a project CreateProject accepted has its project id).
    if not locked.provisioned_product_id and not (
            locked.is_sagemaker_project and locked.sagemaker_project_id):
        environment_status_set(locked, to=Status.TERMINATED)
        locked.terminated_at = timezone.now()
        locked.status_message = "Nothing had been created in AWS."
        locked.save()
        event_add(environment=locked, kind=Kind.TERMINATED, message=locked.status_message)
        return
    environment_status_set(locked, to=Status.TERMINATING)
    locked.status_message = ""
    locked.acting_user = acting_user
    locked.operation_token = token or str(uuid.uuid4())
    locked.last_record_id = ""
    locked.save()
    follow_start(locked)


# --- Actions of a portal rule (a lease end), not of a person ----------------------------------
# They run in the portal's own AWS session (no acting user) and are audited with ``actor_label``
# (``actor_username`` of the audit event, no actor): the rule acted, not the owner.

def environment_stop_by_rule(*, environment: Environment, reason: str,
                             actor_label: str) -> bool:
    """Stop a running notebook; False (nothing done) when it is not an available notebook."""
    with transaction.atomic():
        locked = environment_locked(environment.pk)
        if not locked.notebook_instance_name or locked.status != Status.AVAILABLE:
            return False
        environment_status_set(locked, to=Status.STOPPING)
        locked.status_message = ""
        locked.acting_user = None
        locked.save()
        event_add(environment=locked, kind=Kind.STOP, message=f"Stop requested: {reason}")
        audit_record(action="environment.stop", actor_username=actor_label, obj=locked,
                     project=locked.project, data={"reason": reason})
        follow_start(locked)
    return True


def environment_terminate_by_rule(*, environment: Environment, reason: str,
                                  actor_label: str) -> bool:
    """Terminate; False (nothing done) when its state does not allow it now."""
    with transaction.atomic():
        locked = environment_locked(environment.pk)
        if locked.status not in TERMINABLE:
            return False
        event_add(environment=locked, kind=Kind.TERMINATE,
                  message=f"Termination requested: {reason}")
        audit_record(action="environment.terminate", actor_username=actor_label, obj=locked,
                     project=locked.project, data={"reason": reason})
        _terminate_locked(locked, acting_user=None, token="")
    return True


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
                  message=f"Terminate request {request.reference} could not be applied: {exc}")
        return environment


def environment_update_apply(*, request: Request) -> Environment | None:
    """An approved change request: UpdateProvisionedProduct with the new version/parameters."""
    environment = _environment_of(request)
    if environment is None:
        return None
    with transaction.atomic():
        locked = environment_locked(environment.pk)
        if locked.pending_request_id == request.pk or locked.operation_token == str(request.pk):
            return locked  # handed off twice
        if locked.owner_id != request.requester_id and not request.requester.is_catalog_admin:
            event_add(environment=locked, kind=Kind.FAILED,
                      message=f"Change request {request.reference} by {request.requester} was not "
                              "applied: only the owner or a platform admin can change it.")
            return locked
        if locked.status not in (Status.AVAILABLE, Status.STOPPED) \
                or not locked.provisioned_product_id:
            event_add(environment=locked, kind=Kind.FAILED,
                      message=f"Change request {request.reference} could not be applied: the "
                              f"environment is {locked.get_status_display().lower()}.")
            owner_notify(environment=locked, subject=f"Change not applied: {locked.product.name}",
                         lines=["Your approved change could not be applied because the "
                                f"environment is {locked.get_status_display().lower()}."])
            return locked
        refusals = environment_refusals(locked, phase=PHASE_UPDATE,
                                        parameters=request.parameters or {})
        if refusals:  # a quota lowered, or filled, while the change waited for approval
            event_add(environment=locked, kind=Kind.FAILED,
                      message=f"Change request {request.reference} was not applied: "
                              + " ".join(refusals))
            audit_record(action="environment.update_refused", obj=locked,
                         project=locked.project,
                         data={"request": str(request.pk), "refusals": refusals})
            owner_notify(environment=locked, subject=f"Change not applied: {locked.product.name}",
                         lines=["Your approved change could not be applied:", *refusals])
            return locked
        environment_status_set(locked, to=Status.UPDATING)
        locked.status_message = ""
        locked.acting_user = request.requester
        locked.pending_request = request
        locked.operation_token = str(request.pk)
        locked.last_record_id = ""
        locked.save()
        event_add(environment=locked, kind=Kind.UPDATE,
                  message=f"Applying approved change request {request.reference}.")
        audit_record(action="environment.update", actor=request.requester, obj=locked,
                     project=locked.project, data={"request": str(request.pk),
                                                   "version": request.version.name})
        follow_start(locked)
    return locked


def _environment_of(request: Request) -> Environment | None:
    """The environment a day-2 request is about (its ``environment_ref`` is our uuid)."""
    try:
        pk = uuid.UUID(str(request.environment_ref))
    except ValueError:
        return None
    return Environment.objects.filter(pk=pk, project=request.project).first()
