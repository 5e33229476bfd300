"""Following an environment in AWS until a provisioning, change, stop/start or termination ends.

Each check looks at AWS once (``provisioning.follow_observe``, outside the row lock), then writes
what it found under the lock and schedules the next one with backoff.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from portal.aws_errors import aws_text_redact
from portal.services import audit_record
from provisioning.backends import (
    BackendError,
    NotFound,
    RoleUnavailable,
    Transient,
)
from provisioning.day2 import environment_change_plan, environment_change_tags, tags_as_rows
from provisioning.follow_observe import environment_observe
from provisioning.models import Environment
from provisioning.notifications import owner_notify
from provisioning.resolve import Found, environment_resource_find, environment_resource_lookup
from provisioning.services import (
    Kind,
    Status,
    environment_aws_unreachable,
    environment_fail,
    environment_locked,
    event_add,
    follow_delay,
    follow_schedule,
)
from provisioning.states import environment_status_set
from provisioning.studio_idle import IdleRead, studio_idle_apply, studio_idle_read

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class FollowOutcome:
    """What one check found; ``attempt`` is the number of the check scheduled next (waiting)."""

    result: str
    attempt: int = 0


def _resolved_apply(environment: Environment, found: Found | None) -> None:
    """Write the identifiers found (and their source) on a locked environment; what a source
    does not give is kept as it was."""
    if found is None:
        found = environment_resource_find(environment=environment, outputs=environment.outputs,
                                          finder=None)
    fields = {"notebook_instance_name": 63, "domain_id": 63, "user_profile_name": 63,
              "project_name": 32, "project_id": 20}
    for name, limit in fields.items():
        value = getattr(found, name)
        target = {"project_name": "sagemaker_project_name",
                  "project_id": "sagemaker_project_id"}.get(name, name)
        if value and len(value) <= limit:  # a longer value is not a SageMaker name: never cut it
            setattr(environment, target, value)
    if found.source:
        environment.resolved_by = found.source


@dataclass(frozen=True)
class FollowCheck:
    """What one look at AWS found, outside the lock. ``state``: "done", "failed", "in_error"
    (still running, with errors) or "running" as AWS says, or what went wrong asking: "missing"
    (not known yet), "transient", "unreachable" (the role), "refused". A finished provisioning
    or change also carries the resources found and the Studio idle settings read."""

    state: str
    errors: list[str]
    outputs: dict[str, str]
    pp_id: str
    found: Found | None = None
    idle: IdleRead | None = None
    unreachable: RoleUnavailable | None = None


def follow_check(environment: Environment, *, status_seen: str) -> FollowCheck:
    """Look at AWS once (``environment_observe``), AWS's errors turned into states."""
    try:
        state, errors, outputs, pp_id = environment_observe(environment)
        if state == "done" and status_seen in (Status.PROVISIONING, Status.UPDATING):
            found = environment_resource_lookup(
                environment=environment, outputs={**environment.outputs, **outputs})
            idle = studio_idle_read(environment, domain_id=found.domain_id if found else "",
                                    user_profile_name=found.user_profile_name if found else "")
            return FollowCheck(state, errors, outputs, pp_id, found=found, idle=idle)
        return FollowCheck(state, errors, outputs, pp_id)
    except NotFound as exc:
        if exc.operation not in CONSISTENT_LATER:
            return FollowCheck("refused", [f"{exc.operation}: {exc.code}: {exc.message}"], {}, "")
        return FollowCheck("missing", [f"{exc.code}: {exc.message}"], {}, "")
    except Transient as exc:
        return FollowCheck("transient", [f"{exc.code}: {exc.message}"], {}, "")
    except RoleUnavailable as exc:
        return FollowCheck("unreachable", [], {}, "", unreachable=exc)
    except BackendError as exc:
        return FollowCheck("refused", [f"{exc.operation}: {exc.code}: {exc.detail}"], {}, "")


def follow_ended(environment: Environment, check: FollowCheck) -> bool:
    """On the locked environment: finish it when the check ends the wait (done, failed,
    refused, or unknown to AWS for too long). Returns whether it ended."""
    if check.state == "missing":
        if _missing_for_too_long(environment, error=check.errors[0]):
            return True
    else:
        environment.aws_missing_since = None
    if check.state == "done":
        studio_idle_apply(environment, check.idle)  # saved with the rest by environment_finish
        environment_finish(environment, outputs=check.outputs, found=check.found)
        return True
    if check.state == "refused" and environment.status in (Status.STARTING, Status.STOPPING):
        _power_refused(environment, errors=check.errors)
        return True
    if check.state in ("failed", "refused"):
        _finish_failed(environment, errors=check.errors)
        return True
    return False


def follow_note(environment: Environment, check: FollowCheck) -> None:
    """On the locked environment, still waiting: show AWS's errors of a rollback (once each),
    log a postponed check, note an account the portal cannot reach."""
    shown = aws_text_redact("; ".join(check.errors))  # the errors as the requester may see them
    if check.state == "in_error" and check.errors and environment.status_message != shown:
        environment.status_message = shown
        event_add(environment=environment, kind=Kind.PROGRESS,
                  message="AWS reports errors and is rolling back: " + shown)
    if check.state == "transient":
        logger.warning("Follow-up of environment %s postponed: %s", environment.pk,
                       check.errors[0])
    if check.unreachable is not None:
        environment_aws_unreachable(environment, error=check.unreachable)


def follow_timed_out(environment: Environment) -> bool:
    """Fail the locked environment once its operation outlasted PORTAL_PROVISION_TIMEOUT_SECONDS
    (the reconcile task keeps watching); returns whether it did."""
    started = environment.follow_started_at or environment.created_at
    timeout = settings.PORTAL_PROVISION_TIMEOUT_SECONDS
    if timezone.now() - started <= timedelta(seconds=timeout):
        return False
    _finish_failed(environment, errors=[
        f"Timed out: AWS did not finish within {timeout} seconds. The reconcile task "
        "keeps watching the provisioned product."], timed_out=True)
    return True


def environment_follow_run(*, environment_id: Any, attempt: int) -> FollowOutcome:
    """One check of an environment in a followed state; says when to check again.

    ``attempt`` must equal the environment's ``follow_attempt``: a duplicate or superseded
    follow-up (a redelivered message, a sweeper re-dispatch) finds a newer number and stops.
    AWS is asked outside the row lock; what it said is written under the lock, unless the
    environment moved on meanwhile.
    """
    environment = Environment.objects.select_related(
        "product", "project", "owner", "acting_user").filter(pk=environment_id).first()
    if environment is None or environment.status not in Environment.FOLLOWED:
        return FollowOutcome("done")
    if environment.follow_attempt != attempt:
        return FollowOutcome("stale")
    status_seen = environment.status
    check = follow_check(environment, status_seen=status_seen)

    with transaction.atomic():
        environment = environment_locked(environment_id)
        if environment.status != status_seen or environment.follow_attempt != attempt:
            return FollowOutcome("stale")
        if check.pp_id and not environment.provisioned_product_id:
            environment.provisioned_product_id = check.pp_id
        if follow_ended(environment, check):
            return FollowOutcome(environment.status)
        follow_note(environment, check)
        if follow_timed_out(environment):
            return FollowOutcome(environment.status)
        environment.follow_checks += 1
        environment.save()
        delay = follow_delay(environment.follow_checks, environment=environment)
        follow_schedule(environment, attempt=attempt + 1, delay=delay)
        return FollowOutcome("waiting", attempt=attempt + 1)


# Reads of something AWS has just created, which answer not-found for a while (eventual
# consistency): retried for PORTAL_AWS_CONSISTENCY_SECONDS instead of failing at once.
CONSISTENT_LATER = frozenset({"DescribeRecord", "DescribeProject"})


def _missing_for_too_long(environment: Environment, *, error: str) -> bool:
    """A locked environment whose record or project AWS does not know (yet): note when that
    started; past the bound, fail it with a clear message. Returns whether it failed."""
    now = timezone.now()
    if environment.aws_missing_since is None:
        environment.aws_missing_since = now
        logger.info("Environment %s: AWS does not know its record/project yet (%s)",
                    environment.pk, error)
    bound = settings.PORTAL_AWS_CONSISTENCY_SECONDS
    if now - environment.aws_missing_since < timedelta(seconds=bound):  # 0: no retry
        return False
    what = "SageMaker project" if environment.is_sagemaker_project \
        and not environment.last_record_id else "Service Catalog record"
    environment.aws_missing_since = None
    _finish_failed(environment, errors=[
        f"AWS still did not know the {what} it had accepted after {bound} seconds ({error})."])
    return True


def environment_provisioned(environment: Environment, *, outputs: dict[str, str],
                            found: Found | None = None) -> None:
    """A locked environment whose provisioning succeeded (PROVISIONING, or FAILED after a
    timeout that AWS outlived) becomes available with the record's outputs."""
    environment_status_set(environment, to=Status.AVAILABLE)
    environment.next_check_at = None
    environment.status_message = ""
    environment.outputs = dict(outputs)
    _resolved_apply(environment, found)
    environment.available_at = timezone.now()
    environment.save()
    event_add(environment=environment, kind=Kind.AVAILABLE, message="Ready to open.")
    audit_record(action="environment.available", obj=environment, project=environment.project,
                 data={"provisioned_product_id": environment.provisioned_product_id})
    owner_notify(environment=environment, subject=f"Ready: {environment.product.name}",
                 lines=[f"{environment.product.name} ({environment.provisioned_product_name}) "
                        "is available. Open it from the portal."])


def environment_finish(environment: Environment, *, outputs: dict[str, str],
                       found: Found | None = None) -> None:
    """A locked, followed environment whose operation succeeded in AWS: settle it (``found``:
    its resource, as ``provisioning.resolve`` found it outside the lock)."""
    was = environment.status
    if was == Status.PROVISIONING:
        environment_provisioned(environment, outputs=outputs, found=found)
        return
    environment.next_check_at = None
    environment.status_message = ""
    environment.acting_user = None
    if was == Status.UPDATING:
        environment.outputs = {**environment.outputs, **outputs}
        _resolved_apply(environment, found)
        request = environment.pending_request
        if request is not None:
            environment.version = request.version
            environment.parameters = environment_change_plan(
                environment=environment, request=request).after
            try:
                environment.tags = tags_as_rows(
                    environment_change_tags(environment=environment, request=request))
            except BackendError:  # refused before the call: AWS kept the tags it had
                pass
        environment.pending_request = None
        environment_status_set(environment, to=Status.AVAILABLE)
        environment.save()
        event_add(environment=environment, kind=Kind.UPDATED, message="The change was applied.")
        audit_record(action="environment.updated", obj=environment, project=environment.project)
        owner_notify(environment=environment, subject=f"Changed: {environment.product.name}",
                     lines=["Your change request was applied."])
    elif was == Status.TERMINATING:
        environment_status_set(environment, to=Status.TERMINATED)
        environment.terminated_at = timezone.now()
        environment.save()
        event_add(environment=environment, kind=Kind.TERMINATED, message="Terminated in AWS.")
        audit_record(action="environment.terminated", obj=environment,
                     project=environment.project)
        owner_notify(environment=environment, subject=f"Terminated: {environment.product.name}",
                     lines=[f"{environment.provisioned_product_name} was terminated."])
    elif was == Status.STOPPING:
        environment_status_set(environment, to=Status.STOPPED)
        environment.save()
        event_add(environment=environment, kind=Kind.STOPPED, message="The notebook stopped.")
    else:
        environment_status_set(environment, to=Status.AVAILABLE)  # STARTING
        environment.save()
        event_add(environment=environment, kind=Kind.STARTED, message="The notebook is running.")


def _power_refused(environment: Environment, *, errors: list[str]) -> None:
    """AWS refused to stop or start the notebook: it stays as it was, with the reason shown."""
    stopping = environment.status == Status.STOPPING
    environment_status_set(environment, to=Status.AVAILABLE if stopping else Status.STOPPED)
    environment.acting_user = None
    environment.status_message = aws_text_redact(
        f"Could not {'stop' if stopping else 'start'} the notebook: " + "; ".join(errors))
    environment.next_check_at = None
    environment.save()
    event_add(environment=environment, kind=Kind.FAILED, message=environment.status_message)


def _finish_failed(environment: Environment, *, errors: list[str], timed_out: bool = False
                   ) -> None:
    message = "; ".join(e for e in errors if e) or "AWS reported a failure without details."
    if environment.status == Status.UPDATING:
        # Service Catalog rolls a failed update back: the environment keeps running as before.
        environment_status_set(environment, to=Status.AVAILABLE)
        environment.acting_user = None
        # Shown to the requester: AWS's record errors may name roles and accounts.
        environment.status_message = aws_text_redact(
            f"The change failed and was rolled back: {message}")
        environment.pending_request = None
        environment.next_check_at = None
        environment.save()
        event_add(environment=environment, kind=Kind.FAILED,
                  message=environment.status_message)
        audit_record(action="environment.update_failed", obj=environment,
                     project=environment.project, data={"message": message[:1000]})
        owner_notify(environment=environment, subject=f"Change failed: {environment.product.name}",
                     lines=["Your change could not be applied:", aws_text_redact(message)])
        return
    subject = (f"Timed out: {environment.product.name}" if timed_out
               else f"Provisioning failed: {environment.product.name}")
    environment_fail(environment, message=message, subject=subject)
