"""Change-set preview: a change request is approved on a Service Catalog plan made on the fake AWS
(CreateProvisionedProductPlan from the demo template), its approver sees what is modified and
what is replaced, approval executes exactly that plan, and a stale plan goes back for approval."""

from __future__ import annotations

from typing import Any

import pytest
from django.conf import settings as django_settings
from django.test import Client

from approvals.errors import InvalidTransition
from approvals.models import ApprovalTask, Request
from approvals.policies import group_named
from approvals.services import request_approve, request_create, request_reject
from catalog.models import ParameterOverride, Product
from fakeaws import faults
from fakeaws.baseline import Baseline
from fakeaws.models import CallLog, NotebookInstance, ProvisionedProductPlan
from portal.models import AuditEvent, Notification, Project, User
from provisioning.backends.aws import AwsBackend
from provisioning.change_plans import plan_delete_run, plan_step
from provisioning.follow import environment_follow_run
from provisioning.models import Environment, ResourcePlan
from tests.provisioning import fake_portal
from tests.provisioning.fake_portal import approved, provision_and_settle, request_values

pytestmark = pytest.mark.django_db
fake_aws = fake_portal.fake_aws
shapes_catalog = fake_portal.shapes_catalog
DEMO = "demo/notebook-v2.yaml"
Status = Environment.Status
REPLACED = "Replaced: deleted and created again, its data is lost"


@pytest.fixture
def approver(platform_admin: User) -> User:
    """Decides the default review step (the fallback group)."""
    group_named(django_settings.PORTAL_APPROVAL_FALLBACK_GROUP).user_set.add(platform_admin)
    return platform_admin


@pytest.fixture
def notebook(shapes_catalog: dict[str, Product], fake_aws: Baseline, scientist: User,
             project: Project) -> Environment:
    product = shapes_catalog[DEMO]
    # The platform team lets a change rename the notebook: CloudFormation replaces it.
    ParameterOverride.objects.create(product=product, key="NotebookInstanceName",
                                     on_change="replace")
    values = {**request_values(product.versions.get(), fake_aws),
              "NotebookInstanceName": "dana-nb"}
    environment = provision_and_settle(approved(requester=scientist, project=project,
                                                product=product, parameters=values))
    assert environment.status == Status.AVAILABLE, environment.status_message
    return environment


def change(environment: Environment, **values: str) -> Request:
    return request_create(
        requester=environment.owner, project_slug=environment.project.slug,
        product_id=environment.product.pk, parameters={**environment.parameters, **values},
        justification="Quarter-end scoring", action=Request.Action.UPDATE,
        environment_ref=str(environment.pk))


def open_task(request: Request) -> ApprovalTask:
    return request.tasks.get(status=ApprovalTask.Status.PENDING, superseded=False)


def settle(environment: Environment, *, checks: int = 10) -> Environment:
    for _ in range(checks):
        environment.refresh_from_db()
        if environment.status not in Environment.FOLLOWED:
            break
        environment_follow_run(environment_id=environment.pk, attempt=environment.follow_attempt)
    environment.refresh_from_db()
    return environment


def approve(task: ApprovalTask, approver: User, capture: Any) -> None:
    with capture(execute=True):  # the hand-off runs on commit of the approval
        request_approve(task=task, approver=approver)


def page(user: User, request: Request) -> str:
    client = Client()
    client.force_login(user)
    response = client.get(f"/requests/{request.pk}/")
    assert response.status_code == 200
    return response.content.decode()


def test_a_change_request_gets_a_plan_the_approver_sees_replacement_in_red_and_words(
        notebook: Environment, approver: User) -> None:
    request = change(notebook, NotebookInstanceName="dana-nb-2", InstanceType="ml.m5.xlarge")
    plan = ResourcePlan.objects.get(request=request)
    assert plan.state == ResourcePlan.State.CREATING
    assert "being prepared" in page(approver, request)
    with pytest.raises(InvalidTransition, match="still being prepared"):
        request_approve(task=open_task(request), approver=approver)

    assert plan_step(plan_pk=plan.pk) == ResourcePlan.State.READY
    plan.refresh_from_db()
    fake = ProvisionedProductPlan.objects.get(plan_id=plan.plan_id)
    sent = {p["Key"]: p for p in fake.parameters}
    assert sent["NotebookInstanceName"]["Value"] == "dana-nb-2"
    assert sent["InstanceType"]["Value"] == "ml.m5.xlarge"
    assert sent["VolumeSizeInGB"].get("UsePreviousValue") is True  # unchanged: kept
    changes = {c["LogicalResourceId"]: c for c in plan.changes}
    assert changes["NotebookInstance"]["Replacement"] == "TRUE"
    assert "NotebookInstanceName" in changes["NotebookInstance"]["Properties"]
    # The rename replaces it; the resize alone would not (InstanceType: "No interruption").
    assert changes["NotebookInstance"]["Recreates"] == ["NotebookInstanceName"]
    assert changes["ExecutionRole"]["Replacement"] == "FALSE"  # its policy names the notebook

    html = page(approver, request)
    assert 'id="change-preview-warning"' in html and "1 resource will be replaced" in html
    row = html[html.rindex("<tr", 0, html.index('data-replacement="TRUE"')):]
    row = row[:row.index("</tr>")]
    assert 'class="change-destructive"' in row and REPLACED in row and "NotebookInstance" in row
    assert 'data-recreates="NotebookInstanceName"' in row
    assert 'data-recreates="InstanceType"' not in row and "<code>InstanceType</code>" in row
    role_row = html[html.rindex("<tr", 0, html.index('data-replacement="FALSE"')):]
    role_row = role_row[:role_row.index("</tr>")]
    assert "change-destructive" not in role_row and ">Modified<" in role_row
    assert "ExecutionRole" in role_row


def test_approval_executes_exactly_the_plan_not_an_update(
        notebook: Environment, approver: User, monkeypatch: pytest.MonkeyPatch,
        django_capture_on_commit_callbacks: Any) -> None:
    updates: list[Any] = []
    monkeypatch.setattr(AwsBackend, "update_provisioned_product",
                        lambda self, **kw: updates.append(kw))
    request = change(notebook, InstanceType="ml.m5.xlarge")
    plan = ResourcePlan.objects.get(request=request)
    plan_step(plan_pk=plan.pk)
    approve(open_task(request), approver, django_capture_on_commit_callbacks)
    environment = settle(notebook)
    assert environment.status == Status.AVAILABLE, environment.status_message
    plan.refresh_from_db()
    assert plan.state == ResourcePlan.State.EXECUTED
    assert ProvisionedProductPlan.objects.get(plan_id=plan.plan_id).status == "EXECUTE_SUCCESS"
    assert CallLog.objects.filter(operation="ExecuteProvisionedProductPlan",
                                  error_code="").count() == 1
    assert not CallLog.objects.filter(operation="UpdateProvisionedProduct").exists()
    assert updates == []
    assert NotebookInstance.objects.get(name="dana-nb").instance_type == "ml.m5.xlarge"
    assert environment.parameters["InstanceType"] == "ml.m5.xlarge"
    assert AuditEvent.objects.filter(action="change_plan.executed").count() == 1


@pytest.mark.parametrize("how", ["changed", "deleted"])
def test_a_stale_plan_is_made_again_and_the_request_goes_back_for_approval(
        how: str, notebook: Environment, approver: User, fake_aws: Baseline,
        django_capture_on_commit_callbacks: Any) -> None:
    request = change(notebook, InstanceType="ml.m5.xlarge")
    plan = ResourcePlan.objects.get(request=request)
    plan_step(plan_pk=plan.pk)
    plan.refresh_from_db()
    first_id = plan.plan_id
    if how == "changed":  # someone changed the product in AWS after the plan was made
        console = fake_portal_console(notebook)
        console.update_provisioned_product(
            ProvisionedProductId=notebook.provisioned_product_id,
            ProductId=notebook.product.product_id, ProvisioningArtifactId=
            notebook.version.artifact_id, ProvisioningParameters=[
                {"Key": k, "UsePreviousValue": True} for k in notebook.parameters],
            UpdateToken="console-1")
    else:
        ProvisionedProductPlan.objects.filter(plan_id=first_id).delete()  # expired in AWS
    approve(open_task(request), approver, django_capture_on_commit_callbacks)
    environment = settle(notebook)

    assert environment.status == Status.AVAILABLE and environment.pending_request is None
    assert "needs approval again" in environment.status_message
    assert not CallLog.objects.filter(operation="ExecuteProvisionedProductPlan").exists()
    request.refresh_from_db()
    assert request.status == Request.Status.PENDING and request.handed_off_at is None
    plan.refresh_from_db()
    assert (plan.state, plan.generation, plan.plan_id) == (ResourcePlan.State.CREATING, 2, "")
    assert not ProvisionedProductPlan.objects.filter(plan_id=first_id).exists()
    assert AuditEvent.objects.filter(action="request.reapproval").count() == 1
    assert AuditEvent.objects.filter(action="change_plan.stale").count() == 1
    asked = Notification.objects.filter(recipient=approver, text__contains="Approval needed")
    assert asked.count() == 2  # the first round and this one
    # The same approver decides the new round, on the new plan, which is then executed.
    task = open_task(request)
    with pytest.raises(InvalidTransition):
        request_approve(task=task, approver=approver)
    plan_step(plan_pk=plan.pk)
    approve(task, approver, django_capture_on_commit_callbacks)
    environment = settle(notebook)
    assert environment.status == Status.AVAILABLE, environment.status_message
    plan.refresh_from_db()
    assert plan.state == ResourcePlan.State.EXECUTED and plan.plan_id != first_id
    assert NotebookInstance.objects.get(name="dana-nb").instance_type == "ml.m5.xlarge"


def fake_portal_console(environment: Environment) -> Any:
    from tests.provisioning.conftest import console_client

    return console_client("servicecatalog", environment.project)


def test_a_failed_plan_shows_the_error_to_the_requester_and_cannot_be_approved(
        notebook: Environment, approver: User, scientist: User) -> None:
    faults.inject(service="servicecatalog", operation="CreateProvisionedProductPlan",
                  code="InvalidParametersException", message="Template references a retired AMI",
                  times=5)
    request = change(notebook, InstanceType="ml.m5.xlarge")
    plan = ResourcePlan.objects.get(request=request)
    assert plan_step(plan_pk=plan.pk) == ResourcePlan.State.FAILED
    html = page(scientist, request)
    assert 'id="change-preview-error"' in html and "retired AMI" in html
    assert Notification.objects.filter(recipient=scientist,
                                       text__contains="Change preview failed").exists()
    with pytest.raises(InvalidTransition, match="preview failed"):
        request_approve(task=open_task(request), approver=approver)


def test_rejecting_deletes_the_plan(notebook: Environment, approver: User,
                                    django_capture_on_commit_callbacks: Any) -> None:
    request = change(notebook, InstanceType="ml.m5.xlarge")
    plan = ResourcePlan.objects.get(request=request)
    plan_step(plan_pk=plan.pk)
    plan.refresh_from_db()
    assert ProvisionedProductPlan.objects.filter(plan_id=plan.plan_id).exists()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        request_reject(task=open_task(request), approver=approver, comment="Not this quarter")
    assert callbacks  # the delete task is sent once the rejection commits
    plan.refresh_from_db()
    assert plan.state == ResourcePlan.State.DELETED
    plan_delete_run(plan_pk=plan.pk)
    assert not ProvisionedProductPlan.objects.filter(plan_id=plan.plan_id).exists()
    assert CallLog.objects.filter(operation="DeleteProvisionedProductPlan",
                                  error_code="").count() == 1
    assert AuditEvent.objects.filter(action="change_plan.deleted").count() == 1


def test_a_terminate_request_previews_that_all_resources_are_removed(
        notebook: Environment, approver: User) -> None:
    request = request_create(
        requester=notebook.owner, project_slug=notebook.project.slug,
        product_id=notebook.product.pk, parameters={}, justification="Done with it",
        action=Request.Action.TERMINATE, environment_ref=str(notebook.pk))
    assert not ResourcePlan.objects.filter(request=request).exists()  # AWS has no such plan
    html = page(approver, request)
    assert "All resources removed" in html
    assert "dana-nb" in html and 'data-action="REMOVE"' in html
    assert notebook.provisioned_product_id in html


def test_the_plan_is_checked_until_aws_finishes_it_and_a_create_failed_says_why(
        notebook: Environment, monkeypatch: pytest.MonkeyPatch) -> None:
    from provisioning.backends import PlanStatus

    answers = [PlanStatus(plan_id="x", status="CREATE_IN_PROGRESS"),
               PlanStatus(plan_id="x", status="CREATE_FAILED",
                          status_message="Parameter SubnetId is invalid")]
    monkeypatch.setattr(AwsBackend, "describe_provisioned_product_plan",
                        lambda self, *, plan_id: answers.pop(0))
    request = change(notebook, InstanceType="ml.m5.xlarge")
    plan = ResourcePlan.objects.get(request=request)
    assert plan_step(plan_pk=plan.pk) == ResourcePlan.State.CREATING
    plan.refresh_from_db()
    assert (plan.aws_status, plan.checks) == ("CREATE_IN_PROGRESS", 1) and plan.plan_id
    assert CallLog.objects.filter(operation="CreateProvisionedProductPlan").count() == 1
    assert plan_step(plan_pk=plan.pk) == ResourcePlan.State.FAILED  # no second create
    assert CallLog.objects.filter(operation="CreateProvisionedProductPlan").count() == 1
    plan.refresh_from_db()
    assert plan.message == "Parameter SubnetId is invalid"
