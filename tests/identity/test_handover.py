"""Handovers through the real boto3 path to the fake AWS: UpdateProvisionedProductProperties
changes the provisioned product's owner; late terminations run from the sweep."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from fakeaws.models import ProvisionedProduct, Record
from identity.handover import handover_terminate, handover_transfer, handovers_due
from identity.models import Handover
from identity.offboarding import person_deactivate
from portal.models import AuditEvent, Project, User
from provisioning.backends import BackendError, backend_for
from provisioning.models import Environment
from tests.provisioning.conftest import run_until_settled

pytestmark = pytest.mark.django_db

MANAGER_ARN = ("arn:aws:sts::111111111111:assumed-role/ml-portal-provisioning/maria.manager")


def test_the_transfer_changes_the_owner_in_aws_and_in_the_portal(
        available: Environment, scientist: User, manager: User) -> None:
    departure = person_deactivate(user=scientist, source="scim")
    handover = Handover.objects.get(departure=departure)

    assert handover_transfer(handover_id=handover.pk) == "done"

    handover.refresh_from_db()
    product = ProvisionedProduct.objects.get(pp_id=available.provisioned_product_id)
    assert product.created_by == MANAGER_ARN
    record = Record.objects.get(record_id=handover.record_id)
    assert record.record_type == "UPDATE_PROVISIONED_PRODUCT_PROPERTIES"
    available.refresh_from_db()
    assert available.owner == manager
    owner_tags = [t["Value"] for t in available.tags if t["Key"] == "owner"]
    assert owner_tags == [manager.owner_id]
    event = AuditEvent.objects.get(action="environment.handed_over")
    assert event.data["to"] == manager.username and event.data["owner_arn"] == MANAGER_ARN
    status = backend_for(available.project).describe_record(record_id=handover.record_id)
    assert status.status == "SUCCEEDED"
    backend = backend_for(available.project)
    _, arn = backend.notebook_describe(notebook_name=available.notebook_instance_name)
    assert backend.resource_tags(arn=arn)["owner"] == manager.owner_id


def test_a_second_run_of_the_transfer_changes_nothing(available: Environment,
                                                      scientist: User) -> None:
    departure = person_deactivate(user=scientist, source="scim")
    handover = Handover.objects.get(departure=departure)
    handover_transfer(handover_id=handover.pk)
    handover_transfer(handover_id=handover.pk)
    assert Record.objects.filter(record_type="UPDATE_PROVISIONED_PRODUCT_PROPERTIES").count() == 1
    assert AuditEvent.objects.filter(action="environment.handed_over").count() == 1


def test_the_fake_answers_a_repeated_token_with_the_same_record(available: Environment) -> None:
    backend = backend_for(available.project)
    first = backend.update_provisioned_product_properties(
        provisioned_product_id=available.provisioned_product_id,
        properties={"OWNER": MANAGER_ARN}, token="handover-7")
    again = backend.update_provisioned_product_properties(
        provisioned_product_id=available.provisioned_product_id,
        properties={"OWNER": MANAGER_ARN}, token="handover-7")
    assert first == again and first.startswith("rec-")


@pytest.mark.parametrize("properties", [
    {"OWNER": "arn:aws:iam::999999999999:user/elsewhere"},   # another account
    {"LAUNCH_ROLE": "arn:aws:iam::111111111111:user/not-a-role"},
    {"COLOUR": "blue"},
])
def test_the_fake_refuses_what_aws_refuses(available: Environment,
                                           properties: dict[str, str]) -> None:
    with pytest.raises(BackendError) as refused:
        backend_for(available.project).update_provisioned_product_properties(
            provisioned_product_id=available.provisioned_product_id, properties=properties,
            token="t-1")
    assert refused.value.code == "InvalidParametersException"
    assert not Record.objects.filter(record_type="UPDATE_PROVISIONED_PRODUCT_PROPERTIES").exists()


def test_an_aws_refusal_fails_the_handover_and_keeps_the_owner(
        available: Environment, scientist: User, monkeypatch: pytest.MonkeyPatch) -> None:
    from identity import handover as module

    monkeypatch.setattr(module, "owner_principal_arn",
                        lambda **_: "arn:aws:iam::999999999999:user/elsewhere")
    departure = person_deactivate(user=scientist, source="scim")
    handover = Handover.objects.get(departure=departure)
    assert handover_transfer(handover_id=handover.pk) == "failed"
    available.refresh_from_db()
    assert available.owner == scientist
    assert AuditEvent.objects.filter(action="environment.handover_failed").exists()


def test_termination_waits_for_the_grace_days_then_runs(available: Environment,
                                                        scientist: User, project: Project,
                                                        django_capture_on_commit_callbacks: Any
                                                        ) -> None:
    project.leaver_environments = Project.LeaverEnvironments.TERMINATE
    project.leaver_grace_days = 3
    project.save()
    departure = person_deactivate(user=scientist, source="scim")
    stopped = run_until_settled(available)
    assert stopped.status == Environment.Status.STOPPED
    handover = Handover.objects.get(departure=departure)
    assert handover.due_at is not None

    early = handover.due_at - timedelta(minutes=1)
    assert handovers_due(now=early, batch=10) == []
    assert handover_terminate(handover_id=handover.pk, now=early) == "pending"

    late = handover.due_at + timedelta(minutes=1)
    assert handovers_due(now=late, batch=10) == [handover.pk]
    assert handover_terminate(handover_id=handover.pk, now=late) == "done"
    assert handover_terminate(handover_id=handover.pk, now=late) == "done"  # once
    stopped.refresh_from_db()
    assert stopped.status == Environment.Status.TERMINATING
    assert run_until_settled(stopped).status == Environment.Status.TERMINATED
    assert AuditEvent.objects.filter(action="environment.terminate",
                                     actor_username="offboarding").count() == 1


def test_the_sweep_task_sends_one_task_per_due_termination(
        available: Environment, scientist: User, project: Project, identity_tasks: Any,
        django_capture_on_commit_callbacks: Any) -> None:
    from identity import tasks

    project.leaver_environments = Project.LeaverEnvironments.TERMINATE
    project.leaver_grace_days = 0
    project.save()
    departure = person_deactivate(user=scientist, source="scim")
    handover = Handover.objects.get(departure=departure)
    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.handovers_sweep_task() == {"dispatched": 1}
    assert ("identity.tasks.handover_terminate", (handover.pk,), None) in identity_tasks.calls


def test_the_leavers_sweep_is_on_the_beat_schedule(settings: Any) -> None:
    from config.schedules import beat_schedule
    from identity import tasks

    entry = beat_schedule()["leavers-sweep"]
    assert entry["task"] == tasks.handovers_sweep_task.name
    assert entry["schedule"] == float(settings.PORTAL_LEAVER_SWEEP_SECONDS)
    settings.PORTAL_LEAVER_SWEEP_SECONDS = 0
    assert "leavers-sweep" not in beat_schedule()
