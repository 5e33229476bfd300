"""The AWS boundary of provisioning: one small interface, implemented with boto3 (``aws``).

Everything the rest of the app knows about Service Catalog and SageMaker goes through
``ProvisioningBackend``. Errors come back as the small domain errors below, never as botocore
exceptions, so services decide on retry or failure without knowing about boto3.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from provisioning.backends.aws_plans import PlanOrder, PlanStatus


class BackendError(Exception):
    """An AWS call failed. ``code`` is AWS's error code, ``message`` is safe to show an owner
    (no ARNs, no account ids); ``detail`` is AWS's own text, for admins and the audit trail."""

    transient = False

    def __init__(self, *, operation: str, code: str, message: str, detail: str = "") -> None:
        super().__init__(f"{operation}: {code}: {message}")
        self.operation = operation
        self.code = code
        self.message = message
        self.detail = detail or message


class Transient(BackendError):
    """Worth retrying later: the request was not carried out."""

    transient = True


class Throttled(Transient):
    """AWS throttled the call (after botocore's own adaptive retries)."""


class AccessDenied(BackendError):
    """The portal's role may not do this (IAM, SCP, or a tag-based condition)."""


class RoleUnavailable(AccessDenied):
    """The portal could not assume the project's role (trust policy, external id, SCP)."""


class NotFound(BackendError):
    """The resource does not exist (any more)."""


class Invalid(BackendError):
    """AWS refused the input (validation, name in use, resource in the wrong state)."""


@dataclass(frozen=True)
class Tag:
    key: str
    value: str


@dataclass(frozen=True)
class ProvisionOrder:
    """What to provision: a product version through a launch path, named, with tags."""

    product_id: str
    artifact_id: str
    path_id: str
    name: str
    parameters: Mapping[str, str]
    tags: Sequence[Tag]
    token: str


@dataclass(frozen=True)
class RecordStatus:
    """A Service Catalog record (DescribeRecord): CREATED, IN_PROGRESS, IN_PROGRESS_IN_ERROR,
    SUCCEEDED or FAILED, with its outputs (all pages) and errors."""

    record_id: str
    status: str
    provisioned_product_id: str = ""
    outputs: dict[str, str] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)

    @property
    def finished(self) -> bool:
        return self.status in {"SUCCEEDED", "FAILED"}


@dataclass(frozen=True)
class ProvisionedProductStatus:
    """DescribeProvisionedProduct / SearchProvisionedProducts: AVAILABLE, UNDER_CHANGE, TAINTED,
    ERROR or PLAN_IN_PROGRESS."""

    provisioned_product_id: str
    name: str
    status: str
    status_message: str = ""
    last_record_id: str = ""
    artifact_id: str = ""


@dataclass(frozen=True)
class SageMakerProjectStatus:
    """DescribeProject: ProjectStatus plus the provisioned product behind the project."""

    project_name: str
    project_id: str
    status: str
    provisioned_product_id: str = ""
    status_message: str = ""
    project_arn: str = ""

    @property
    def finished(self) -> bool:
        return self.status in {"CreateCompleted", "CreateFailed"}

    @property
    def succeeded(self) -> bool:
        return self.status == "CreateCompleted"


class ProvisioningBackend(Protocol):
    """Service Catalog and SageMaker for one project's AWS account and region."""

    def provision_product(self, *, order: ProvisionOrder) -> RecordStatus: ...

    def describe_record(self, *, record_id: str) -> RecordStatus: ...

    def update_provisioned_product(
        self, *, provisioned_product_id: str, product_id: str, artifact_id: str, path_id: str,
        parameters: Mapping[str, str], tags: Sequence[Tag], token: str,
        previous: Sequence[str] = (),
    ) -> RecordStatus: ...

    def terminate_provisioned_product(
        self, *, provisioned_product_id: str, token: str
    ) -> RecordStatus: ...

    def describe_provisioned_product(
        self, *, provisioned_product_id: str
    ) -> ProvisionedProductStatus: ...

    def create_provisioned_product_plan(self, *, order: PlanOrder) -> str: ...

    def describe_provisioned_product_plan(self, *, plan_id: str) -> PlanStatus: ...

    def execute_provisioned_product_plan(self, *, plan_id: str, token: str) -> RecordStatus: ...

    def delete_provisioned_product_plan(self, *, plan_id: str) -> None: ...
    def update_provisioned_product_properties(
        self, *, provisioned_product_id: str, properties: Mapping[str, str], token: str
    ) -> str: ...

    def search_provisioned_products(
        self, *, name_prefix: str = ""
    ) -> list[ProvisionedProductStatus]:
        ...

    def provisioned_products_list(self) -> Iterator[ProvisionedProductStatus]:
        """Every provisioned product of the account and region, page by page (eventually
        consistent: a product may be missing from it, so absence alone proves nothing)."""
        ...

    def create_sagemaker_project(
        self, *, project_name: str, description: str, order: ProvisionOrder
    ) -> SageMakerProjectStatus: ...

    def describe_sagemaker_project(self, *, project_name: str) -> SageMakerProjectStatus: ...

    def delete_sagemaker_project(self, *, project_name: str) -> None: ...

    def update_sagemaker_project(
        self, *, project_name: str, artifact_id: str, parameters: Mapping[str, str],
        tags: Sequence[Tag],
    ) -> None: ...

    def resource_tags(self, *, arn: str) -> dict[str, str]: ...

    def resource_tags_add(self, *, arn: str, tags: dict[str, str]) -> None: ...

    def notebook_describe(self, *, notebook_name: str) -> tuple[str, str]: ...

    def notebook_status(self, *, notebook_name: str) -> str: ...

    def notebook_statuses_list(self) -> Iterator[tuple[str, str]]:
        """(name, status) of every notebook instance of the account and region, page by page
        (eventually consistent, like the list above)."""
        ...

    def notebook_start(self, *, notebook_name: str) -> None: ...

    def notebook_stop(self, *, notebook_name: str) -> None: ...

    def notebook_presigned_url(
        self, *, notebook_name: str, session_seconds: int, owner_id: str
    ) -> str: ...

    def studio_idle_settings(self, *, domain_id: str, user_profile_name: str
                             ) -> dict[str, Any]: ...

    def studio_presigned_url(
        self, *, domain_id: str, user_profile_name: str, expires_seconds: int,
        session_seconds: int, owner_id: str,
    ) -> str: ...
