"""The AWS boundary: ``backend_for(project)`` picks the implementation ``PORTAL_AWS_MODE`` names."""

from __future__ import annotations

from django.conf import settings

from portal.models import Project
from provisioning.backends.base import (
    AccessDenied,
    BackendError,
    Invalid,
    NotFound,
    ProvisionedProductStatus,
    ProvisioningBackend,
    ProvisionOrder,
    RecordStatus,
    SageMakerProjectStatus,
    Tag,
    Throttled,
    Transient,
)

__all__ = [
    "AccessDenied", "BackendError", "Invalid", "NotFound", "ProvisionOrder",
    "ProvisionedProductStatus", "ProvisioningBackend", "RecordStatus", "SageMakerProjectStatus",
    "Tag", "Throttled", "Transient", "backend_for",
]


def backend_for(project: Project) -> ProvisioningBackend:
    """Service Catalog and SageMaker for the project's account and region."""
    if settings.PORTAL_AWS_MODE == "aws":
        from provisioning.backends.aws import AwsBackend

        return AwsBackend(project=project)
    from provisioning.backends.simulator import SimulatorBackend

    return SimulatorBackend(project=project)
