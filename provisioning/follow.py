"""Following an environment in AWS until a provisioning, change, stop/start or termination ends."""

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
    ProvisioningBackend,
    RecordStatus,
    RoleUnavailable,
    Transient,
    backend_for,
)
from provisioning.change_plans import plan_execute, plan_for
from provisioning.day2 import environment_change_plan, environment_change_tags, tags_as_rows
from provisioning.day2_projects import (
    UPDATE_SENT,
    project_delete_step,
    project_update_call,
    project_update_record,
)
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
    launch_path_id,
    parameters_opened,
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


def _observe(environment: Environment) -> tuple[str, list[str], dict[str, str], str]:
    """Ask AWS about what the environment is waiting for: (state, errors, outputs, pp id).

    state is one of "done", "failed", "in_error" (still running, with errors), "running".
    """
    # Reads run in the portal's own session; the calls that act (start, stop, change, terminate)
    # run in the session of the person who asked for them (``acting_user``).
    backend = backend_for(environment.project)
    if environment.status in (Status.STARTING, Status.STOPPING):
        name = environment.notebook_instance_name
        status = backend.notebook_status(notebook_name=name)
        if environment.status == Status.STOPPING:
            if status == "InService":
                _acting_backend(environment).notebook_stop(notebook_name=name)
                return "running", [], {}, ""
            return ("done" if status == "Stopped" else
                    "failed" if status == "Failed" else "running"), _notebook_errors(status), {}, ""
        if status == "Stopped":
            _acting_backend(environment).notebook_start(notebook_name=name)
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

    if environment.status == Status.TERMINATING and environment.is_sagemaker_project:
        return project_delete_step(backend, _acting_backend(environment), environment)

    if environment.status in (Status.UPDATING, Status.TERMINATING) \
            and not environment.last_record_id:
        try:
            record = _day2_call(_acting_backend(environment), environment)
        except NotFound:
            if environment.status == Status.TERMINATING:  # already gone: nothing left to do
                return "done", [], {}, ""
            raise
        if record is None:  # its change plan is still being made, or was stale and made again
            return "running", [], {}, ""
        with transaction.atomic():
            locked = environment_locked(environment.pk)
            if locked.status == environment.status and not locked.last_record_id:
                locked.last_record_id = record.record_id
                locked.save(update_fields=["last_record_id", "updated_at"])
                event_add(environment=locked, kind=Kind.PROGRESS,
                          message=f"AWS accepted the change (record {record.record_id}).")
        environment.last_record_id = record.record_id

    if environment.last_record_id.startswith(UPDATE_SENT):  # UpdateProject's record not shown yet
        environment.last_record_id = project_update_record(backend, environment)
        if not environment.last_record_id:
            return "running", [], {}, ""
    record = backend.describe_record(record_id=environment.last_record_id)
    state = {"SUCCEEDED": "done", "FAILED": "failed",
             "IN_PROGRESS_IN_ERROR": "in_error"}.get(record.status, "running")
    return state, record.errors, record.outputs, record.provisioned_product_id


def _acting_backend(environment: Environment) -> ProvisioningBackend:
    return backend_for(environment.project, actor=environment.acting_user,
                       resource_owner=environment.owner)


def _notebook_errors(status: str) -> list[str]:
    return ["The notebook instance is Failed in AWS."] if status == "Failed" else []


def _day2_call(backend: ProvisioningBackend, environment: Environment) -> RecordStatus | None:
    if environment.status == Status.TERMINATING:
        return backend.terminate_provisioned_product(
            provisioned_product_id=environment.provisioned_product_id,
            token=environment.operation_token)
    request = environment.pending_request
    assert request is not None
    approved = plan_for(request)
    if approved is not None:  # what was approved is what is applied: the plan, not a new update
        return plan_execute(backend, environment, approved)
    plan = environment_change_plan(environment=environment, request=request)
    tags = environment_change_tags(environment=environment, request=request)
    if environment.is_sagemaker_project:
        return project_update_call(backend, environment, plan=plan, tags=tags)
    return backend.update_provisioned_product(
        provisioned_product_id=environment.provisioned_product_id,
        product_id=environment.product.product_id, artifact_id=request.version.artifact_id,
        path_id=launch_path_id(environment.product),
        # NoEcho values are sealed at rest: opened here, for the call to AWS only.
        parameters=parameters_opened(version=request.version, values=plan.send),
        previous=plan.keep,
        tags=tags, token=environment.operation_token,
    )


def environment_follow_run(*, environment_id: Any, attempt: int) -> FollowOutcome:
    """One check of an environment in a followed state; says when to check again.

    ``attempt`` must equal the environment's ``follow_attempt``: a duplicate or superseded
    follow-up (a redelivered message, a sweeper re-dispatch) finds a newer number and stops.
    """
    environment = Environment.objects.select_related(
        "product", "project", "owner", "acting_user").filter(pk=environment_id).first()
    if environment is None or environment.status not in Environment.FOLLOWED:
        return FollowOutcome("done")
    if environment.follow_attempt != attempt:
        return FollowOutcome("stale")
    status_seen = environment.status
    unreachable: RoleUnavailable | None = None
    found: Found | None = None
    idle: IdleRead | None = None
    try:
        state, errors, outputs, pp_id = _observe(environment)
        if state == "done" and status_seen in (Status.PROVISIONING, Status.UPDATING):
            found = environment_resource_lookup(
                environment=environment, outputs={**environment.outputs, **outputs})
            idle = studio_idle_read(environment, domain_id=found.domain_id if found else "",
                                    user_profile_name=found.user_profile_name if found else "")
    except NotFound as exc:
        if exc.operation not in CONSISTENT_LATER:
            state, errors, outputs, pp_id = (
                "refused", [f"{exc.operation}: {exc.code}: {exc.message}"], {}, "")
        else:
            state, errors, outputs, pp_id = "missing", [f"{exc.code}: {exc.message}"], {}, ""
    except Transient as exc:
        state, errors, outputs, pp_id = "transient", [f"{exc.code}: {exc.message}"], {}, ""
    except RoleUnavailable as exc:
        state, errors, outputs, pp_id = "unreachable", [], {}, ""
        unreachable = exc
    except BackendError as exc:
        state, errors, outputs, pp_id = (
            "refused", [f"{exc.operation}: {exc.code}: {exc.detail}"], {}, "")

    with transaction.atomic():
        environment = environment_locked(environment_id)
        if environment.status != status_seen or environment.follow_attempt != attempt:
            return FollowOutcome("stale")
        if pp_id and not environment.provisioned_product_id:
            environment.provisioned_product_id = pp_id
        if state == "missing":
            if _missing_for_too_long(environment, error=errors[0]):
                return FollowOutcome(environment.status)
        else:
            environment.aws_missing_since = None
        if state == "done":
            studio_idle_apply(environment, idle)  # saved with the rest by environment_finish
            environment_finish(environment, outputs=outputs, found=found)
            return FollowOutcome(environment.status)
        if state == "refused" and environment.status in (Status.STARTING, Status.STOPPING):
            _power_refused(environment, errors=errors)
            return FollowOutcome(environment.status)
        if state in ("failed", "refused"):
            _finish_failed(environment, errors=errors)
            return FollowOutcome(environment.status)
        shown = aws_text_redact("; ".join(errors))  # the errors as the requester may see them
        if state == "in_error" and errors and environment.status_message != shown:
            environment.status_message = shown
            event_add(environment=environment, kind=Kind.PROGRESS,
                      message="AWS reports errors and is rolling back: " + shown)
        if state == "transient":
            logger.warning("Follow-up of environment %s postponed: %s", environment.pk, errors[0])
        if unreachable is not None:
            environment_aws_unreachable(environment, error=unreachable)
        started = environment.follow_started_at or environment.created_at
        timeout = settings.PORTAL_PROVISION_TIMEOUT_SECONDS
        if timezone.now() - started > timedelta(seconds=timeout):
            _finish_failed(environment, errors=[
                f"Timed out: AWS did not finish within {timeout} seconds. The reconcile task "
                "keeps watching the provisioned product."], timed_out=True)
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
