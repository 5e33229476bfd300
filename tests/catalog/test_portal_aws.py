"""portal.aws: clients for a project's account and region, assuming its role when it has one."""

from __future__ import annotations

import boto3
import pytest
from moto import mock_aws

from portal.aws import aws_client
from portal.models import Project

pytestmark = pytest.mark.django_db


@mock_aws
def test_without_a_role_the_client_uses_the_portals_own_identity_in_the_projects_region(
    project: Project, settings: object,
) -> None:
    settings.PORTAL_AWS_MAX_ATTEMPTS = 5  # type: ignore[attr-defined]
    client = aws_client("servicecatalog", project=project)
    assert client.meta.region_name == "eu-west-1"
    # botocore counts max_attempts as retries: the first call plus 5 retries.
    assert client.meta.config.retries == {"mode": "adaptive", "total_max_attempts": 6}
    identity = aws_client("sts", project=project).get_caller_identity()
    assert ":assumed-role/" not in identity["Arn"]


@mock_aws
def test_with_a_role_the_client_uses_the_assumed_roles_temporary_credentials(
    project: Project,
) -> None:
    iam = boto3.client("iam", region_name="us-east-1")
    iam.create_role(RoleName="PortalCatalogReader", AssumeRolePolicyDocument="{}")
    project.aws_role_arn = "arn:aws:iam::123456789012:role/PortalCatalogReader"
    project.aws_external_id = "bank-ml-portal"

    client = aws_client("sts", project=project, session_tags={"owner": "dana"})

    identity = client.get_caller_identity()
    assert identity["Arn"].endswith(":assumed-role/PortalCatalogReader/ml-portal")
