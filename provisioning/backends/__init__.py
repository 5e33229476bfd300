"""The AWS boundary: ``backend_for(project)`` is boto3 in the project's account and region.

There is one implementation. In the demo and the tests boto3 talks to the fake AWS because the
settings attach its client hook (``PORTAL_AWS_CLIENT_HOOK``), not because any code here asks.
"""

from __future__ import annotations

from django.conf import settings

from portal.aws import AwsSession, admin_role_arn, session_name_for
from portal.models import Project, User
from provisioning.backends.aws import AwsBackend
from provisioning.backends.aws_plans import PlanOrder, PlanStatus
from provisioning.backends.base import (
    AccessDenied,
    BackendError,
    Invalid,
    NotFound,
    ProvisionedProductStatus,
    ProvisioningBackend,
    ProvisionOrder,
    RecordStatus,
    RoleUnavailable,
    SageMakerProjectStatus,
    Tag,
    Throttled,
    Transient,
)

__all__ = [
    "AccessDenied", "BackendError", "Invalid", "NotFound", "PlanOrder", "PlanStatus",
    "ProvisionOrder",
    "ProvisionedProductStatus", "ProvisioningBackend", "RecordStatus", "RoleUnavailable",
    "SageMakerProjectStatus",
    "Tag", "Throttled", "Transient", "aws_session_for", "backend_for",
]


def aws_session_for(*, project: Project, actor: User | None = None,
                    resource_owner: User | None = None) -> AwsSession:
    """The STS session an action runs in: named after ``actor`` and tagged with their owner id.

    No actor: the portal's own work (follow-ups, reconcile) under the fixed system name, untagged.
    A platform admin acting on someone else's environment uses ``PORTAL_AWS_ADMIN_ROLE_NAME``
    when it is configured; otherwise they act in their own tagged session, and the owner-tag
    condition in the project role's policy denies them in AWS, whatever the portal allows.
    """
    if actor is None:
        return AwsSession()
    owner_key = settings.PORTAL_TAG_KEYS["owner"]
    role_arn = ""
    if resource_owner is not None and resource_owner.pk != actor.pk and actor.is_catalog_admin:
        role_arn = admin_role_arn(project)
    return AwsSession(name=session_name_for(actor.username),
                      tags=((owner_key, actor.owner_id),), role_arn=role_arn)


def backend_for(project: Project, *, actor: User | None = None,
                resource_owner: User | None = None) -> ProvisioningBackend:
    """Service Catalog and SageMaker for the project's account and region, acting as ``actor``
    (see ``aws_session_for``) on a resource that belongs to ``resource_owner``."""
    session = aws_session_for(project=project, actor=actor, resource_owner=resource_owner)
    return AwsBackend(project=project, session=session)
