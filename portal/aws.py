"""boto3 clients for a project's AWS target, shared by the catalog sync and provisioning.

Credentials come from boto3's standard chain (instance profile, environment, SSO profile). When the
project names a role, the portal assumes it (with the project's external id and optional session
tags) and builds the client from the temporary credentials. Retries use botocore's adaptive mode so
throttled calls back off instead of failing at once.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import boto3
from botocore.config import Config
from django.conf import settings

from portal.models import Project

SESSION_NAME = "ml-portal"


def aws_config(*, region: str) -> Config:
    return Config(
        region_name=region,
        retries={"mode": "adaptive", "max_attempts": settings.PORTAL_AWS_MAX_ATTEMPTS},
    )


def aws_client(
    service_name: str,
    *,
    project: Project,
    session_tags: Mapping[str, str] | None = None,
    session_name: str = SESSION_NAME,
) -> Any:
    """A boto3 client for ``service_name`` in the project's account and region."""
    config = aws_config(region=project.aws_region)
    if not project.aws_role_arn:
        return boto3.client(service_name, config=config)
    assume: dict[str, Any] = {"RoleArn": project.aws_role_arn, "RoleSessionName": session_name}
    if project.aws_external_id:
        assume["ExternalId"] = project.aws_external_id
    if session_tags:
        assume["Tags"] = [{"Key": k, "Value": v} for k, v in session_tags.items()]
    sts = boto3.client("sts", config=config)
    credentials = sts.assume_role(**assume)["Credentials"]
    return boto3.client(
        service_name,
        config=config,
        aws_access_key_id=credentials["AccessKeyId"],
        aws_secret_access_key=credentials["SecretAccessKey"],
        aws_session_token=credentials["SessionToken"],
    )
