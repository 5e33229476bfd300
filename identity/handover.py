"""Carrying out a leaver's handovers: the owner change (portal and AWS), the late termination.

``handover_transfer`` (a Celery task per handover) changes the provisioned product's owner in
Service Catalog with UpdateProvisionedProductProperties (OWNER: the new owner's assumed-role
ARN in the project's role, ``arn:aws:sts::<account>:assumed-role/<role>/<session>``, the
principal the portal acts as for them; the IdempotencyToken is the handover's, so a retried
task gets the same record back), then its tags with UpdateProvisionedProduct (a stack update
that carries them to the notebook) or, when the product does not allow tag updates, the
notebook's owner tag with SageMaker AddTags (``identity.handover_tags``: the tag the IAM owner
condition compares with ``aws:userid``), then the owner in the portal and the owner value of the
environment's tag set.
``handovers_terminate_due`` (beat) terminates the environments whose grace period is over.
"""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from identity.handover_tags import handover_tags_send, tags_with_owner
from identity.models import Handover
from portal.aws import session_name_for
from portal.models import Project, User
from portal.services import audit_record
from portal.tasking import task_enqueue_on_commit
from provisioning.backends import BackendError, backend_for
from provisioning.lifecycle import TERMINABLE, environment_terminate_by_rule
from provisioning.models import Environment, EnvironmentEvent
from provisioning.notifications import owner_notify
from provisioning.services import environment_locked, event_add, follow_delay

ACTOR = "offboarding"


def owner_principal_arn(*, project: Project, user: User) -> str:
    """The STS assumed-role ARN the portal's sessions for ``user`` have in the project's
    account (the project's role, session named after the person); "" without a project role."""
    if not project.aws_role_arn:
        return ""
    role_name = project.aws_role_arn.rsplit("/", 1)[-1]
    return (f"arn:aws:sts::{project.aws_account_id}:assumed-role/{role_name}/"
            f"{session_name_for(user.username)}")


def _finish(handover: Handover, *, state: str, detail: str) -> None:
    handover.state = state
    handover.detail = detail[:1000]
    handover.done_at = timezone.now()
    handover.save()


def _aws_owner_change(environment: Environment, *, handover: Handover, principal: str,
                      new_owner: User) -> None:
    """The provisioned product's OWNER, then its tags (or the notebook's); every call may be
    repeated harmlessly (idempotency tokens, tags set to the same values)."""
    backend = backend_for(environment.project)
    handover.record_id = backend.update_provisioned_product_properties(
        provisioned_product_id=environment.provisioned_product_id,
        properties={"OWNER": principal}, token=f"handover-{handover.pk}")
    handover_tags_send(backend, environment, handover=handover, owner_id=new_owner.owner_id)


def handover_transfer(*, handover_id: int) -> str:
    """Transfer one environment to its new owner; returns the handover's state afterwards.

    Raises a transient ``BackendError`` for the task to retry (nothing is changed then)."""
    with transaction.atomic():
        handover = (Handover.objects.select_for_update(of=("self",))
                    .select_related("departure__person", "new_owner").get(pk=handover_id))
        if handover.state != Handover.State.PENDING or handover.action != Handover.Action.TRANSFER:
            return handover.state
        environment = environment_locked(handover.environment_id)
        leaver, new_owner = handover.departure.person, handover.new_owner
        assert new_owner is not None
        if environment.status == Environment.Status.TERMINATED:
            _finish(handover, state=Handover.State.DONE, detail="Already terminated.")
            return handover.state
        if environment.owner_id != leaver.pk:
            _finish(handover, state=Handover.State.DONE,
                    detail=f"Already owned by {environment.owner.username}.")
            return handover.state
        handover.attempts += 1
        principal = owner_principal_arn(project=environment.project, user=new_owner)
        if environment.provisioned_product_id and principal:
            try:
                _aws_owner_change(environment, handover=handover, principal=principal,
                                  new_owner=new_owner)
            except BackendError as exc:
                if exc.transient:
                    handover.save(update_fields=["attempts"])
                    raise
                _finish(handover, state=Handover.State.FAILED,
                        detail=f"AWS refused the owner change: {exc.message}")
                audit_record(action="environment.handover_failed", actor_username=ACTOR,
                             obj=environment, project=environment.project,
                             data={"handover": handover.pk, "error": exc.code,
                                   "detail": exc.detail[:500]})
                return handover.state
        environment.owner = new_owner
        environment.tags = tags_with_owner(list(environment.tags or []), new_owner.owner_id)
        environment.save(update_fields=["owner", "tags", "updated_at"])
        event_add(environment=environment, kind=EnvironmentEvent.Kind.PROGRESS,
                  message=f"Handed over from {leaver.display_name} to {new_owner.display_name}.")
        aws = (f"AWS owner {principal} (record {handover.record_id}); tags: "
               f"{handover.get_tags_path_display()}" if handover.record_id
               else "nothing in AWS to change")
        _finish(handover, state=Handover.State.DONE,
                detail=f"Now owned by {new_owner.username}; {aws}.")
        audit_record(action="environment.handed_over", actor_username=ACTOR, obj=environment,
                     project=environment.project,
                     data={"handover": handover.pk, "from": leaver.username,
                           "to": new_owner.username, "owner_arn": principal,
                           "record_id": handover.record_id, "tags_path": handover.tags_path,
                           "tags_record_id": handover.tags_record_id,
                           "tags_status": handover.tags_status,
                           "tags_detail": handover.tags_detail})
        if handover.tags_path == Handover.TagsPath.STACK:
            from identity.tasks import handover_tags_follow_task

            task_enqueue_on_commit(handover_tags_follow_task, handover.pk, 0,
                                   countdown=follow_delay(0))
        owner_notify(environment=environment, subject=f"Handed over to you: {environment}",
                     lines=[f"{leaver.display_name} left; the environment "
                            f"{environment.provisioned_product_name} is now yours."])
    return handover.state


def handover_transfer_failed(*, handover_id: int, error: str) -> None:
    """The transfer task gave up (AWS kept failing): the handover says so on the report."""
    with transaction.atomic():
        handover = Handover.objects.select_for_update().get(pk=handover_id)
        if handover.state != Handover.State.PENDING:
            return
        _finish(handover, state=Handover.State.FAILED, detail=f"Gave up: {error}"[:1000])
        audit_record(action="environment.handover_failed", actor_username=ACTOR,
                     data={"handover": handover.pk, "error": error[:500]})


def handover_terminate(*, handover_id: int, now: datetime) -> str:
    """Terminate one environment whose grace is over; an environment busy now waits."""
    with transaction.atomic():
        handover = (Handover.objects.select_for_update(of=("self",))
                    .select_related("environment").get(pk=handover_id))
        if (handover.state != Handover.State.PENDING
                or handover.action != Handover.Action.TERMINATE
                or handover.due_at is None or handover.due_at > now):
            return handover.state
        environment = handover.environment
        if environment.status in (Environment.Status.TERMINATED,
                                  Environment.Status.TERMINATING):
            _finish(handover, state=Handover.State.DONE, detail="Already terminated.")
            return handover.state
        if environment.status not in TERMINABLE:
            return handover.state  # an operation in flight: the next sweep tries again
        handover.attempts += 1
        environment_terminate_by_rule(
            environment=environment, actor_label=ACTOR,
            reason="its owner left and the grace period is over.")
        _finish(handover, state=Handover.State.DONE, detail="Termination started.")
    return handover.state


def handovers_due(*, now: datetime, batch: int) -> list[int]:
    """Terminations whose grace is over (one indexed read)."""
    return list(Handover.objects.filter(state=Handover.State.PENDING,
                                        action=Handover.Action.TERMINATE, due_at__lte=now)
                .order_by("due_at").values_list("pk", flat=True)[:batch])
