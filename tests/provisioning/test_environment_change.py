"""Day 2 as AWS does it, on the fake AWS (its state shows what was sent) and with Stubber for the
exact request: only changed parameters carry a value, the rest UsePreviousValue; the names stay;
the TagOption values the change picked are applied; a fixed default name is made unique."""

from __future__ import annotations

from typing import Any

import pytest
from django.utils import timezone

from approvals.models import Request
from catalog.models import Product
from fakeaws.baseline import Baseline
from fakeaws.models import NotebookInstance, ProvisionedProduct
from portal.models import Project, User
from provisioning.follow import environment_follow_run
from provisioning.lifecycle import environment_update_apply
from provisioning.models import Environment
from tests.provisioning import fake_portal
from tests.provisioning.conftest import AwsStubs, make_notebook_product
from tests.provisioning.fake_portal import approved, provision_and_settle, request_values

pytestmark = pytest.mark.django_db
fake_aws = fake_portal.fake_aws
shapes_catalog = fake_portal.shapes_catalog
Status = Environment.Status
FIXED_DEFAULT = "fixtures/notebook-fixed-default-name.yaml"


def change_request(environment: Environment, *, parameters: dict[str, str],
                   tag_choices: dict[str, str] | None = None) -> Request:
    """An approved change request, as the approvals workflow leaves it (test data)."""
    return Request.objects.create(
        requester=environment.owner, project=environment.project, product=environment.product,
        version=environment.version, action=Request.Action.UPDATE,
        environment_ref=str(environment.pk), parameters=parameters,
        tag_choices=tag_choices or {}, justification="Bigger instance",
        status=Request.Status.APPROVED, decided_at=timezone.now())


def settle(environment: Environment, *, checks: int = 10) -> Environment:
    for _ in range(checks):
        environment.refresh_from_db()
        if environment.status not in Environment.FOLLOWED:
            break
        environment_follow_run(environment_id=environment.pk, attempt=environment.follow_attempt)
    environment.refresh_from_db()
    return environment


@pytest.fixture
def notebook_env(shapes_catalog: dict[str, Product], fake_aws: Baseline, scientist: User,
                 project: Project) -> Environment:
    product = shapes_catalog[FIXED_DEFAULT]
    values = {**request_values(product.versions.get(), fake_aws),
              "NotebookInstanceName": "myNotebook"}  # the template's fixed default
    environment = provision_and_settle(approved(requester=scientist, project=project,
                                                product=product, parameters=values))
    assert environment.status == Status.AVAILABLE, environment.status_message
    return environment


def test_a_name_left_at_its_fixed_default_is_made_unique_per_environment(
        notebook_env: Environment, shapes_catalog: dict[str, Product], fake_aws: Baseline,
        colleague: User, project: Project) -> None:
    product = shapes_catalog[FIXED_DEFAULT]
    second = provision_and_settle(approved(
        requester=colleague, project=project, product=product,
        parameters={**request_values(product.versions.get(), fake_aws),
                    "NotebookInstanceName": "myNotebook"}))
    assert second.status == Status.AVAILABLE, second.status_message
    names = {notebook_env.notebook_instance_name, second.notebook_instance_name}
    assert names == {notebook_env.provisioned_product_name, second.provisioned_product_name}
    assert set(NotebookInstance.objects.values_list("name", flat=True)) == names
    # The environment keeps the name it was given: a change starts from it.
    assert notebook_env.parameters["NotebookInstanceName"] == notebook_env.notebook_instance_name


def test_a_change_sends_what_changed_keeps_the_rest_and_applies_the_picked_tags(
        notebook_env: Environment, django_capture_on_commit_callbacks: Any) -> None:
    before = ProvisionedProduct.objects.get(pp_id=notebook_env.provisioned_product_id)
    name = notebook_env.notebook_instance_name
    request = change_request(notebook_env, parameters={
        **notebook_env.parameters, "NotebookInstanceName": "myNotebook",  # a default, not a rename
        "InstanceType": "ml.m5.xlarge"}, tag_choices={"data-classification": "confidential"})
    with django_capture_on_commit_callbacks(execute=False):
        environment_update_apply(request=request)
    environment = settle(notebook_env)
    assert environment.status == Status.AVAILABLE, environment.status_message

    after = ProvisionedProduct.objects.get(pp_id=notebook_env.provisioned_product_id)
    assert after.parameters == {**before.parameters, "InstanceType": "ml.m5.xlarge"}
    assert after.parameters["NotebookInstanceName"] == name
    notebook = NotebookInstance.objects.get(name=name)
    assert notebook.instance_type == "ml.m5.xlarge"
    assert after.tags == {**before.tags, "data-classification": "confidential"}
    assert after.tags["portal-environment"] == str(notebook_env.pk)
    assert environment.parameters["NotebookInstanceName"] == name
    assert environment.parameters["InstanceType"] == "ml.m5.xlarge"
    assert {"Key": "data-classification", "Value": "confidential"} in environment.tags


def test_a_change_without_tag_picks_keeps_the_tags(
        notebook_env: Environment, django_capture_on_commit_callbacks: Any) -> None:
    before = ProvisionedProduct.objects.get(pp_id=notebook_env.provisioned_product_id).tags
    request = change_request(notebook_env, parameters={**notebook_env.parameters,
                                                       "InstanceType": "ml.m5.xlarge"})
    with django_capture_on_commit_callbacks(execute=False):
        environment_update_apply(request=request)
    assert settle(notebook_env).status == Status.AVAILABLE
    assert ProvisionedProduct.objects.get(
        pp_id=notebook_env.provisioned_product_id).tags == before


@pytest.mark.parametrize("replaceable", [False, True])
def test_the_update_request_carries_use_previous_value_for_what_did_not_change(
        replaceable: bool, aws: AwsStubs, scientist: User, project: Project,
        django_capture_on_commit_callbacks: Any) -> None:
    """The name keeps its value, unless the admin lets it change (it is then sent: the
    resource is replaced)."""
    from catalog.models import ParameterOverride, ParameterSpec

    product, version = make_notebook_product(project)
    for position, key in enumerate(["NotebookInstanceName", "InstanceType", "VolumeSizeInGB"]):
        ParameterSpec.objects.create(version=version, key=key, position=position)
    if replaceable:
        ParameterOverride.objects.create(product=product, key="NotebookInstanceName",
                                         on_change="replace")
    origin = Request.objects.create(
        requester=scientist, project=project, product=product, version=version,
        parameters={}, tag_choices={}, justification="x", status=Request.Status.APPROVED)
    environment = Environment.objects.create(
        origin_request=origin, owner=scientist, project=project, product=product,
        version=version, provisioned_product_name="dana-notebook-1", status=Status.AVAILABLE,
        provisioned_product_id="pp-1", notebook_instance_name="dana-notebook-1",
        parameters={"NotebookInstanceName": "dana-notebook-1", "InstanceType": "ml.t3.medium",
                    "VolumeSizeInGB": "20"},
        tags=[{"Key": "owner", "Value": scientist.owner_id}])
    request = change_request(environment, parameters={
        "NotebookInstanceName": "dana-notebook-2", "InstanceType": "ml.t3.medium",
        "VolumeSizeInGB": "50"})
    name = ({"Key": "NotebookInstanceName", "Value": "dana-notebook-2"} if replaceable
            else {"Key": "NotebookInstanceName", "UsePreviousValue": True})
    stub = aws.stub("servicecatalog")
    stub.add_response("update_provisioned_product", {"RecordDetail": {
        "RecordId": "rec-2", "Status": "CREATED"}}, {
        "ProvisionedProductId": "pp-1", "ProductId": product.product_id,
        "ProvisioningArtifactId": version.artifact_id, "PathId": "lpv3-nb0001",
        "ProvisioningParameters": [
            *([name] if replaceable else []), {"Key": "VolumeSizeInGB", "Value": "50"},
            *([] if replaceable else [name]), {"Key": "InstanceType", "UsePreviousValue": True}],
        "Tags": [{"Key": "owner", "Value": scientist.owner_id}],
        "UpdateToken": str(request.pk)})
    stub.add_response("describe_record", {"RecordDetail": {
        "RecordId": "rec-2", "Status": "IN_PROGRESS"}, "RecordOutputs": []})
    with django_capture_on_commit_callbacks(execute=False):
        environment_update_apply(request=request)
        environment.refresh_from_db()
        environment_follow_run(environment_id=environment.pk,
                               attempt=environment.follow_attempt)
    environment.refresh_from_db()
    assert environment.last_record_id == "rec-2"
