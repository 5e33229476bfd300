"""Quotas checked again at provisioning and at start, through the real code path (the provision
task's work, Start, Open) on the fake AWS: a refusal sends nothing to AWS and says why."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.test import Client

from catalog.models import InstancePrice, Product, ProductVersion
from fakeaws.models import CallLog
from portal.models import AuditEvent, Project, User
from provisioning.guards import EnvironmentRefused
from provisioning.lifecycle import environment_start, environment_stop
from provisioning.models import Environment
from provisioning.provision_run import environment_provision_run
from tests.provisioning.conftest import approved_request, run_until_settled
from tests.quotas.conftest import cap, grant

pytestmark = pytest.mark.django_db


def _calls(operation: str) -> int:
    return CallLog.objects.filter(operation=operation).count()


def _other_running(scientist: User, project: Project, notebook: tuple[Product, ProductVersion],
                   instance_type: str = "ml.t3.medium") -> Environment:
    product, version = notebook
    request = approved_request(requester=scientist, project=project, product=product,
                               version=version, parameters={"InstanceType": instance_type})
    return Environment.objects.create(
        origin_request=request, owner=scientist, project=project, product=product,
        version=version, provisioned_product_name=f"other-{request.pk.hex[:8]}",
        parameters={"InstanceType": instance_type}, status="available")


def _stopped(environment: Environment, scientist: User) -> Environment:
    environment_stop(environment=environment, user=scientist)
    environment = run_until_settled_follow(environment)
    assert environment.status == "stopped"
    return environment


def run_until_settled_follow(environment: Environment) -> Environment:
    from provisioning.follow import environment_follow_run

    for _ in range(5):
        environment.refresh_from_db()
        if environment.status not in Environment.FOLLOWED:
            break
        environment_follow_run(environment_id=environment.pk, attempt=environment.follow_attempt)
    environment.refresh_from_db()
    return environment


def test_provisioning_within_the_limit_goes_ahead(queued: Environment) -> None:
    grant("running_environments", 1)  # the queued one itself: exactly at the limit
    assert run_until_settled(queued).status == "available"


def test_provisioning_over_a_limit_lowered_meanwhile_fails_before_aws(
        scientist: User, project: Project, queued: Environment,
        notebook: tuple[Product, ProductVersion]) -> None:
    _other_running(scientist, project, notebook)
    cap(project, "running_environments", 1)
    assert environment_provision_run(environment_id=queued.pk) == "failed"
    queued.refresh_from_db()
    assert queued.status == "failed"
    assert queued.status_message.startswith(
        "Not provisioned: The quota of project fraud of running environments is 1; 1 already "
        "counts against it")
    assert _calls("ProvisionProduct") == 0
    assert AuditEvent.objects.filter(action="environment.failed", object_id=str(queued.pk)
                                     ).exists()


def test_a_stopped_notebook_that_would_exceed_a_quota_cannot_be_started(
        client: Client, scientist: User, project: Project, available: Environment,
        notebook: tuple[Product, ProductVersion]) -> None:
    stopped = _stopped(available, scientist)
    other = _other_running(scientist, project, notebook)
    grant("running_environments", 1)
    with pytest.raises(EnvironmentRefused, match="Your quota of running environments is 1"):
        environment_start(environment=stopped, user=scientist)
    client.force_login(scientist)
    api = client.post(f"/api/v1/environments/{stopped.pk}/start")
    assert api.status_code == 409
    assert "1 already counts against it" in api.json()["detail"]
    page = client.post(f"/environments/{stopped.pk}/start", follow=True)
    assert "Your quota of running environments is 1" in page.content.decode()
    stopped.refresh_from_db()
    assert stopped.status == "stopped" and _calls("StartNotebookInstance") == 0

    other.status = "stopped"  # the other one stops: now exactly at the limit
    other.save(update_fields=["status"])
    assert environment_start(environment=stopped, user=scientist).status == "starting"
    assert run_until_settled_follow(stopped).status == "available"


def test_opening_a_stopped_notebook_over_a_quota_is_refused_and_audited(
        client: Client, scientist: User, project: Project, available: Environment,
        notebook: tuple[Product, ProductVersion]) -> None:
    InstancePrice.objects.create(instance_type="ml.p3.2xlarge", region=project.aws_region,
                                 usd_per_hour=Decimal("3.825"))
    stopped = _stopped(available, scientist)
    _other_running(scientist, project, notebook, "ml.p3.2xlarge")  # 91.80 credits a day
    grant("daily_credits", "92.00")  # + the notebook's ml.t3.medium, unpriced here
    client.force_login(scientist)
    response = client.post(f"/api/v1/environments/{stopped.pk}/launch")
    assert response.status_code == 409, response.content
    body: dict[str, Any] = response.json()
    assert body["reason"] == "start_refused"
    assert body["detail"].startswith("ml.t3.medium has no price in the portal's price table")
    refused = AuditEvent.objects.get(action="environment.launch_refused")
    assert refused.data["reason"] == "start_refused"
    stopped.refresh_from_db()
    assert stopped.status == "stopped" and _calls("StartNotebookInstance") == 0

    InstancePrice.objects.create(instance_type="ml.t3.medium", region=project.aws_region,
                                 usd_per_hour=Decimal("0.05"))  # 1.20 a day: 93.00 > 92.00
    assert "would add 1.20" in client.post(
        f"/api/v1/environments/{stopped.pk}/launch").json()["detail"]
    InstancePrice.objects.filter(instance_type="ml.t3.medium").update(
        usd_per_hour=Decimal("0.0091"))  # 0.22 a day: 92.02 > 92.00, still one cent over
    assert client.post(f"/api/v1/environments/{stopped.pk}/launch").status_code == 409
    InstancePrice.objects.filter(instance_type="ml.t3.medium").update(
        usd_per_hour=Decimal("0.0083"))  # 0.20 a day: exactly 92.00
    response = client.post(f"/api/v1/environments/{stopped.pk}/launch")
    assert response.status_code == 202 and response.json()["waiting"] is True


def test_an_approved_change_over_a_quota_is_not_applied(
        scientist: User, available: Environment) -> None:
    from provisioning.services import environment_provision

    grant("gpu_instances", 0)  # granted after the change was approved

    def change(instance_type: str) -> Any:
        return approved_request(
            requester=scientist, project=available.project, product=available.product,
            version=available.version, action="update", environment_ref=str(available.pk),
            parameters={"NotebookInstanceName": available.notebook_instance_name,
                        "InstanceType": instance_type})

    gpu = change("ml.p3.2xlarge")
    environment_provision(request=gpu)
    available.refresh_from_db()
    assert available.status == "available" and _calls("UpdateProvisionedProduct") == 0
    note = available.events.get(kind="failed").message
    assert note.startswith(f"Change request {gpu.reference} was not applied: Your quota of gpu "
                           "instances is 0")
    assert AuditEvent.objects.get(action="environment.update_refused").data["request"] == str(
        gpu.pk)
    environment_provision(request=change("ml.m5.xlarge"))  # no GPU: applied
    available.refresh_from_db()
    assert available.status == "updating"


def test_a_change_to_a_stopped_notebook_is_applied_and_checked_when_it_starts(
        scientist: User, available: Environment) -> None:
    from provisioning.services import environment_provision

    stopped = _stopped(available, scientist)
    grant("gpu_instances", 0)
    environment_provision(request=approved_request(
        requester=scientist, project=stopped.project, product=stopped.product,
        version=stopped.version, action="update", environment_ref=str(stopped.pk),
        parameters={"NotebookInstanceName": stopped.notebook_instance_name,
                    "InstanceType": "ml.p3.2xlarge"}))
    stopped.refresh_from_db()
    assert stopped.status == "updating"


def test_opening_a_notebook_stopped_outside_the_portal_over_a_quota_is_refused(
        client: Client, scientist: User, project: Project, available: Environment,
        notebook: tuple[Product, ProductVersion]) -> None:
    from tests.provisioning.conftest import console_client

    sagemaker = console_client("sagemaker", project)
    sagemaker.stop_notebook_instance(NotebookInstanceName=available.notebook_instance_name)
    sagemaker.describe_notebook_instance(NotebookInstanceName=available.notebook_instance_name)
    _other_running(scientist, project, notebook)
    grant("running_environments", 1)
    client.force_login(scientist)
    response = client.post(f"/api/v1/environments/{available.pk}/launch")
    assert response.status_code == 409, response.content
    assert response.json()["reason"] == "start_refused"
    available.refresh_from_db()
    # The stop made outside the portal is recorded; the start is not made.
    assert available.status == "stopped" and _calls("StartNotebookInstance") == 0
