"""Day 2: stop and start notebooks, terminate, update through an approved change request."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.test import Client

from approvals.models import Request
from catalog.models import ProductVersion
from fakeaws import faults
from fakeaws.models import ProvisionedProduct
from portal.models import AuditEvent, User
from provisioning.follow import environment_follow_run
from provisioning.lifecycle import environment_start, environment_stop, environment_terminate
from provisioning.models import Environment
from provisioning.services import InvalidTransition, environment_provision
from tests.provisioning.conftest import approved_request, console_client

pytestmark = pytest.mark.django_db


def settle(environment: Environment) -> Environment:
    for _ in range(5):
        environment.refresh_from_db()
        if environment.status not in Environment.FOLLOWED:
            break
        environment_follow_run(environment_id=environment.pk, attempt=environment.follow_attempt)
    environment.refresh_from_db()
    return environment


def test_the_owner_stops_and_starts_a_notebook(scientist: User, available: Environment) -> None:
    assert environment_stop(environment=available, user=scientist).status == "stopping"
    assert settle(available).status == "stopped"
    assert environment_start(environment=available, user=scientist).status == "starting"
    assert settle(available).status == "available"
    kinds = list(available.events.values_list("kind", flat=True))
    assert kinds[-4:] == ["stop", "stopped", "start", "started"]
    assert AuditEvent.objects.filter(action="environment.stop", actor=scientist).exists()


def test_only_the_owner_stops_a_notebook(platform_admin: User, available: Environment) -> None:
    with pytest.raises(PermissionDenied):
        environment_stop(environment=available, user=platform_admin)


def test_a_notebook_that_is_not_running_cannot_be_stopped(scientist: User,
                                                          queued: Environment) -> None:
    with pytest.raises(InvalidTransition):
        environment_stop(environment=queued, user=scientist)


def test_terminate_needs_confirmation(scientist: User, available: Environment) -> None:
    with pytest.raises(InvalidTransition, match="Confirm"):
        environment_terminate(environment=available, user=scientist, confirm=False)
    available.refresh_from_db()
    assert available.status == "available"


def test_the_owner_terminates_through_terminate_provisioned_product(
        scientist: User, available: Environment) -> None:
    environment_terminate(environment=available, user=scientist, confirm=True)
    assert settle(available).status == "terminated"
    assert ProvisionedProduct.objects.get().terminated
    assert available.events.filter(kind="terminated").exists()


def test_a_platform_admin_may_terminate_but_a_colleague_may_not(
        platform_admin: User, colleague: User, available: Environment) -> None:
    with pytest.raises(PermissionDenied):
        environment_terminate(environment=available, user=colleague, confirm=True)
    environment_terminate(environment=available, user=platform_admin, confirm=True)
    assert settle(available).status == "terminated"
    assert AuditEvent.objects.get(action="environment.terminate").actor == platform_admin


def test_an_environment_never_provisioned_is_terminated_at_once(scientist: User,
                                                                queued: Environment) -> None:
    assert environment_terminate(environment=queued, user=scientist,
                                 confirm=True).status == "terminated"


def test_an_approved_change_request_updates_the_provisioned_product(
        scientist: User, available: Environment) -> None:
    v2 = ProductVersion.objects.create(product=available.product, artifact_id="pa-nb0001v2",
                                       name="v2")
    # The change names the notebook again: AWS refuses an update that leaves a parameter without
    # a default empty (UsePreviousValue for unchanged values is issue 9 §4, not done yet).
    changed = {"NotebookInstanceName": available.notebook_instance_name,
               "InstanceType": "ml.m5.xlarge"}
    change = approved_request(requester=scientist, project=available.project,
                              product=available.product, version=v2, action="update",
                              environment_ref=str(available.pk), parameters=changed)
    environment_provision(request=change)
    available.refresh_from_db()
    assert available.status == "updating" and available.operation_token == str(change.pk)
    environment = settle(available)
    assert environment.status == "available" and environment.version == v2
    assert environment.parameters == changed
    product = ProvisionedProduct.objects.get()
    assert product.artifact_id == "pa-nb0001v2"
    assert product.parameters["InstanceType"] == "ml.m5.xlarge"
    environment_provision(request=change)  # handed off twice: applied once
    assert product.records.filter(record_type="UPDATE_PROVISIONED_PRODUCT").count() == 1


def test_a_failed_update_leaves_the_environment_available_with_the_reason(
        scientist: User, available: Environment) -> None:
    change = approved_request(requester=scientist, project=available.project,
                              product=available.product, version=available.version,
                              action="update", environment_ref=str(available.pk),
                              parameters={"VolumeSizeInGB": "13"})
    environment_provision(request=change)
    environment = settle(available)
    assert environment.status == "available"
    assert "rolled back" in environment.status_message
    assert environment.parameters != {"VolumeSizeInGB": "13"}


def test_an_approved_terminate_request_terminates(scientist: User,
                                                  available: Environment) -> None:
    request = approved_request(requester=scientist, project=available.project,
                               product=available.product, version=available.version,
                               action="terminate", environment_ref=str(available.pk),
                               parameters={})
    environment_provision(request=request)
    assert settle(available).status == "terminated"


# --- the pages and the API --------------------------------------------------------------------

def test_the_stop_button_stops_and_says_why_when_it_cannot(
        client: Client, scientist: User, available: Environment) -> None:
    client.force_login(scientist)
    response = client.post(f"/environments/{available.pk}/stop")
    assert response.status_code == 302
    available.refresh_from_db()
    assert available.status == "stopping"
    response = client.post(f"/environments/{available.pk}/stop", follow=True)
    assert "is stopping; it can only be stopped when available" in response.content.decode()


def test_the_terminate_form_needs_the_confirmation_box(client: Client, scientist: User,
                                                       available: Environment) -> None:
    client.force_login(scientist)
    client.post(f"/environments/{available.pk}/terminate")
    available.refresh_from_db()
    assert available.status == "available"
    client.post(f"/environments/{available.pk}/terminate", {"confirm": "yes"})
    available.refresh_from_db()
    assert available.status == "terminating"


def test_the_api_actions_answer_202_409_403_and_404(
        client: Client, scientist: User, colleague: User, platform_admin: User,
        available: Environment) -> None:
    url = f"/api/v1/environments/{available.pk}"
    client.force_login(colleague)
    assert client.post(f"{url}/stop").status_code == 404
    client.force_login(platform_admin)
    assert client.post(f"{url}/stop").status_code == 403
    client.force_login(scientist)
    assert client.post(f"{url}/start").status_code == 409
    assert client.post(f"{url}/stop").status_code == 202
    assert client.post(f"{url}/terminate", {"confirm": False},
                       content_type="application/json").status_code == 409
    assert client.post(f"{url}/terminate", {}, content_type="application/json").status_code == 400


def test_a_change_request_for_the_wrong_project_is_not_applied(
        scientist: User, available: Environment, other_project: Any) -> None:
    change = approved_request(requester=scientist, project=other_project,
                              product=available.product, version=available.version,
                              action="update", environment_ref=str(available.pk))
    assert environment_provision(request=change) is None
    available.refresh_from_db()
    assert available.status == "available"
    assert Request.objects.count() == 2


def test_a_change_request_by_someone_else_is_not_applied(
        colleague: User, available: Environment) -> None:
    change = approved_request(requester=colleague, project=available.project,
                              product=available.product, version=available.version,
                              action="update", environment_ref=str(available.pk))
    environment_provision(request=change)
    available.refresh_from_db()
    assert available.status == "available" and available.pending_request is None
    assert available.events.filter(kind="failed", message__contains="only the owner").exists()


def test_terminating_a_product_already_gone_from_aws_ends_terminated(
        scientist: User, available: Environment) -> None:
    console_client("servicecatalog", available.project).terminate_provisioned_product(
        ProvisionedProductId=available.provisioned_product_id, TerminateToken="console-1")
    environment_terminate(environment=available, user=scientist, confirm=True)
    assert settle(available).status == "terminated"


def test_the_api_keeps_csrf_for_session_callers(scientist: User,
                                                available: Environment) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(scientist)
    assert client.post(f"/api/v1/environments/{available.pk}/stop").status_code == 403
    available.refresh_from_db()
    assert available.status == "available"


def test_scripts_use_a_token_without_csrf(scientist: User, available: Environment) -> None:
    from portal.services import api_token_rotate

    key = api_token_rotate(user=scientist)
    client = Client(enforce_csrf_checks=True)
    response = client.post(f"/api/v1/environments/{available.pk}/launch",
                           HTTP_AUTHORIZATION=f"Token {key}")
    assert response.status_code == 200 and response.json()["url"]


def test_the_admin_shows_environments_read_only(client: Client, platform_admin: User,
                                                scientist: User, available: Environment) -> None:
    client.force_login(platform_admin)
    url = f"/admin/provisioning/environment/{available.pk}/change/"
    page = client.get(url)
    assert page.status_code == 200 and available.provisioned_product_name in page.content.decode()
    assert client.post(url, {"status": "terminated"}).status_code == 403
    client.force_login(scientist)
    assert client.get("/admin/provisioning/environment/").status_code == 302


def test_a_stop_aws_refuses_leaves_the_notebook_running_with_the_reason(
        scientist: User, available: Environment) -> None:
    faults.inject(service="sagemaker", operation="StopNotebookInstance",
                  code="AccessDeniedException", status=400, message="not authorized")
    environment_stop(environment=available, user=scientist)
    environment = settle(available)
    assert environment.status == "available"
    assert environment.status_message.startswith("Could not stop the notebook")
