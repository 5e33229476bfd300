"""The provision task's work: one ProvisionProduct (or SageMaker CreateProject) per queued
environment, then the follow-up starts.

Split from ``provisioning.services`` (the hand-off and the toolbox it shares with the other
provisioning modules), which this module uses and which never imports it. The run has four steps,
each its own function: build the call under the row lock, check the account for the resources
the parameters name, send the call outside the lock, and record AWS's answer under the lock
again. AWS is called outside the lock: a second worker sending the same call is harmless because
ProvisionProduct carries an idempotency token (``ProvisionToken`` = the request's uuid) and
CreateProject adopts only this environment's own project; each write afterwards re-checks that
the environment is still queued.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from catalog.idle import idle_parameters_fill
from catalog.models import Product
from catalog.parameters import SAGEMAKER_PROJECT_PARAMETERS
from portal.services import audit_record
from provisioning.backends import (
    BackendError,
    ProvisionOrder,
    RecordStatus,
    Transient,
    backend_for,
)
from provisioning.guards import PHASE_PROVISION, environment_refusals
from provisioning.models import Environment
from provisioning.names import NAME_PARAMETERS, name_parameter_filled
from provisioning.project_ownership import ProjectNameTaken, sagemaker_project_create_once
from provisioning.resource_check import parameters_missing_in_account
from provisioning.services import (
    Kind,
    Status,
    environment_fail,
    environment_locked,
    environment_tags,
    event_add,
    follow_start,
    launch_path_id,
    parameters_in_template_order,
    parameters_opened,
)
from provisioning.states import environment_status_set
from provisioning.tags import TagSetInvalid


def parameters_for(environment: Environment) -> dict[str, str]:
    """The parameters ProvisionProduct sends: the template's order, NoEcho values opened, the
    name parameter filled, SageMaker's own project parameters left out, idle settings added."""
    # NoEcho values are sealed at rest; opened here only, for the call to AWS.
    parameters = name_parameter_filled(environment, parameters_in_template_order(
        environment, parameters_opened(version=environment.version,
                                       values=environment.parameters or {})))
    if environment.product.kind == Product.Kind.SAGEMAKER_PROJECT:
        for key in SAGEMAKER_PROJECT_PARAMETERS:
            parameters.pop(key, None)
    return idle_parameters_fill(environment.product, parameters)


@dataclass(frozen=True)
class ProvisionCall:
    """What the provision step sends to AWS, built under the lock, sent outside it."""

    order: ProvisionOrder
    kind: str
    project_name: str


@dataclass(frozen=True)
class ProvisionPrepared:
    """The call built under the lock, with the environment it is for and the backend that sends
    it (acting for the requester)."""

    environment: Environment
    call: ProvisionCall
    backend: Any


@dataclass(frozen=True)
class ProvisionAccepted:
    """What AWS accepted: a Service Catalog record, or (CreateProject) a SageMaker project."""

    record: RecordStatus | None
    project: Any = None


def provision_failed_subject(environment: Environment) -> str:
    """The subject of the owner's mail when provisioning fails (the same for every cause)."""
    return f"Provisioning failed: {environment.product.name}"


def provision_prepare(environment_id: Any, *, attempt: int | None
                      ) -> ProvisionPrepared | str:
    """Under the row lock: check the environment is queued in the current chain and still within
    limits, fix its tags, token and name, and build the call. Returns the outcome ("skipped",
    "stale", "failed") instead when there is nothing to send."""
    with transaction.atomic():
        environment = environment_locked(environment_id)
        if environment.status != Status.QUEUED:
            return "skipped"
        if attempt is not None and attempt != environment.dispatch_attempt:
            return "stale"  # the sweeper started a newer chain: this one ends here
        request = environment.origin_request
        # Checked again here (quotas): limits may have been lowered while approvals took days.
        refusals = environment_refusals(environment, phase=PHASE_PROVISION)
        if refusals:
            environment_fail(environment, message="Not provisioned: " + " ".join(refusals),
                             subject=provision_failed_subject(environment))
            return "failed"
        try:
            tags = environment_tags(environment=environment, request=request)
        except TagSetInvalid as exc:
            environment_fail(environment, message=f"Tags refused: {exc}",
                             subject=provision_failed_subject(environment))
            return "failed"
        environment.tags = [{"Key": t.key, "Value": t.value} for t in tags]
        environment.operation_token = str(request.pk)
        parameters = parameters_for(environment)
        # The environment keeps the name it was given (a change starts from these values).
        name_key = NAME_PARAMETERS.get(environment.product.kind, "")
        if name_key in parameters:
            environment.parameters = {**environment.parameters,
                                      name_key: parameters[name_key]}
        environment.save(update_fields=["tags", "operation_token", "parameters", "updated_at"])
        call = ProvisionCall(
            order=ProvisionOrder(
                product_id=environment.product.product_id,
                artifact_id=environment.version.artifact_id,
                path_id=launch_path_id(environment.product),
                name=environment.provisioned_product_name,
                parameters=parameters,
                tags=tags,
                token=environment.operation_token,
            ),
            kind=environment.product.kind,
            project_name=environment.sagemaker_project_name,
        )
        # ProvisionProduct acts for the requester: the session names them and carries their
        # owner tag, the same value the resources are tagged with.
        backend = backend_for(environment.project, actor=request.requester,
                              resource_owner=environment.owner)
    return ProvisionPrepared(environment=environment, call=call, backend=backend)


def provision_fail_if_queued(environment_id: Any, *, message: str) -> None:
    """Fail the environment under the lock, unless another worker moved it on meanwhile."""
    with transaction.atomic():
        environment = environment_locked(environment_id)
        if environment.status == Status.QUEUED:
            environment_fail(environment, message=message,
                             subject=provision_failed_subject(environment))


def provision_retry_note(environment_id: Any, *, attempt: int | None, retry_in: float,
                         code: str) -> None:
    """Record the task's retry of a throttled call as the next attempt, so the sweeper leaves
    the environment alone until it is due (only for the current chain of a queued one)."""
    with transaction.atomic():
        environment = environment_locked(environment_id)
        current = attempt is None or attempt == environment.dispatch_attempt
        if environment.status == Status.QUEUED and current:
            # The task retries it: not lost, so the sweeper leaves it alone until it is due.
            now = timezone.now()
            environment.dispatched_at = now
            environment.next_attempt_at = now + timedelta(seconds=retry_in)
            environment.save(update_fields=["dispatched_at", "next_attempt_at",
                                            "updated_at"])
            event_add(environment=environment, kind=Kind.RETRY,
                      message=f"AWS is busy ({code}); the portal will try again in "
                              f"{retry_in:.0f} s.")


def provision_send(prepared: ProvisionPrepared) -> ProvisionAccepted:
    """Send the call, outside any lock: CreateProject (once) for a SageMaker project,
    ProvisionProduct for the rest. Raises the backend's errors."""
    environment, call = prepared.environment, prepared.call
    if call.kind == Product.Kind.SAGEMAKER_PROJECT:
        project = sagemaker_project_create_once(
            prepared.backend, environment=environment, project_name=call.project_name,
            description=f"{environment.product.name} for {environment.owner.display_name}",
            order=call.order)
        return ProvisionAccepted(record=None, project=project)
    return ProvisionAccepted(record=prepared.backend.provision_product(order=call.order))


def provision_started(environment_id: Any, accepted: ProvisionAccepted) -> str:
    """Under the lock again: the environment is provisioning, with what AWS accepted recorded
    (timeline, audit), and its follow-up starts. "skipped" when another worker got there."""
    with transaction.atomic():
        environment = environment_locked(environment_id)
        if environment.status != Status.QUEUED:
            return "skipped"  # another worker got here first with the same token
        environment_status_set(environment, to=Status.PROVISIONING)
        environment.status_message = "Provisioning in AWS."
        environment.next_attempt_at = None
        record = accepted.record
        if record is not None:
            environment.last_record_id = record.record_id
            environment.provisioned_product_id = record.provisioned_product_id
            sent = f"ProvisionProduct accepted (record {record.record_id})."
            data = {"record": record.record_id,
                    "provisioned_product_id": record.provisioned_product_id}
        else:
            environment.sagemaker_project_id = accepted.project.project_id
            sent = f"SageMaker CreateProject accepted (project {accepted.project.project_name})."
            data = {"sagemaker_project": accepted.project.project_name}
        environment.save()
        event_add(environment=environment, kind=Kind.DISPATCHED, message=sent)
        audit_record(action="environment.provisioning", obj=environment,
                     project=environment.project, data=data)
        follow_start(environment)
    return "provisioning"


def environment_provision_run(*, environment_id: Any, attempt: int | None = None,
                              retry_in: float = 0.0) -> str:
    """The provision task's work: call ProvisionProduct (or CreateProject) once, start following.

    Returns what happened ("provisioning", "failed", "skipped", "stale", "missing"). Raises
    ``Transient`` (throttling, outages) for the task to retry in ``retry_in`` seconds, which is
    recorded as the next attempt (the sweeper leaves a scheduled retry alone); the environment
    stays queued, so nothing is lost. ``attempt`` is the chain's number (None: a message from
    before chains were numbered, run as the current chain).
    """
    if not Environment.objects.filter(pk=environment_id).exists():
        return "missing"  # a message about an environment that is gone
    prepared = provision_prepare(environment_id, attempt=attempt)
    if isinstance(prepared, str):
        return prepared
    missing = parameters_missing_in_account(environment=prepared.environment,
                                            parameters=prepared.call.order.parameters)
    if missing:
        provision_fail_if_queued(environment_id, message="Not provisioned: " + " ".join(missing))
        return "failed"
    try:
        accepted = provision_send(prepared)
    except Transient as exc:
        provision_retry_note(environment_id, attempt=attempt, retry_in=retry_in, code=exc.code)
        raise
    except BackendError as exc:
        provision_fail_if_queued(environment_id, message=(
            exc.message if isinstance(exc, ProjectNameTaken)
            else f"{exc.operation} refused: {exc.code}: {exc.detail}"))
        return "failed"
    return provision_started(environment_id, accepted)
