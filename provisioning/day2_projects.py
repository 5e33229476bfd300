"""Day 2 of a SageMaker project goes through SageMaker, never around it.

Terminate: DeleteProject, then DescribeProject until the project is gone (SageMaker answers
ValidationException "does not exist" once it is DeleteCompleted). Update: UpdateProject (its
ProvisioningParameter shape has no UsePreviousValue, and SageMaker re-sends its own
SageMakerProjectName/SageMakerProjectId, which the portal must not send); SageMaker starts an
update of the project's provisioned product, whose record (the product's LastRecordId) the
follow-up then reads like any other. Both act only on a project that is provably the
environment's (its ``portal-environment`` tag): anyone else's project is refused, untouched.
"""

from __future__ import annotations

from django.db import transaction

from provisioning.backends import Invalid, NotFound, ProvisioningBackend, RecordStatus, Tag
from provisioning.day2 import ChangePlan
from provisioning.models import Environment
from provisioning.project_ownership import sagemaker_project_is_ours
from provisioning.services import Kind, environment_locked, event_add

# Statuses in which SageMaker refuses DeleteProject/UpdateProject: wait for them to end.
IN_FLIGHT = frozenset({"Pending", "CreateInProgress", "UpdateInProgress", "DeleteInProgress"})
DELETE_SENT = "DeleteProject"  # last_record_id while a DeleteProject of this operation runs
# last_record_id after UpdateProject while the product still shows its previous record
# (``UpdateProject:<previous record id>``): the follow-up waits for the new one.
UPDATE_SENT = "UpdateProject:"
NOT_OURS = ("The SageMaker project {name} is not this environment's (its portal-environment tag "
            "does not name it); the portal leaves it untouched.")

Observation = tuple[str, list[str], dict[str, str], str]


def project_delete_step(reader: ProvisioningBackend, acting: ProvisioningBackend,
                        environment: Environment) -> Observation:
    """One check of a terminating SageMaker project: delete it once, then follow it until gone.

    ``reader`` is the portal's own session, ``acting`` the one of the person who asked."""
    name = environment.sagemaker_project_name
    try:
        project = reader.describe_sagemaker_project(project_name=name)
    except NotFound:  # DeleteCompleted: SageMaker no longer knows it
        return "done", [], {}, ""
    pp_id = project.provisioned_product_id
    sent = environment.last_record_id == DELETE_SENT
    if project.status == "DeleteFailed" and sent:
        return "failed", [project.status_message or "SageMaker could not delete the project."], \
            {}, pp_id
    if project.status in IN_FLIGHT or sent:
        return "running", [], {}, pp_id
    if not sagemaker_project_is_ours(reader, project, environment):
        return "refused", [NOT_OURS.format(name=name)], {}, pp_id
    acting.delete_sagemaker_project(project_name=name)
    with transaction.atomic():
        locked = environment_locked(environment.pk)
        if not locked.last_record_id:
            locked.last_record_id = DELETE_SENT
            locked.save(update_fields=["last_record_id", "updated_at"])
            event_add(environment=locked, kind=Kind.PROGRESS,
                      message=f"SageMaker accepted the deletion of project {name}.")
    return "running", [], {}, pp_id


def project_update_call(backend: ProvisioningBackend, environment: Environment, *,
                        plan: ChangePlan, tags: list[Tag]) -> RecordStatus:
    """UpdateProject with the changed and kept values; the record SageMaker started."""
    name = environment.sagemaker_project_name
    project = backend.describe_sagemaker_project(project_name=name)
    if not sagemaker_project_is_ours(backend, project, environment):
        raise Invalid(operation="UpdateProject", code="NotThisEnvironmentsProject",
                      message=NOT_OURS.format(name=name))
    request = environment.pending_request
    assert request is not None
    pp_id = project.provisioned_product_id or environment.provisioned_product_id
    before = backend.describe_provisioned_product(provisioned_product_id=pp_id).last_record_id
    backend.update_sagemaker_project(project_name=name, artifact_id=request.version.artifact_id,
                                     parameters=plan.after, tags=tags)
    # SageMaker started UpdateProvisionedProduct on the project's product: follow its record,
    # once the product shows it (a read right after may still show the previous one).
    after = backend.describe_provisioned_product(provisioned_product_id=pp_id).last_record_id
    record_id = after if after and after != before else f"{UPDATE_SENT}{before}"
    return RecordStatus(record_id=record_id, status="CREATED", provisioned_product_id=pp_id)


def project_update_record(backend: ProvisioningBackend, environment: Environment) -> str:
    """The record of a sent UpdateProject once the project's product shows it ("" until then),
    written on the environment."""
    before = environment.last_record_id.removeprefix(UPDATE_SENT)
    product = backend.describe_provisioned_product(
        provisioned_product_id=environment.provisioned_product_id)
    if not product.last_record_id or product.last_record_id == before:
        return ""
    with transaction.atomic():
        locked = environment_locked(environment.pk)
        if locked.last_record_id == environment.last_record_id:
            locked.last_record_id = product.last_record_id
            locked.save(update_fields=["last_record_id", "updated_at"])
    return product.last_record_id
