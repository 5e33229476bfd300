"""The whole flow through the aws implementation, every call validated by botocore's Stubber:
AssumeRole as the requester (named, tagged owner=<owner id>) → ProvisionProduct (tags and
parameters) → AssumeRole as the portal, once → DescribeRecord until SUCCEEDED → (the requester's
cached session) DescribeNotebookInstance → presign → 302."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from django.test import Client

from portal.models import AuditEvent, Project, User
from provisioning.models import Environment
from tests.provisioning.conftest import AwsStubs, run_until_settled

pytestmark = pytest.mark.django_db

ROLE = "arn:aws:iam::111111111111:role/PortalProvisioning"
CREDENTIALS = {"AccessKeyId": "ASIAPROVISIONING001", "SecretAccessKey": "s",
               "SessionToken": "t", "Expiration": datetime(2099, 11, 22, tzinfo=UTC)}
PRESIGNED = "https://nb.notebook.eu-west-1.sagemaker.aws/auth?authToken=SECRET-TOKEN"


def test_approve_to_open_through_aws(aws: AwsStubs, queued: Environment, project: Project,
                                     scientist: User, client: Client, settings: Any,
                                     caplog: pytest.LogCaptureFixture) -> None:
    settings.PORTAL_LAUNCH_SESSION_TAGS = True
    settings.PORTAL_NOTEBOOK_SESSION_SECONDS = 7200
    project.aws_role_arn, project.aws_external_id = ROLE, "ext-42"
    project.save()
    sts, catalog, sagemaker = aws.stub("sts"), aws.stub("servicecatalog"), aws.stub("sagemaker")
    system = {"RoleArn": ROLE, "RoleSessionName": "ml-portal-system",
              "SourceIdentity": "ml-portal-system", "DurationSeconds": 3600,
              "ExternalId": "ext-42"}
    dana = {**system, "RoleSessionName": "dana.scientist", "SourceIdentity": "dana.scientist",
            "Tags": [{"Key": "owner", "Value": scientist.owner_id}]}

    sts.add_response("assume_role", {"Credentials": CREDENTIALS}, dana)
    catalog.add_response("provision_product", {"RecordDetail": {
        "RecordId": "rec-9", "Status": "CREATED", "ProvisionedProductId": "pp-9"}}, {
        "ProductId": "prod-nb0001", "ProvisioningArtifactId": "pa-nb0001v1",
        "PathId": "lpv3-nb0001", "ProvisionedProductName": queued.provisioned_product_name,
        "ProvisioningParameters": [
            {"Key": "InstanceType", "Value": "ml.t3.medium"},
            {"Key": "NotebookInstanceName", "Value": queued.provisioned_product_name},
            {"Key": "RootAccess", "Value": "Disabled"},
            {"Key": "VolumeSizeInGB", "Value": "20"}],
        "Tags": [{"Key": "owner", "Value": scientist.owner_id},
                 {"Key": "owner-name", "Value": "Dana Example"},
                 {"Key": "owner-email", "Value": scientist.email},
                 {"Key": "department", "Value": "Data Science"},
                 {"Key": "cost-center", "Value": "CC-1001"},
                 {"Key": "project", "Value": "fraud"},
                 {"Key": "environment", "Value": "dev"},
                 {"Key": "portal-request", "Value": str(queued.origin_request_id)},
                 {"Key": "portal-environment", "Value": str(queued.pk)},
                 {"Key": "data-classification", "Value": "internal"}],
        "ProvisionToken": str(queued.origin_request_id)})
    sts.add_response("assume_role", {"Credentials": CREDENTIALS}, system)  # once: then cached
    for status in ("CREATED", "IN_PROGRESS", "SUCCEEDED"):
        catalog.add_response("describe_record", {
            "RecordDetail": {"RecordId": "rec-9", "Status": status,
                             "ProvisionedProductId": "pp-9"},
            "RecordOutputs": [{"OutputKey": "NotebookInstanceName", "OutputValue": "nb-dana"}]
            if status == "SUCCEEDED" else []}, {"Id": "rec-9", "PageSize": 20})
    environment = run_until_settled(queued)
    assert environment.status == "available" and environment.notebook_instance_name == "nb-dana"

    # Opening runs in Dana's session again: its credentials are still fresh, no AssumeRole.
    sagemaker.add_response("describe_notebook_instance", {"NotebookInstanceStatus": "InService"},
                           {"NotebookInstanceName": "nb-dana"})
    sagemaker.add_response("create_presigned_notebook_instance_url", {"AuthorizedUrl": PRESIGNED},
                           {"NotebookInstanceName": "nb-dana",
                            "SessionExpirationDurationInSeconds": 7200})
    client.force_login(scientist)
    response = client.post(f"/environments/{environment.pk}/open")
    assert response.status_code == 302 and response["Location"] == PRESIGNED
    assert "SECRET-TOKEN" not in caplog.text
    assert "SECRET-TOKEN" not in str(list(AuditEvent.objects.values_list("data", flat=True)))
    environment.refresh_from_db()
    assert "SECRET-TOKEN" not in str(environment.outputs) + environment.status_message
    assert not environment.events.filter(message__contains="SECRET-TOKEN").exists()
