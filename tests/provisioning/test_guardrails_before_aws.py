"""Guardrails checked again right before the portal calls AWS, through the real code path on
the fake AWS: a guardrail tightened after the approval stops ProvisionProduct,
UpdateProvisionedProduct and StartNotebookInstance from being sent, and says why."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from fakeaws.models import CallLog
from portal.models import AuditEvent, User
from provisioning.guards import EnvironmentRefused
from provisioning.lifecycle import environment_start, environment_stop
from provisioning.models import Environment
from provisioning.provision_run import environment_provision_run
from provisioning.services import environment_provision
from tests.guardrails.conftest import put_in_force
from tests.provisioning.conftest import approved_request, run_until_settled
from tests.provisioning.test_quota_at_provision_and_start import run_until_settled_follow

pytestmark = pytest.mark.django_db


@pytest.fixture
def platform_admin(db: None) -> User:
    from portal.models import Role
    from tests.conftest import make_user

    return make_user("pat.admin", roles=[Role.CATALOG_ADMIN])
NO_SMALL = {"instance_types_by_environment": {"dev": ("ml.m5.xlarge",)}}


def _calls(operation: str) -> int:
    return CallLog.objects.filter(operation=operation).count()


def test_a_guardrail_tightened_after_approval_blocks_provisioning_before_aws(
        queued: Environment, platform_admin: User) -> None:
    put_in_force(platform_admin, **NO_SMALL)
    assert environment_provision_run(environment_id=queued.pk) == "failed"
    queued.refresh_from_db()
    assert queued.status == "failed"
    assert queued.status_message.startswith(
        "Not provisioned: Guardrail “allowed instance types in dev projects” (version 1) "
        "refuses InstanceType = “ml.t3.medium”; allowed: one of ml.m5.xlarge.")
    assert _calls("ProvisionProduct") == 0
    assert AuditEvent.objects.filter(action="environment.failed",
                                     object_id=str(queued.pk)).exists()


def test_values_the_guardrails_allow_are_provisioned(queued: Environment,
                                                     platform_admin: User) -> None:
    put_in_force(platform_admin, root_access_disabled=True, max_lease_days=30,
                 instance_types_by_environment={"dev": ("ml.t3.medium",)})
    assert run_until_settled(queued).status == "available"
    assert _calls("ProvisionProduct") == 1


def test_a_lease_longer_than_the_guardrail_allows_is_not_provisioned(
        queued: Environment, platform_admin: User) -> None:
    queued.origin_request.lease_days = 20
    queued.origin_request.save(update_fields=["lease_days"])
    put_in_force(platform_admin, max_lease_days=14)
    assert environment_provision_run(environment_id=queued.pk) == "failed"
    queued.refresh_from_db()
    assert "“maximum lease” (version 1) refuses lease = “20 days”" in queued.status_message
    assert _calls("ProvisionProduct") == 0


def test_an_approved_change_breaking_a_guardrail_is_not_applied(
        scientist: User, available: Environment, platform_admin: User) -> None:
    def change(instance_type: str) -> Any:
        return approved_request(
            requester=scientist, project=available.project, product=available.product,
            version=available.version, action="update", environment_ref=str(available.pk),
            parameters={"NotebookInstanceName": available.notebook_instance_name,
                        "InstanceType": instance_type})

    put_in_force(platform_admin, instance_types_by_environment={
        "dev": ("ml.t3.medium", "ml.m5.xlarge")})
    gpu = change("ml.p3.2xlarge")  # approved before the guardrail, say
    environment_provision(request=gpu)
    available.refresh_from_db()
    assert available.status == "available" and _calls("UpdateProvisionedProduct") == 0
    note = available.events.get(kind="failed").message
    assert note.startswith(f"Change request {gpu.reference} was not applied: Guardrail "
                           "“allowed instance types in dev projects” (version 1) refuses "
                           "InstanceType = “ml.p3.2xlarge”")
    assert AuditEvent.objects.get(action="environment.update_refused").data["request"] == str(
        gpu.pk)
    environment_provision(request=change("ml.m5.xlarge"))  # allowed: applied
    available.refresh_from_db()
    assert available.status == "updating"


def test_a_stopped_notebook_breaking_a_new_guardrail_cannot_be_started(
        client: Client, scientist: User, available: Environment, platform_admin: User) -> None:
    environment_stop(environment=available, user=scientist)
    stopped = run_until_settled_follow(available)
    assert stopped.status == "stopped"
    put_in_force(platform_admin, **NO_SMALL)
    with pytest.raises(EnvironmentRefused, match="refuses InstanceType = “ml.t3.medium”"):
        environment_start(environment=stopped, user=scientist)
    client.force_login(scientist)
    api = client.post(f"/api/v1/environments/{stopped.pk}/start")
    assert api.status_code == 409
    assert "allowed: one of ml.m5.xlarge" in api.json()["detail"]
    stopped.refresh_from_db()
    assert stopped.status == "stopped" and _calls("StartNotebookInstance") == 0
