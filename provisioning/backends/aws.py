"""The aws implementation of the boundary: Service Catalog and SageMaker through boto3.

Clients come from ``portal.aws.aws_client`` (standard credential chain, the project's role with its
external id, in the acting person's named and tagged session, adaptive retries). botocore errors
are translated once, by ``portal.aws_errors``, into the domain errors of ``base``. The
``owner_id`` arguments of the presign calls are not sent: the owner tag travels in the session.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError
from django.conf import settings

from portal.aws import AwsSession, aws_client
from portal.aws_errors import AwsErrorKind, AwsFailure, aws_failure_classify
from portal.models import Project
from provisioning.backends.aws_discovery import ResourceDiscoveryCalls
from provisioning.backends.aws_plans import ProvisionedProductPlanCalls
from provisioning.backends.aws_projects import SageMakerProjectCalls
from provisioning.backends.base import (
    AccessDenied,
    BackendError,
    Invalid,
    NotFound,
    ProvisionedProductStatus,
    ProvisionOrder,
    RecordStatus,
    RoleUnavailable,
    SageMakerProjectStatus,
    Tag,
    Throttled,
    Transient,
)

OUTPUT_PAGE_SIZE = 20  # DescribeRecord's largest page
# SearchProvisionedProducts PageSize and ListNotebookInstances MaxResults: both at most 100.
LIST_PAGE_SIZE = 100

_DOMAIN_ERRORS: dict[AwsErrorKind, type[BackendError]] = {
    AwsErrorKind.THROTTLED: Throttled,
    AwsErrorKind.UNAVAILABLE: Transient,
    AwsErrorKind.ACCESS_DENIED: AccessDenied,
    AwsErrorKind.NOT_FOUND: NotFound,
    AwsErrorKind.INVALID: Invalid,
}


def domain_error(failure: AwsFailure) -> BackendError:
    """The provisioning domain error for a classified botocore failure."""
    return _DOMAIN_ERRORS[failure.kind](operation=failure.operation, code=failure.code,
                                        message=failure.message, detail=failure.detail)


def error_from_client_error(operation: str, exc: ClientError) -> BackendError:
    return domain_error(aws_failure_classify(operation=operation, exc=exc))


@contextmanager
def translated_errors(operation: str) -> Iterator[None]:
    """botocore errors of ``operation`` as domain errors (botocore has already retried)."""
    try:
        yield
    except (ClientError, BotoCoreError) as exc:
        raise domain_error(aws_failure_classify(operation=operation, exc=exc)) from exc


def role_error(exc: ClientError | BotoCoreError) -> BackendError:
    """An AssumeRole failure: busy STS stays retryable, anything else is ``RoleUnavailable``.

    The owner sees that the project's account cannot be reached; the role ARN and account id that
    STS puts in its message are kept in ``detail`` for admins.
    """
    failure = aws_failure_classify(operation="AssumeRole", exc=exc)
    if failure.retryable:
        return domain_error(failure)
    return RoleUnavailable(
        operation="AssumeRole", code=failure.code,
        message="The portal could not assume the project's AWS role; a platform admin must "
                "check the role's trust policy.", detail=failure.detail)


def _parameters(parameters: Mapping[str, str]) -> list[dict[str, str]]:
    return [{"Key": key, "Value": str(value)} for key, value in parameters.items()]


def _tags(tags: Sequence[Tag]) -> list[dict[str, str]]:
    return [{"Key": tag.key, "Value": tag.value} for tag in tags]


def _record_errors(detail: Mapping[str, Any]) -> list[str]:
    return [
        f"{e.get('Code', '')}: {e.get('Description', '')}".strip(": ")
        for e in detail.get("RecordErrors") or []
    ]


class AwsBackend(SageMakerProjectCalls, ResourceDiscoveryCalls, ProvisionedProductPlanCalls):
    """Service Catalog and SageMaker in the project's account and region."""

    def __init__(
        self, *, project: Project, session: AwsSession | None = None,
        client_factory: Callable[..., Any] = aws_client,
    ) -> None:
        self.project = project
        self.session = session or AwsSession()
        self._client_factory = client_factory
        self._clients: dict[str, Any] = {}

    def _errors(self, operation: str) -> AbstractContextManager[None]:
        return translated_errors(operation)

    def _client(self, service: str) -> Any:
        """The client for ``service`` in this backend's session (AssumeRole happens here)."""
        if service not in self._clients:
            try:
                self._clients[service] = self._client_factory(
                    service, project=self.project, session=self.session)
            except (ClientError, BotoCoreError) as exc:
                raise role_error(exc) from exc
        return self._clients[service]

    def _launch_client(self, *, operation: str) -> Any:
        """The SageMaker client for presign calls: the acting person's tagged session.

        With ``PORTAL_LAUNCH_SESSION_TAGS`` the portal refuses to presign at all without a role to
        assume, since an untagged identity would bypass the owner-tag condition.
        """
        if settings.PORTAL_LAUNCH_SESSION_TAGS and not (
                self.project.aws_role_arn or self.session.role_arn):
            raise Invalid(operation=operation, code="SessionTagsNeedRole",
                          message="PORTAL_LAUNCH_SESSION_TAGS needs the project to have a role "
                                  "to assume; this project has none.")
        return self._client("sagemaker")

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
        previous: Sequence[str] = (),
    ) -> RecordStatus:
        """UpdateProvisionedProduct; the keys in ``previous`` keep their current value.

        botocore's UpdateProvisioningParameter is {Key, Value, UsePreviousValue}: with
        UsePreviousValue=True, Value is left out and Service Catalog keeps what the stack has (the
        only way to keep a NoEcho value the portal does not hold, and what CloudFormation does
        with a parameter nobody meant to change). ``Tags`` replaces the provisioned product's
        tags (they propagate to the stack's resources).
        """
        kept = [key for key in previous if key not in parameters]
        kwargs: dict[str, Any] = {
            "ProvisionedProductId": provisioned_product_id,
            "ProductId": product_id,
            "ProvisioningArtifactId": artifact_id,
            "ProvisioningParameters": _parameters(parameters)
            + [{"Key": key, "UsePreviousValue": True} for key in kept],
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

    def update_provisioned_product_properties(
        self, *, provisioned_product_id: str, properties: Mapping[str, str], token: str
    ) -> str:
        """UpdateProvisionedProductProperties (OWNER: an IAM user, role or STS assumed-role ARN
        of the same account; LAUNCH_ROLE: a role ARN); returns the RecordId. Idempotent on
        ``token`` (IdempotencyToken, required, 1-128 of ``[a-zA-Z0-9][a-zA-Z0-9_-]*``)."""
        with translated_errors("UpdateProvisionedProductProperties"):
            response = self._client("servicecatalog").update_provisioned_product_properties(
                ProvisionedProductId=provisioned_product_id,
                ProvisionedProductProperties=dict(properties), IdempotencyToken=token)
        return str(response.get("RecordId", ""))

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
        return list(self._provisioned_pages(name_prefix=name_prefix))

    def provisioned_products_list(self) -> Iterator[ProvisionedProductStatus]:
        """Every provisioned product of the account and region, one page at a time."""
        return self._provisioned_pages(name_prefix="")

    def _provisioned_pages(self, *, name_prefix: str) -> Iterator[ProvisionedProductStatus]:
        # SearchProvisionedProducts: AccessLevelFilter Account sees every user's products;
        # PageSize at most 100 (botocore's model); NextPageToken until the last page. Without a
        # SortBy the order is not guaranteed between pages, so a product may be skipped or
        # repeated: callers key by id and confirm a missing one with DescribeProvisionedProduct.
        client = self._client("servicecatalog")
        kwargs: dict[str, Any] = {"AccessLevelFilter": {"Key": "Account", "Value": "self"},
                                  "PageSize": LIST_PAGE_SIZE}
        if name_prefix:
            kwargs["Filters"] = {"SearchQuery": [f"name:{name_prefix}"]}
        with translated_errors("SearchProvisionedProducts"):
            while True:
                response = client.search_provisioned_products(**kwargs)
                for product in response.get("ProvisionedProducts", []):
                    yield self._provisioned(product)
                token = response.get("NextPageToken")
                if not token:
                    return
                kwargs["PageToken"] = token

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
            project_arn=response.get("ProjectArn", ""),
        )

    # --- Notebooks and launch ---------------------------------------------------------------

    def notebook_status(self, *, notebook_name: str) -> str:
        with translated_errors("DescribeNotebookInstance"):
            response = self._client("sagemaker").describe_notebook_instance(
                NotebookInstanceName=notebook_name
            )
        return str(response.get("NotebookInstanceStatus", ""))

    def notebook_statuses_list(self) -> Iterator[tuple[str, str]]:
        """(name, NotebookInstanceStatus) of every notebook instance of the account and region,
        one ListNotebookInstances page (MaxResults at most 100) at a time."""
        client = self._client("sagemaker")
        kwargs: dict[str, Any] = {"MaxResults": LIST_PAGE_SIZE}
        with translated_errors("ListNotebookInstances"):
            while True:
                response = client.list_notebook_instances(**kwargs)
                for summary in response.get("NotebookInstances", []):
                    yield (str(summary["NotebookInstanceName"]),
                           str(summary.get("NotebookInstanceStatus", "")))
                token = response.get("NextToken")
                if not token:
                    return
                kwargs["NextToken"] = token

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
            client = self._launch_client(operation=operation)
            response = client.create_presigned_notebook_instance_url(
                NotebookInstanceName=notebook_name,
                SessionExpirationDurationInSeconds=session_seconds,
            )
        return str(response["AuthorizedUrl"])

    def studio_idle_settings(self, *, domain_id: str, user_profile_name: str
                             ) -> dict[str, Any]:
        """The profile's JupyterLab IdleSettings as SageMaker has them ({}: none set)."""
        with translated_errors("DescribeUserProfile"):
            response = self._client("sagemaker").describe_user_profile(
                DomainId=domain_id, UserProfileName=user_profile_name)
        jupyter = (response.get("UserSettings") or {}).get("JupyterLabAppSettings") or {}
        return dict((jupyter.get("AppLifecycleManagement") or {}).get("IdleSettings") or {})

    def studio_presigned_url(
        self, *, domain_id: str, user_profile_name: str, expires_seconds: int,
        session_seconds: int, owner_id: str,
    ) -> str:
        operation = "CreatePresignedDomainUrl"
        with translated_errors(operation):
            client = self._launch_client(operation=operation)
            response = client.create_presigned_domain_url(
                DomainId=domain_id,
                UserProfileName=user_profile_name,
                ExpiresInSeconds=expires_seconds,
                SessionExpirationDurationInSeconds=session_seconds,
            )
        return str(response["AuthorizedUrl"])
