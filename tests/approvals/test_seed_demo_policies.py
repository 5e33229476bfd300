from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command

from approvals.models import ApprovalPolicy, ApprovalRule, ApprovalStep, Request
from approvals.services import request_create
from catalog.models import Product
from portal.models import Project, User
from tests.approvals.conftest import request_notebook

pytestmark = pytest.mark.django_db


def _seed() -> str:
    out = StringIO()
    call_command("seed_demo_policies", stdout=out)
    return out.getvalue()


def test_the_command_is_idempotent(db: None) -> None:
    assert "created" in _seed()
    counts = (ApprovalPolicy.objects.count(), ApprovalRule.objects.count(),
              ApprovalStep.objects.count())
    assert "nothing created" in _seed()
    assert counts == (ApprovalPolicy.objects.count(), ApprovalRule.objects.count(),
                      ApprovalStep.objects.count()) == (1, 6, 6)


def test_a_cpu_notebook_under_150_dollars_a_month_is_approved_at_once(
    demo_policies: None, scientist: User, project: Project, notebook: Product
) -> None:
    request = request_notebook(scientist, project, notebook, "ml.m5.xlarge")  # $167.90
    assert request.status == Request.Status.PENDING  # over $150: the default group decides
    cheap = request_notebook(scientist, project, notebook, "ml.t3.medium")  # $36.50
    assert cheap.status == Request.Status.APPROVED and not cheap.tasks.exists()


@pytest.mark.parametrize("instance_type", ["ml.p3.2xlarge", "ml.g4dn.xlarge"])
def test_a_gpu_notebook_needs_the_manager_then_a_platform_admin(
    demo_policies: None, scientist: User, manager: User, platform_admin: User, project: Project,
    notebook: Product, instance_type: str,
) -> None:
    request = request_notebook(scientist, project, notebook, instance_type)
    assert request.matched_rule is not None and request.matched_rule.name == "GPU notebooks"
    assert [s.approvers for s in request.matched_rule.steps.order_by("position")] == [
        "manager", "group"]
    assert list(request.tasks.get().eligible_approvers.all()) == [manager]


def test_a_studio_profile_needs_a_project_lead(
    demo_policies: None, scientist: User, manager: User, project: Project, studio: Product
) -> None:
    request = request_create(requester=scientist, project_slug=project.slug,
                             product_id=studio.pk, parameters={"UserProfileName": "dana"},
                             justification="Studio for experiments")
    task = request.tasks.get()
    assert task.name == "Project lead" and list(task.eligible_approvers.all()) == [manager]


def test_a_sagemaker_project_needs_a_project_lead_and_a_platform_admin(
    demo_policies: None, scientist: User, project: Project, mlops: Product
) -> None:
    request = request_create(requester=scientist, project_slug=project.slug,
                             product_id=mlops.pk, parameters={},  # SageMaker names it
                             justification="MLOps pipeline")
    assert request.matched_rule is not None
    assert [s.name for s in request.matched_rule.steps.order_by("position")] == [
        "Project lead", "Platform admin"]
