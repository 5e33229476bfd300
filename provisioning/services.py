"""The provisioning hand-off, and the toolbox the other provisioning modules share.

The state machine is data in ``provisioning.states`` (rendered in docs/environment-states.md);
every status change goes through ``environment_status_set``. Each transition checks the current
state under a row lock (``environment_locked``), writes a timeline event (and an audit event for
people's actions) and enqueues follow-up work with ``transaction.on_commit``. AWS is called outside
the row lock: a second worker doing the same call is harmless because Service Catalog operations
carry idempotency tokens (``ProvisionToken`` = the request's uuid), and the state written
afterwards is guarded again under the lock.

The public helpers below (``environment_locked``, ``follow_start``, ``follow_schedule``,
``provision_dispatch``, ``environment_fail``, ``parameters_in_template_order``,
``launch_path_id``) are this module's documented API for ``provisioning.follow`` (progress),
``provisioning.lifecycle`` (stop/start, change, terminate), ``provisioning.launch``,
``provisioning.sweep`` and ``provisioning.provision_run`` (the provision task's run). They import
from here, never the other way round.
"""

from __future__ import annotations

import random
import uuid
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from approvals.models import Request
from catalog.checks import launch_path_for
from catalog.models import Product
from portal.aws_errors import aws_text_redact
from portal.sealing import parameters_open
from portal.services import audit_record
from portal.tasking import task_enqueue_on_commit
from provisioning.backends import BackendError, Tag
from provisioning.events_health import events_cover
from provisioning.hooks import environment_created
from provisioning.models import Environment, EnvironmentEvent
from provisioning.names import provisioned_product_name, sagemaker_project_name
from provisioning.notifications import owner_notify
from provisioning.states import InvalidTransition as InvalidTransition  # callers catch it here
from provisioning.states import environment_status_set
from provisioning.tags import chosen_tags, tag_set_build

Status = Environment.Status
Kind = EnvironmentEvent.Kind


# --- Small helpers ---------------------------------------------------------------------------

def activity_bump(environment: Environment) -> None:
    """Record an open (presigned URL) or a start through the portal: the idle auto-stop (leases)
    counts its deadline from ``last_activity_at``, so each open pushes it back (Coder's
    activity bump). One UPDATE, no lock: the latest writer wins, which is the latest open."""
    now = timezone.now()
    environment.last_activity_at = now
    Environment.objects.filter(pk=environment.pk).update(last_activity_at=now)


def event_add(*, environment: Environment, kind: str, message: str) -> EnvironmentEvent:
    return EnvironmentEvent.objects.create(environment=environment, kind=kind, message=message)


def environment_locked(environment_id: Any) -> Environment:
    """The environment row, locked for the caller's transaction (with its product, project,
    owner and version loaded)."""
    # of=("self",): lock the environment row only. Without it PostgreSQL would also lock the
    # joined owner, project and product rows, and every insert referencing them (requests, audit
    # events) would queue behind provisioning, even deadlock with it.
    return Environment.objects.select_for_update(of=("self",)).select_related(
        "product", "project", "owner", "version"
    ).get(pk=environment_id)


def follow_delay(checks: int, *, environment: Environment | None = None) -> float:
    """Delay before the next check after ``checks`` checks: 5 s doubling to a 60 s cap.

    The jitter (10-30 % on top) spreads follow-ups of environments approved together; keeping it
    positive keeps a ten-minute provisioning within 12 DescribeRecord calls. After the first
    check of an ``environment`` that events cover while a consumer is healthy
    (``provisioning.events_health.events_cover``), the next check is the fallback one,
    PORTAL_EVENTS_FALLBACK_SECONDS away: the event of its end triggers the final check.
    """
    if environment is not None and checks >= 1 and events_cover(environment):
        return settings.PORTAL_EVENTS_FALLBACK_SECONDS * random.uniform(1.0, 1.3)
    first = settings.PORTAL_FOLLOW_FIRST_SECONDS
    base = min(float(settings.PORTAL_FOLLOW_MAX_SECONDS), first * 2.0 ** min(checks, 20))
    return base * random.uniform(1.1, 1.3)


def follow_schedule(environment: Environment, *, attempt: int, delay: float) -> None:
    """Record when the next check is due and enqueue it once the transaction commits."""
    environment.follow_attempt = attempt
    environment.next_check_at = timezone.now() + timedelta(seconds=delay)
    environment.save(update_fields=["follow_attempt", "follow_checks", "follow_started_at",
                                    "next_check_at", "updated_at"])
    from provisioning.tasks import environment_follow_task

    # A broker outage leaves the check recorded as due: the sweeper sends it once overdue.
    task_enqueue_on_commit(environment_follow_task, str(environment.pk), attempt,
                           countdown=delay)


def follow_start(environment: Environment) -> None:
    """Start following a new operation: reset the backoff, schedule the first check."""
    environment.follow_started_at = timezone.now()
    environment.follow_checks = 0
    follow_schedule(environment, attempt=environment.follow_attempt + 1,
                     delay=follow_delay(0))


def provision_dispatch(environment: Environment) -> None:
    """Start a new provision chain: enqueue its task once the transaction commits, due now.

    The chain's number (``dispatch_attempt``) travels with the task, so a task of an older chain
    (one the sweeper gave up on) finds a newer number and stops: one chain per environment.
    """
    from provisioning.tasks import environment_provision_task

    now = timezone.now()
    environment.dispatch_attempt += 1
    environment.dispatched_at = environment.next_attempt_at = now
    environment.save(update_fields=["dispatched_at", "dispatch_attempt", "next_attempt_at",
                                    "updated_at"])
    # A broker outage must not break the approval's commit; the sweeper re-dispatches.
    task_enqueue_on_commit(environment_provision_task, str(environment.pk),
                           environment.dispatch_attempt)


# --- Hand-off from approvals -----------------------------------------------------------------

def environment_provision(*, request: Request) -> Environment | None:
    """The approvals app's hand-off for an approved request; safe to call more than once.

    A create request becomes a new queued environment (one per request) and the provision task is
    enqueued on commit. An update or terminate request is applied to its environment.
    """
    if request.status != Request.Status.APPROVED:
        raise InvalidTransition(f"Request {request.pk} is {request.status}, not approved.")
    # Imported here: lifecycle imports this module, so a top-level import would be a cycle.
    from provisioning.lifecycle import environment_terminate_apply, environment_update_apply

    if request.action == Request.Action.UPDATE:
        return environment_update_apply(request=request)
    if request.action == Request.Action.TERMINATE:
        return environment_terminate_apply(request=request)
    if request.action != Request.Action.CREATE:
        return None  # an extend request is the leases app's (its own hand-off handler)
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
        # The portal names the project, unique per environment: SageMakerProjectName is
        # SageMaker's to fill (never a form field), so a request never chooses it.
        environment.sagemaker_project_name = sagemaker_project_name(
            username=request.requester.username, short_id=environment_id.hex[:8])
    try:
        with transaction.atomic():
            environment.save(force_insert=True)
            event_add(environment=environment, kind=Kind.CREATED,
                      message=f"Request {request.reference} approved; queued for provisioning.")
            audit_record(action="environment.created", actor=request.requester,
                         obj=environment, project=environment.project,
                         data={"request": str(request.pk), "product": request.product.name,
                               "name": environment.provisioned_product_name})
            environment_created(environment)  # the apps above (leases) add theirs
            provision_dispatch(environment)
    except IntegrityError:  # a concurrent hand-off of the same request created it first
        return Environment.objects.get(origin_request=request)
    return environment


# --- Provisioning ----------------------------------------------------------------------------

def parameters_in_template_order(environment: Environment, values: dict[str, Any]
                                 ) -> dict[str, str]:
    """Parameters in the template's order (then by key): JSON columns do not keep key order."""
    positions = {key: i for i, key in enumerate(
        environment.version.parameters.order_by("position", "key").values_list("key", flat=True))}
    keys = sorted(values, key=lambda k: (positions.get(str(k), len(positions)), str(k)))
    return {str(k): "" if values[k] is None else str(values[k]) for k in keys}


def parameters_opened(*, version: Any, values: dict[str, Any]) -> dict[str, Any]:
    """``values`` with the version's NoEcho values decrypted: for the AWS call only, never kept."""
    secret = version.parameters.filter(no_echo=True).values_list("key", flat=True)
    return parameters_open(values=values, secret_keys=secret)


def environment_tags(*, environment: Environment, request: Request,
                     choices: Any = None) -> list[Tag]:
    """The portal's tags of an environment with the TagOption values picked (``choices``, by
    default the request's own)."""
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
        chosen=chosen_tags(request.tag_choices if choices is None else choices),
    )


def launch_path_id(product: Product) -> str:
    """The launch path the catalog sync read the parameters through (one choice for both, so
    what was validated is what is provisioned), or "" when the product has none."""
    path = launch_path_for(product=product)
    return path.path_id if path else ""


def environment_fail(environment: Environment, *, message: str, subject: str) -> None:
    """Mark a locked environment failed and tell its owner. Caller holds the lock.

    The owner sees ``message`` without ARNs or account ids; the audit event keeps AWS's text.
    """
    shown = aws_text_redact(message)
    environment_status_set(environment, to=Status.FAILED)
    environment.status_message = shown
    environment.next_check_at = None
    environment.save()
    event_add(environment=environment, kind=Kind.FAILED, message=shown)
    audit_record(action="environment.failed", obj=environment, project=environment.project,
                 data={"message": shown[:1000], "detail": message[:1000]})
    owner_notify(environment=environment, subject=subject,
                 lines=[f"{environment.product.name} ({environment.provisioned_product_name}) "
                        "could not be provisioned:", shown])


UNREACHABLE = "The portal cannot reach this environment's AWS account: "


def environment_aws_unreachable(environment: Environment, *, error: BackendError) -> None:
    """Note on a locked environment that its project's role could not be assumed.

    The status does not change (the follow-up keeps trying until its timeout; reconcile tries
    again at its next run). The owner sees a message without ARNs or account ids; the audit event
    keeps STS's text for admins. Only a new message is recorded (not one per check).
    """
    message = UNREACHABLE + error.message
    if environment.status_message == message:
        return
    environment.status_message = message
    environment.save(update_fields=["status_message", "updated_at"])
    event_add(environment=environment, kind=Kind.PROGRESS, message=message)
    audit_record(action="environment.aws_unreachable", obj=environment,
                 project=environment.project,
                 data={"operation": error.operation, "code": error.code,
                       "detail": error.detail[:1000]})
