"""SageMaker projects are never someone else's: two users asking for the same project name on
the fake AWS; terminate deletes through SageMaker (DeleteProject) and follows it until gone."""

from __future__ import annotations

from typing import Any

import pytest

from approvals.models import Request
from catalog.models import Product
from catalog.parameters import parameters_effective
from fakeaws.baseline import Baseline
from fakeaws.models import CallLog, Record, SageMakerProject
from portal.models import Project, User
from provisioning.follow import environment_follow_run
from provisioning.lifecycle import environment_terminate
from provisioning.models import Environment
from provisioning.provision_run import environment_provision_run
from provisioning.services import environment_provision
from tests.provisioning import fake_portal
from tests.provisioning.fake_portal import approved, provision_and_settle, request_values

pytestmark = pytest.mark.django_db
fake_aws = fake_portal.fake_aws
shapes_catalog = fake_portal.shapes_catalog
Status = Environment.Status
PROJECT_TEMPLATE = "fixtures/sagemaker-project-no-default.yaml"


def settle(environment: Environment, *, checks: int = 10) -> Environment:
    for _ in range(checks):
        environment.refresh_from_db()
        if environment.status not in Environment.FOLLOWED:
            break
        environment_follow_run(environment_id=environment.pk, attempt=environment.follow_attempt)
    environment.refresh_from_db()
    return environment


def calls(operation: str) -> int:
    return CallLog.objects.filter(service="sagemaker", operation=operation).count()


@pytest.fixture
def first(shapes_catalog: dict[str, Product], fake_aws: Baseline, scientist: User,
          project: Project) -> Environment:
    """The scientist's SageMaker project, created and available."""
    product = shapes_catalog[PROJECT_TEMPLATE]
    environment = provision_and_settle(approved(
        requester=scientist, project=project, product=product,
        parameters=request_values(product.versions.get(), fake_aws)))
    assert environment.status == Status.AVAILABLE, environment.status_message
    return environment


def test_sagemakers_own_parameters_are_never_a_form_field_of_a_project_product(
        shapes_catalog: dict[str, Product]) -> None:
    version = shapes_catalog[PROJECT_TEMPLATE].versions.get()
    hidden = {p.key for p in parameters_effective(version=version) if p.hidden}
    assert hidden == {"SageMakerProjectName", "SageMakerProjectId"}


def test_a_second_user_asking_for_a_taken_project_name_is_refused_and_never_gets_it(
        first: Environment, shapes_catalog: dict[str, Product], fake_aws: Baseline,
        colleague: User, project: Project, django_capture_on_commit_callbacks: Any) -> None:
    taken = first.sagemaker_project_name
    product = shapes_catalog[PROJECT_TEMPLATE]
    request = approved(requester=colleague, project=project, product=product,
                       parameters=request_values(product.versions.get(), fake_aws))
    with django_capture_on_commit_callbacks(execute=False):
        second = environment_provision(request=request)
    assert second is not None
    # The colleague's environment asks for the same name (as if they had typed it).
    Environment.objects.filter(pk=second.pk).update(sagemaker_project_name=taken)

    assert environment_provision_run(environment_id=second.pk) == "failed"
    second.refresh_from_db()
    assert second.status == Status.FAILED
    assert second.status_message == (
        f"The SageMaker project name {taken} is already taken in the project's AWS account by a "
        "project that is not this environment's. Nothing was created or changed; request a new "
        "environment to get another name.")
    assert (second.sagemaker_project_id, second.provisioned_product_id) == ("", "")
    assert calls("CreateProject") == 1  # the first user's only

    # Terminating the refused environment never touches the first user's project.
    environment_terminate(environment=second, user=colleague, confirm=True)
    second.refresh_from_db()
    assert second.status == Status.TERMINATED
    assert calls("DeleteProject") == 0
    assert SageMakerProject.objects.get(name=taken, deleted=False).project_id == \
        first.sagemaker_project_id


def test_an_environment_pointing_at_someone_elses_project_cannot_delete_it(
        first: Environment, colleague: User, django_capture_on_commit_callbacks: Any) -> None:
    """Even an environment row that names another environment's project (a bad import, an
    operator's edit) is refused by the project's own portal-environment tag."""
    stray = Environment.objects.create(
        origin_request=first.origin_request.__class__.objects.create(
            requester=colleague, project=first.project, product=first.product,
            version=first.version, action=Request.Action.CREATE, parameters={},
            tag_choices={}, justification="x", status=Request.Status.APPROVED),
        owner=colleague, project=first.project, product=first.product, version=first.version,
        provisioned_product_name="stray", status=Status.AVAILABLE,
        sagemaker_project_name=first.sagemaker_project_name,
        sagemaker_project_id=first.sagemaker_project_id,
        provisioned_product_id=first.provisioned_product_id)
    with django_capture_on_commit_callbacks(execute=False):
        environment_terminate(environment=stray, user=colleague, confirm=True)
    stray = settle(stray)
    assert stray.status == Status.FAILED
    assert "is not this environment's" in stray.status_message
    assert calls("DeleteProject") == 0
    assert SageMakerProject.objects.filter(name=first.sagemaker_project_name,
                                           deleted=False).exists()


def test_terminate_deletes_the_project_through_sagemaker_and_follows_it_until_gone(
        first: Environment, scientist: User, django_capture_on_commit_callbacks: Any) -> None:
    with django_capture_on_commit_callbacks(execute=False):
        environment_terminate(environment=first, user=scientist, confirm=True)
    environment = settle(first)
    assert environment.status == Status.TERMINATED
    assert calls("DeleteProject") == 1
    assert calls("DescribeProject") >= 2  # before the delete, and until SageMaker forgets it
    assert CallLog.objects.filter(service="servicecatalog",
                                  operation="TerminateProvisionedProduct").count() == 0
    # Followed until SageMaker no longer knew it; SageMaker terminated its product itself.
    last = CallLog.objects.filter(operation="DescribeProject").latest("pk")
    assert last.error_code == "ValidationException"
    assert Record.objects.filter(product__pp_id=first.provisioned_product_id,
                                 record_type="TERMINATE_PROVISIONED_PRODUCT").count() == 1
    # DeleteProject ran in the owner's session, named after them.
    assert CallLog.objects.get(operation="DeleteProject").session_name == scientist.username


def test_a_change_goes_through_update_project_and_never_resends_sagemakers_parameters(
        first: Environment, scientist: User, django_capture_on_commit_callbacks: Any) -> None:
    from django.utils import timezone

    from fakeaws.models import ProvisionedProduct, Tag
    from provisioning.lifecycle import environment_update_apply

    request = Request.objects.create(
        requester=scientist, project=first.project, product=first.product,
        version=first.version, action=Request.Action.UPDATE, environment_ref=str(first.pk),
        parameters={"SageMakerProjectName": "", "SageMakerProjectId": ""},
        tag_choices={"data-classification": "confidential"}, justification="Classify it",
        status=Request.Status.APPROVED, decided_at=timezone.now())
    with django_capture_on_commit_callbacks(execute=False):
        environment_update_apply(request=request)
    environment = settle(first)
    assert environment.status == Status.AVAILABLE, environment.status_message
    assert calls("UpdateProject") == 1
    assert CallLog.objects.filter(operation="UpdateProvisionedProduct").count() == 0
    project = SageMakerProject.objects.get(name=first.sagemaker_project_name, deleted=False)
    assert Tag.objects.get(resource_arn=project.arn, key="data-classification").value == \
        "confidential"
    product = ProvisionedProduct.objects.get(pp_id=first.provisioned_product_id)
    assert (product.parameters["SageMakerProjectName"],
            product.parameters["SageMakerProjectId"]) == (project.name, project.project_id)
    assert environment.sagemaker_project_name == project.name
