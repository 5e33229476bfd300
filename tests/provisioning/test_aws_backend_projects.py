"""The exact requests of a SageMaker project's day 2 (Stubber validates them against the model)."""

from __future__ import annotations

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
