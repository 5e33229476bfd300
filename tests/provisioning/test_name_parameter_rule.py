"""One rule names the resource: provisioning sends the provisioned product's name for a name
parameter left empty or at the template's default, and resolution looks for that same name."""

from __future__ import annotations

import uuid

import pytest

from catalog.models import ParameterSpec, Product
from portal.models import Project, User
from provisioning.models import Environment
from provisioning.names import name_parameter_filled
from provisioning.resolve import sent_parameters
from tests.provisioning.conftest import approved_request, make_notebook_product

pytestmark = pytest.mark.django_db


def environment_of(scientist: User, project: Project, kind: str, parameters: dict[str, str],
                   *, default: str | None = None) -> Environment:
    product, version = make_notebook_product(
        project, kind=kind, product_id="prod-other0001" if kind == Product.Kind.OTHER else "")
    key = {Product.Kind.NOTEBOOK_INSTANCE: "NotebookInstanceName",
           Product.Kind.STUDIO_USER_PROFILE: "UserProfileName"}.get(kind)
    if key:
        ParameterSpec.objects.create(version=version, key=key, default=default)
    request = approved_request(requester=scientist, project=project, product=product,
                               version=version, parameters=parameters)
    return Environment.objects.create(
        id=uuid.uuid4(), origin_request=request, owner=scientist, project=project,
        product=product, version=version, parameters=parameters,
        provisioned_product_name="dana-notebook-1f2e3d4c")


@pytest.mark.parametrize(("kind", "key"), [
    (Product.Kind.NOTEBOOK_INSTANCE, "NotebookInstanceName"),
    (Product.Kind.STUDIO_USER_PROFILE, "UserProfileName"),
])
@pytest.mark.parametrize("given", ["", "myNotebook"])
def test_an_empty_or_default_name_becomes_the_provisioned_product_name(
        scientist: User, project: Project, kind: str, key: str, given: str) -> None:
    environment = environment_of(scientist, project, kind, {key: given, "InstanceType": "x"},
                                 default="myNotebook")
    expected = {key: "dana-notebook-1f2e3d4c", "InstanceType": "x"}
    assert name_parameter_filled(environment, environment.parameters) == expected
    # Resolution looks for the name provisioning sent, not the template's default.
    assert sent_parameters(environment) == expected


def test_a_name_the_person_chose_is_kept_and_the_input_is_not_changed(
        scientist: User, project: Project) -> None:
    given = {"NotebookInstanceName": "my-own", "InstanceType": "x"}
    environment = environment_of(scientist, project, Product.Kind.NOTEBOOK_INSTANCE, given,
                                 default="myNotebook")
    assert name_parameter_filled(environment, given) == given
    assert sent_parameters(environment) == given
    assert given == {"NotebookInstanceName": "my-own", "InstanceType": "x"}
    # Filling returns a new mapping; the caller's stays as it was.
    name_parameter_filled(environment, {**given, "NotebookInstanceName": ""})
    assert given["NotebookInstanceName"] == "my-own"


def test_a_kind_without_a_name_parameter_is_left_alone(scientist: User, project: Project) -> None:
    environment = environment_of(scientist, project, Product.Kind.OTHER,
                                 {"NotebookInstanceName": "", "Other": ""})
    assert name_parameter_filled(environment, environment.parameters) == {
        "NotebookInstanceName": "", "Other": ""}


def test_a_template_without_the_name_parameter_gets_none_added(
        scientist: User, project: Project) -> None:
    environment = environment_of(scientist, project, Product.Kind.NOTEBOOK_INSTANCE,
                                 {"InstanceType": "x"})
    assert name_parameter_filled(environment, environment.parameters) == {"InstanceType": "x"}


def test_sent_parameters_of_a_sagemaker_project_carry_its_name_and_id(
        scientist: User, project: Project) -> None:
    environment = environment_of(scientist, project, Product.Kind.SAGEMAKER_PROJECT,
                                 {"SageMakerProjectName": "", "Stage": None})  # type: ignore[dict-item]
    environment.sagemaker_project_name = "dana-1f2e"
    environment.sagemaker_project_id = "p-abc"
    assert sent_parameters(environment) == {
        "SageMakerProjectName": "dana-1f2e", "SageMakerProjectId": "p-abc", "Stage": ""}

