"""The aws implementation of the boundary: Service Catalog and SageMaker through boto3.

Clients come from ``portal.aws.aws_client`` (standard credential chain, the project's role with its
external id, adaptive retries). botocore errors are translated into the domain errors of ``base``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError
from django.conf import settings

from portal.aws import aws_client
from portal.models import Project
from provisioning.backends.base import (
    AccessDenied,
    BackendError,
    Invalid,
    NotFound,
    ProvisionedProductStatus,
    ProvisionOrder,
    RecordStatus,
    SageMakerProjectStatus,
    Tag,
    Throttled,
    Transient,
)

THROTTLING_CODES = frozenset({
    "Throttling", "ThrottlingException", "ThrottledException", "RequestLimitExceeded",
    "TooManyRequestsException", "RequestThrottled", "RequestThrottledException",
    "SlowDown", "ProvisionedThroughputExceededException",
})
TRANSIENT_CODES = frozenset({
    "InternalFailure", "InternalError", "InternalServerError", "InternalServiceError",
    "ServiceUnavailable", "ServiceUnavailableException", "RequestTimeout",
    "RequestTimeoutException", "IDPCommunicationError",
})
ACCESS_DENIED_CODES = frozenset({
    "AccessDenied", "AccessDeniedException", "UnauthorizedOperation", "UnrecognizedClientException",
    "InvalidClientTokenId", "ExpiredToken", "ExpiredTokenException", "RegionDisabledException",
})
NOT_FOUND_CODES = frozenset({"ResourceNotFoundException", "ResourceNotFound", "NoSuchEntity"})
# SageMaker answers a missing notebook or project with a ValidationException saying so.
_NOT_FOUND_WORDS = ("does not exist", "not found", "recordnotfound", "cannot find")

OUTPUT_PAGE_SIZE = 20  # DescribeRecord's largest page


def error_from_client_error(operation: str, exc: ClientError) -> BackendError:
    error = exc.response.get("Error", {})
    code = str(error.get("Code") or "Unknown")
    message = str(error.get("Message") or "")
    status = int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0)
    if code in THROTTLING_CODES:
        return Throttled(operation=operation, code=code, message=message)
    if code in TRANSIENT_CODES or status >= 500:
        return Transient(operation=operation, code=code, message=message)
    if code in ACCESS_DENIED_CODES:
        return AccessDenied(operation=operation, code=code, message=message)
    if code in NOT_FOUND_CODES or (
        code == "ValidationException" and any(w in message.lower() for w in _NOT_FOUND_WORDS)
    ):
        return NotFound(operation=operation, code=code, message=message)
    return Invalid(operation=operation, code=code, message=message)


@contextmanager
def translated_errors(operation: str) -> Iterator[None]:
    try:
        yield
    except ClientError as exc:
        raise error_from_client_error(operation, exc) from exc
    except NoCredentialsError as exc:
        raise AccessDenied(operation=operation, code="NoCredentials",
                           message="The portal has no AWS credentials.") from exc
    except BotoCoreError as exc:  # connection errors, timeouts: nothing was carried out
        raise Transient(operation=operation, code=type(exc).__name__, message=str(exc)) from exc


def _parameters(parameters: Mapping[str, str]) -> list[dict[str, str]]:
    return [{"Key": key, "Value": str(value)} for key, value in parameters.items()]


def _tags(tags: Sequence[Tag]) -> list[dict[str, str]]:
    return [{"Key": tag.key, "Value": tag.value} for tag in tags]


def _record_errors(detail: Mapping[str, Any]) -> list[str]:
    return [
        f"{e.get('Code', '')}: {e.get('Description', '')}".strip(": ")
        for e in detail.get("RecordErrors") or []
    ]


class AwsBackend:
    """Service Catalog and SageMaker in the project's account and region."""

    def __init__(
        self, *, project: Project, client_factory: Callable[..., Any] = aws_client
    ) -> None:
        self.project = project
        self._client_factory = client_factory
        self._clients: dict[str, Any] = {}

    def _client(self, service: str) -> Any:
        if service not in self._clients:
            self._clients[service] = self._client_factory(service, project=self.project)
        return self._clients[service]

    def _launch_client(self, *, owner_id: str, operation: str) -> Any:
        """The SageMaker client for presign calls; with session tags, a session tagged owner."""
        if not settings.PORTAL_LAUNCH_SESSION_TAGS:
            return self._client("sagemaker")
        if not self.project.aws_role_arn:
            raise Invalid(operation=operation, code="SessionTagsNeedRole",
                          message="PORTAL_LAUNCH_SESSION_TAGS needs the project to have a role "
                                  "to assume; this project has none.")
        owner_key = settings.PORTAL_TAG_KEYS["owner"]
        return self._client_factory(
            "sagemaker", project=self.project, session_tags={owner_key: owner_id}
        )

    # --- Service Catalog ------------------------------------------------------------------

    def _record(self, detail: Mapping[str, Any], outputs: Sequence[Mapping[str, Any]] = ()
                ) -> RecordStatus:
        return RecordStatus(
            record_id=detail.get("RecordId", ""),
            status=detail.get("Status", ""),
            provisioned_product_id=detail.get("ProvisionedProductId", ""),
            outputs={o["OutputKey"]: o.get("OutputValue", "") for o in outputs
                     if o.get("OutputKey")},
            errors=_record_errors(detail),
        )

    def provision_product(self, *, order: ProvisionOrder) -> RecordStatus:
        with translated_errors("ProvisionProduct"):
            kwargs: dict[str, Any] = {
                "ProductId": order.product_id,
                "ProvisioningArtifactId": order.artifact_id,
                "ProvisionedProductName": order.name,
                "ProvisioningParameters": _parameters(order.parameters),
                "Tags": _tags(order.tags),
                "ProvisionToken": order.token,
            }
            if order.path_id:
                kwargs["PathId"] = order.path_id
            response = self._client("servicecatalog").provision_product(**kwargs)
        return self._record(response["RecordDetail"])

    def describe_record(self, *, record_id: str) -> RecordStatus:
        client = self._client("servicecatalog")
        outputs: list[Mapping[str, Any]] = []
        kwargs: dict[str, Any] = {"Id": record_id, "PageSize": OUTPUT_PAGE_SIZE}
        with translated_errors("DescribeRecord"):
            while True:
                response = client.describe_record(**kwargs)
                outputs.extend(response.get("RecordOutputs") or [])
                token = response.get("NextPageToken")
                if not token:
                    break
                kwargs["PageToken"] = token
        return self._record(response["RecordDetail"], outputs)

    def update_provisioned_product(
        self, *, provisioned_product_id: str, product_id: str, artifact_id: str, path_id: str,
        parameters: Mapping[str, str], tags: Sequence[Tag], token: str,
    ) -> RecordStatus:
        kwargs: dict[str, Any] = {
            "ProvisionedProductId": provisioned_product_id,
            "ProductId": product_id,
            "ProvisioningArtifactId": artifact_id,
            "ProvisioningParameters": _parameters(parameters),
            "Tags": _tags(tags),
            "UpdateToken": token,
        }
        if path_id:
            kwargs["PathId"] = path_id
        with translated_errors("UpdateProvisionedProduct"):
            response = self._client("servicecatalog").update_provisioned_product(**kwargs)
        return self._record(response["RecordDetail"])

    def terminate_provisioned_product(
        self, *, provisioned_product_id: str, token: str
    ) -> RecordStatus:
        with translated_errors("TerminateProvisionedProduct"):
            response = self._client("servicecatalog").terminate_provisioned_product(
                ProvisionedProductId=provisioned_product_id, TerminateToken=token
            )
        return self._record(response["RecordDetail"])

    @staticmethod
    def _provisioned(detail: Mapping[str, Any]) -> ProvisionedProductStatus:
        return ProvisionedProductStatus(
            provisioned_product_id=detail.get("Id", ""),
            name=detail.get("Name", ""),
            status=detail.get("Status", ""),
            status_message=detail.get("StatusMessage", ""),
            last_record_id=detail.get("LastRecordId", ""),
            artifact_id=detail.get("ProvisioningArtifactId", ""),
        )

    def describe_provisioned_product(
        self, *, provisioned_product_id: str
    ) -> ProvisionedProductStatus:
        with translated_errors("DescribeProvisionedProduct"):
            response = self._client("servicecatalog").describe_provisioned_product(
                Id=provisioned_product_id
            )
        return self._provisioned(response["ProvisionedProductDetail"])

    def search_provisioned_products(
        self, *, name_prefix: str = ""
    ) -> list[ProvisionedProductStatus]:
        """Every provisioned product the role sees in the account (optionally by name prefix)."""
        client = self._client("servicecatalog")
        kwargs: dict[str, Any] = {"AccessLevelFilter": {"Key": "Account", "Value": "self"},
                                  "PageSize": 100}
        if name_prefix:
            kwargs["Filters"] = {"SearchQuery": [f"name:{name_prefix}"]}
        found: list[ProvisionedProductStatus] = []
        with translated_errors("SearchProvisionedProducts"):
            while True:
                response = client.search_provisioned_products(**kwargs)
                found.extend(self._provisioned(p) for p in response.get("ProvisionedProducts", []))
                token = response.get("NextPageToken")
                if not token:
                    break
                kwargs["PageToken"] = token
        return found

    # --- SageMaker projects -----------------------------------------------------------------

    def create_sagemaker_project(
        self, *, project_name: str, description: str, order: ProvisionOrder
    ) -> SageMakerProjectStatus:
        details: dict[str, Any] = {
            "ProductId": order.product_id,
            "ProvisioningArtifactId": order.artifact_id,
            "ProvisioningParameters": _parameters(order.parameters),
        }
        if order.path_id:
            details["PathId"] = order.path_id
        kwargs: dict[str, Any] = {
            "ProjectName": project_name,
            "ServiceCatalogProvisioningDetails": details,
            "Tags": _tags(order.tags),
        }
        if description:
            kwargs["ProjectDescription"] = description[:1024]
        with translated_errors("CreateProject"):
            response = self._client("sagemaker").create_project(**kwargs)
        return SageMakerProjectStatus(project_name=project_name,
                                      project_id=response.get("ProjectId", ""), status="Pending")

    def describe_sagemaker_project(self, *, project_name: str) -> SageMakerProjectStatus:
        with translated_errors("DescribeProject"):
            response = self._client("sagemaker").describe_project(ProjectName=project_name)
        provisioned = response.get("ServiceCatalogProvisionedProductDetails") or {}
        return SageMakerProjectStatus(
            project_name=response.get("ProjectName", project_name),
            project_id=response.get("ProjectId", ""),
            status=response.get("ProjectStatus", ""),
            provisioned_product_id=provisioned.get("ProvisionedProductId", ""),
            status_message=provisioned.get("ProvisionedProductStatusMessage", ""),
        )

    # --- Notebooks and launch ---------------------------------------------------------------

    def notebook_status(self, *, notebook_name: str) -> str:
        with translated_errors("DescribeNotebookInstance"):
            response = self._client("sagemaker").describe_notebook_instance(
                NotebookInstanceName=notebook_name
            )
        return str(response.get("NotebookInstanceStatus", ""))

    def notebook_start(self, *, notebook_name: str) -> None:
        with translated_errors("StartNotebookInstance"):
            self._client("sagemaker").start_notebook_instance(NotebookInstanceName=notebook_name)

    def notebook_stop(self, *, notebook_name: str) -> None:
        with translated_errors("StopNotebookInstance"):
            self._client("sagemaker").stop_notebook_instance(NotebookInstanceName=notebook_name)

    def notebook_presigned_url(
        self, *, notebook_name: str, session_seconds: int, owner_id: str
    ) -> str:
        operation = "CreatePresignedNotebookInstanceUrl"
        with translated_errors(operation):
            client = self._launch_client(owner_id=owner_id, operation=operation)
            response = client.create_presigned_notebook_instance_url(
                NotebookInstanceName=notebook_name,
                SessionExpirationDurationInSeconds=session_seconds,
            )
        return str(response["AuthorizedUrl"])

    def studio_presigned_url(
        self, *, domain_id: str, user_profile_name: str, expires_seconds: int,
        session_seconds: int, owner_id: str,
    ) -> str:
        operation = "CreatePresignedDomainUrl"
        with translated_errors(operation):
            client = self._launch_client(owner_id=owner_id, operation=operation)
            response = client.create_presigned_domain_url(
                DomainId=domain_id,
                UserProfileName=user_profile_name,
                ExpiresInSeconds=expires_seconds,
                SessionExpirationDurationInSeconds=session_seconds,
            )
        return str(response["AuthorizedUrl"])
