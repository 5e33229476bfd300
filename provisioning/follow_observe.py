"""One look at AWS for a followed environment: what it is waiting for, and how far that got.

Split from ``provisioning.follow`` (which runs the checks, writes what they found under the row
lock and schedules the next one): ``environment_observe`` asks AWS and answers an
``Observation`` (state, errors, outputs, provisioned product id), where state is one of "done",
"failed", "in_error" (still running, with errors) or "running". Only the first look at a day-2
change or termination acts: it sends the call (once, recorded under the lock). Reads run in the
portal's own session; the calls that act (start, stop, change, terminate) run in the session of
the person who asked for them (``acting_user``).
"""

from __future__ import annotations

from django.db import transaction

from provisioning.backends import NotFound, ProvisioningBackend, RecordStatus, backend_for
from provisioning.change_plans import plan_execute, plan_for
from provisioning.day2 import environment_change_plan, environment_change_tags
from provisioning.day2_projects import (
    UPDATE_SENT,
    Observation,
    project_delete_step,
    project_update_call,
    project_update_record,
)
from provisioning.models import Environment
from provisioning.services import (
    Kind,
    Status,
    environment_locked,
    event_add,
    launch_path_id,
    parameters_opened,
)


def running() -> Observation:
    """Still running, nothing to report (a fresh tuple: callers may keep its list and dict)."""
    return "running", [], {}, ""


RECORD_STATES = {"SUCCEEDED": "done", "FAILED": "failed", "IN_PROGRESS_IN_ERROR": "in_error"}


def acting_backend(environment: Environment) -> ProvisioningBackend:
    """AWS in the session of the person who asked for the change (their name and owner tag)."""
    return backend_for(environment.project, actor=environment.acting_user,
                       resource_owner=environment.owner)


def notebook_observe(backend: ProvisioningBackend, environment: Environment) -> Observation:
    """A notebook being started or stopped: done at InService or Stopped. One still in the
    opposite state (the call was not taken yet, or AWS was still settling) is asked again."""
    name = environment.notebook_instance_name
    status = backend.notebook_status(notebook_name=name)
    stopping = environment.status == Status.STOPPING
    if status == ("InService" if stopping else "Stopped"):
        acting = acting_backend(environment)
        if stopping:
            acting.notebook_stop(notebook_name=name)
        else:
            acting.notebook_start(notebook_name=name)
        return running()
    if status == ("Stopped" if stopping else "InService"):
        return "done", [], {}, ""
    if status == "Failed":
        return "failed", ["The notebook instance is Failed in AWS."], {}, ""
    return running()


def project_create_observe(backend: ProvisioningBackend, environment: Environment
                           ) -> Observation:
    """A SageMaker project being created (CreateProject, no record): its status until it ends;
    its name and id are the outputs."""
    project = backend.describe_sagemaker_project(project_name=environment.sagemaker_project_name)
    if not project.finished:
        return "running", [], {}, project.provisioned_product_id
    if not project.succeeded:
        return "failed", [project.status_message or project.status], {}, \
            project.provisioned_product_id
    outputs = {"SageMakerProjectName": project.project_name,
               "SageMakerProjectId": project.project_id}
    return "done", [], outputs, project.provisioned_product_id


def day2_call(backend: ProvisioningBackend, environment: Environment) -> RecordStatus | None:
    """Send an approved change or a termination: the approved change plan when there is one
    (what was approved is what is applied), else UpdateProvisionedProduct (UpdateProject for a
    SageMaker project) with the request's values; None while a plan is still being made."""
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


def day2_start(environment: Environment) -> Observation | None:
    """The first look at a change or termination: send its call and record the record id
    under the lock (another worker may have sent it first: its record stands). An
    Observation when there is nothing to follow yet, else None (follow the record)."""
    try:
        record = day2_call(acting_backend(environment), environment)
    except NotFound:
        if environment.status == Status.TERMINATING:  # already gone: nothing left to do
            return "done", [], {}, ""
        raise
    if record is None:  # its change plan is still being made, or was stale and made again
        return running()
    with transaction.atomic():
        locked = environment_locked(environment.pk)
        if locked.status == environment.status and not locked.last_record_id:
            locked.last_record_id = record.record_id
            locked.save(update_fields=["last_record_id", "updated_at"])
            event_add(environment=locked, kind=Kind.PROGRESS,
                      message=f"AWS accepted the change (record {record.record_id}).")
    environment.last_record_id = record.record_id
    return None


def record_observe(backend: ProvisioningBackend, environment: Environment) -> Observation:
    """The Service Catalog record the environment waits for (DescribeRecord); an UpdateProject
    whose record AWS does not show yet keeps running."""
    if environment.last_record_id.startswith(UPDATE_SENT):  # UpdateProject's record not shown yet
        environment.last_record_id = project_update_record(backend, environment)
        if not environment.last_record_id:
            return running()
    record = backend.describe_record(record_id=environment.last_record_id)
    state = RECORD_STATES.get(record.status, "running")
    return state, record.errors, record.outputs, record.provisioned_product_id


def environment_observe(environment: Environment) -> Observation:
    """Ask AWS about what the environment is waiting for: (state, errors, outputs, pp id)."""
    backend = backend_for(environment.project)
    if environment.status in (Status.STARTING, Status.STOPPING):
        return notebook_observe(backend, environment)
    if environment.status == Status.PROVISIONING and environment.is_sagemaker_project \
            and not environment.last_record_id:
        return project_create_observe(backend, environment)
    if environment.status == Status.TERMINATING and environment.is_sagemaker_project:
        return project_delete_step(backend, acting_backend(environment), environment)
    if environment.status in (Status.UPDATING, Status.TERMINATING) \
            and not environment.last_record_id:
        started = day2_start(environment)
        if started is not None:
            return started
    return record_observe(backend, environment)
