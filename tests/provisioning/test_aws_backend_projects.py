"""The exact requests of a SageMaker project's day 2 (Stubber validates them against the model)."""

from __future__ import annotations

from typing import Any

import pytest
from django.utils import timezone

from portal.models import Project
from provisioning.backends import NotFound, Tag
from provisioning.backends.aws import AwsBackend
from tests.provisioning.conftest import AwsStubs

pytestmark = pytest.mark.django_db


def test_delete_project_names_the_project_only(aws: AwsStubs, project: Project) -> None:
    aws.stub("sagemaker").add_response("delete_project", {}, {"ProjectName": "dana-1f2e3d4c"})
    AwsBackend(project=project).delete_sagemaker_project(project_name="dana-1f2e3d4c")


def test_update_project_sends_values_and_tags_never_use_previous_value(
        aws: AwsStubs, project: Project) -> None:
    aws.stub("sagemaker").add_response("update_project", {"ProjectArn": "arn:p"}, {
        "ProjectName": "dana-1f2e3d4c",
        "ServiceCatalogProvisioningUpdateDetails": {
            "ProvisioningArtifactId": "pa-mlops01v2",
            "ProvisioningParameters": [{"Key": "Stage", "Value": "prod"}]},
        "Tags": [{"Key": "data-classification", "Value": "confidential"}]})
    AwsBackend(project=project).update_sagemaker_project(
        project_name="dana-1f2e3d4c", artifact_id="pa-mlops01v2", parameters={"Stage": "prod"},
        tags=[Tag("data-classification", "confidential")])


def test_describe_project_carries_its_arn_for_the_tag_check(aws: AwsStubs,
                                                            project: Project) -> None:
    stub = aws.stub("sagemaker")
    stub.add_response("describe_project", {
        "ProjectArn": "arn:aws:sagemaker:eu-west-1:111111111111:project/dana-1f2e3d4c",
        "ProjectName": "dana-1f2e3d4c", "ProjectId": "p-1", "ProjectStatus": "CreateCompleted",
        "CreationTime": timezone.now(),
        "ServiceCatalogProvisioningDetails": {"ProductId": "prod-mlops01"}})
    stub.add_client_error("describe_project", service_error_code="ValidationException",
                          service_message="Project gone does not exist.")
    backend = AwsBackend(project=project)
    described = backend.describe_sagemaker_project(project_name="dana-1f2e3d4c")
    assert described.project_arn.endswith(":project/dana-1f2e3d4c")
    with pytest.raises(NotFound):
        backend.describe_sagemaker_project(project_name="gone")


def test_a_project_change_waits_until_the_product_shows_the_update_record(
        aws: AwsStubs, scientist: Any, project: Project,
        django_capture_on_commit_callbacks: Any) -> None:
    """UpdateProject returns no record id: the follow-up takes the project's product's
    LastRecordId, and a read that still shows the previous record is asked again later."""
    from approvals.models import Request
    from provisioning.follow import environment_follow_run
    from provisioning.lifecycle import environment_update_apply
    from provisioning.models import Environment
    from tests.provisioning.conftest import make_notebook_product

    product, version = make_notebook_product(project, kind="sagemaker_project")
    origin = Request.objects.create(requester=scientist, project=project, product=product,
                                    version=version, justification="x",
                                    status=Request.Status.APPROVED)
    environment = Environment.objects.create(
        origin_request=origin, owner=scientist, project=project, product=product,
        version=version, provisioned_product_name="p", status=Environment.Status.AVAILABLE,
        provisioned_product_id="pp-9", sagemaker_project_name="dana-1f2e3d4c",
        sagemaker_project_id="p-1")
    change = Request.objects.create(
        requester=scientist, project=project, product=product, version=version,
        action=Request.Action.UPDATE, environment_ref=str(environment.pk), parameters={},
        justification="x", status=Request.Status.APPROVED)
    arn = "arn:aws:sagemaker:eu-west-1:111111111111:project/dana-1f2e3d4c"
    sagemaker, catalog = aws.stub("sagemaker"), aws.stub("servicecatalog")
    sagemaker.add_response("describe_project", {
        "ProjectArn": arn, "ProjectName": "dana-1f2e3d4c", "ProjectId": "p-1",
        "ProjectStatus": "CreateCompleted", "CreationTime": timezone.now(),
        "ServiceCatalogProvisioningDetails": {"ProductId": product.product_id},
        "ServiceCatalogProvisionedProductDetails": {"ProvisionedProductId": "pp-9"}})
    sagemaker.add_response("list_tags", {"Tags": [
        {"Key": "portal-environment", "Value": str(environment.pk)}]})
    stale = {"ProvisionedProductDetail": {"Id": "pp-9", "LastRecordId": "rec-1"}}
    catalog.add_response("describe_provisioned_product", stale, {"Id": "pp-9"})
    sagemaker.add_response("update_project", {"ProjectArn": arn})
    catalog.add_response("describe_provisioned_product", stale, {"Id": "pp-9"})

    def check() -> Environment:
        environment.refresh_from_db()
        with django_capture_on_commit_callbacks(execute=False):
            environment_follow_run(environment_id=environment.pk,
                                   attempt=environment.follow_attempt)
        environment.refresh_from_db()
        return environment

    with django_capture_on_commit_callbacks(execute=False):
        environment_update_apply(request=change)
    catalog.add_response("describe_provisioned_product", stale, {"Id": "pp-9"})
    assert check().last_record_id == "UpdateProject:rec-1"  # rec-1 is the old one: wait
    catalog.add_response("describe_provisioned_product", {"ProvisionedProductDetail": {
        "Id": "pp-9", "LastRecordId": "rec-2"}}, {"Id": "pp-9"})
    catalog.add_response("describe_record", {"RecordDetail": {
        "RecordId": "rec-2", "Status": "SUCCEEDED"}, "RecordOutputs": []},
        {"Id": "rec-2", "PageSize": 20})
    environment = check()
    assert environment.last_record_id == "rec-2"
    assert environment.status == Environment.Status.AVAILABLE
