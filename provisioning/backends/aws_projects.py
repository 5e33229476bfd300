"""SageMaker project calls of the aws backend that act on an existing project.

Facts relied on (SageMaker API reference):
- DeleteProject takes only ``ProjectName``; SageMaker terminates the project's provisioned
  product itself and the project passes through DeleteInProgress to DeleteCompleted, after which
  DescribeProject answers ValidationException "does not exist". It has no idempotency token.
- UpdateProject takes ``ServiceCatalogProvisioningUpdateDetails`` ({ProvisioningArtifactId,
  ProvisioningParameters of Key/Value}; no UsePreviousValue) and ``Tags``; SageMaker itself keeps
  SageMakerProjectName/SageMakerProjectId, which a caller must not send. It starts an update of
  the project's provisioned product, whose record becomes the product's LastRecordId.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from contextlib import AbstractContextManager
from typing import Any

from provisioning.backends.base import Tag


class SageMakerProjectCalls:
    """Mixed into ``AwsBackend``, which provides ``_client`` and ``_errors``."""

    def _client(self, service: str) -> Any:  # pragma: no cover - provided by AwsBackend
        raise NotImplementedError

    def _errors(self, operation: str) -> AbstractContextManager[None]:  # pragma: no cover
        raise NotImplementedError

    def delete_sagemaker_project(self, *, project_name: str) -> None:
        with self._errors("DeleteProject"):
            self._client("sagemaker").delete_project(ProjectName=project_name)

    def update_sagemaker_project(
        self, *, project_name: str, artifact_id: str, parameters: Mapping[str, str],
        tags: Sequence[Tag],
    ) -> None:
        details: dict[str, Any] = {"ProvisioningArtifactId": artifact_id}
        if parameters:
            details["ProvisioningParameters"] = [
                {"Key": key, "Value": str(value)} for key, value in parameters.items()]
        kwargs: dict[str, Any] = {"ProjectName": project_name,
                                  "ServiceCatalogProvisioningUpdateDetails": details}
        if tags:
            kwargs["Tags"] = [{"Key": t.key, "Value": t.value} for t in tags]
        with self._errors("UpdateProject"):
            self._client("sagemaker").update_project(**kwargs)


