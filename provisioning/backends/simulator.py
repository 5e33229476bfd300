"""The local simulator: Service Catalog and SageMaker on this machine, state in the database.

It is the default when no AWS is configured (``PORTAL_AWS_MODE=simulator``), so ``make demo`` works
offline. Behaviour a demo can rely on:

* A provisioning, update or termination takes ``PORTAL_SIMULATOR_SECONDS`` (default 8) and reports
  ``IN_PROGRESS`` until then; the same ``ProvisionToken`` returns the same record, like AWS.
* **Telling it to fail**: a request whose ``VolumeSizeInGB`` is ``13`` (the notebook product, v2,
  in the demo catalog), or with any parameter value containing ``simulate-failure`` (for example
  the notebook or Studio user profile name), ends with a ``FAILED`` record and a record error.
* Notebooks keep their run state: Pending → InService, Stopping → Stopped, each taking the same
  number of seconds.
* Its "presigned URL" opens ``/environments/simulator/…`` on this portal, which accepts only a
  token signed with the portal's secret key that has not expired; anything else gets a 403.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Mapping, Sequence
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.core import signing
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from portal.models import Project
from provisioning.backends.base import (
    AccessDenied,
    Invalid,
    NotFound,
    ProvisionedProductStatus,
    ProvisionOrder,
    RecordStatus,
    SageMakerProjectStatus,
    Tag,
)
from provisioning.models import SimulatedNotebook, SimulatedProvisionedProduct, SimulatedRecord

FAILING_VOLUME_SIZE = "13"
FAILURE_MARKER = "simulate-failure"
LAUNCH_SALT = "provisioning.simulator.launch"
NOTEBOOK_URL_SECONDS = 300  # AWS's presigned notebook URLs are valid for five minutes

PROVISION = "PROVISION_PRODUCT"
UPDATE = "UPDATE_PROVISIONED_PRODUCT"
TERMINATE = "TERMINATE_PROVISIONED_PRODUCT"


def _new_id(prefix: str) -> str:
    return f"{prefix}-{secrets.token_hex(6)}"


def failure_for(parameters: Mapping[str, str]) -> str:
    """Why a simulated provisioning with these parameters fails ('' when it succeeds)."""
    if str(parameters.get("VolumeSizeInGB", "")).strip() == FAILING_VOLUME_SIZE:
        return (f"CREATE_FAILED: Simulated failure: VolumeSizeInGB={FAILING_VOLUME_SIZE} makes the "
                "simulator fail the stack (choose another size).")
    for key, value in parameters.items():
        if FAILURE_MARKER in str(value):
            return f"CREATE_FAILED: Simulated failure requested by parameter {key}."
    return ""


def launch_token_read(token: str) -> dict[str, Any] | None:
    """The payload of a simulator launch token, or None if it is forged, altered or expired."""
    try:
        unverified = signing.loads(token, salt=LAUNCH_SALT)
        max_age = int(unverified.get("ttl", 0))
        payload: dict[str, Any] = signing.loads(token, salt=LAUNCH_SALT, max_age=max_age)
    except (signing.BadSignature, ValueError, TypeError, AttributeError):
        return None
    return payload


class SimulatorBackend:
    """Answers like Service Catalog and SageMaker would, for the project's account and region."""

    def __init__(self, *, project: Project) -> None:
        self.account = project.aws_account_id
        self.region = project.aws_region

    @property
    def _seconds(self) -> int:
        return int(settings.PORTAL_SIMULATOR_SECONDS)

    def _products(self) -> Any:
        return SimulatedProvisionedProduct.objects.filter(
            aws_account_id=self.account, aws_region=self.region
        )

    # --- records ----------------------------------------------------------------------------

    def _start_record(self, *, product: SimulatedProvisionedProduct, record_type: str,
                      token: str, parameters: Mapping[str, str], artifact_id: str
                      ) -> SimulatedRecord:
        record = SimulatedRecord.objects.create(
            record_id=_new_id("rec"), provisioned_product=product, record_type=record_type,
            token=token, duration_seconds=self._seconds,
            failure=failure_for(parameters) if record_type != TERMINATE else "",
            parameters=dict(parameters), artifact_id=artifact_id,
        )
        product.status = "UNDER_CHANGE"
        product.last_record_id = record.record_id
        product.save(update_fields=["status", "last_record_id"])
        return record

    def _settle(self, record: SimulatedRecord) -> SimulatedRecord:
        """Finish a record whose simulated time has passed, applying its effects once."""
        if record.status != "IN_PROGRESS":
            return record
        if timezone.now() < record.started_at + timedelta(seconds=record.duration_seconds):
            return record
        with transaction.atomic():
            record = SimulatedRecord.objects.select_for_update().get(pk=record.pk)
            if record.status != "IN_PROGRESS":
                return record
            product = SimulatedProvisionedProduct.objects.select_for_update().get(
                pk=record.provisioned_product_id
            )
            if record.failure:
                record.status = "FAILED"
                product.status = "ERROR" if record.record_type == PROVISION else "TAINTED"
                product.status_message = record.failure
            elif record.record_type == TERMINATE:
                record.status = "SUCCEEDED"
                product.status = "TERMINATED"
                SimulatedNotebook.objects.filter(
                    aws_account_id=self.account, aws_region=self.region,
                    name=product.parameters.get("NotebookInstanceName") or product.name,
                ).update(deleted=True, status="Deleting")
            else:
                record.status = "SUCCEEDED"
                product.status = "AVAILABLE"
                product.status_message = ""
                if record.record_type == UPDATE:
                    product.parameters = {**product.parameters, **record.parameters}
                    product.artifact_id = record.artifact_id or product.artifact_id
                record.outputs = self._outputs(product)
                notebook = record.outputs.get("NotebookInstanceName")
                if notebook:
                    SimulatedNotebook.objects.update_or_create(
                        aws_account_id=self.account, aws_region=self.region, name=notebook,
                        defaults={"status": "InService", "status_changed_at": timezone.now(),
                                  "duration_seconds": self._seconds, "tags": product.tags,
                                  "deleted": False},
                    )
            record.save()
            product.save()
        return record

    def _outputs(self, product: SimulatedProvisionedProduct) -> dict[str, str]:
        from catalog import demo_catalog  # the demo catalog says which outputs a product has

        params = product.parameters
        notebook = params.get("NotebookInstanceName") or product.name
        candidates = {
            "NotebookInstanceName": notebook,
            "NotebookInstanceArn":
                f"arn:aws:sagemaker:{self.region}:{self.account}:notebook-instance/{notebook}",
            "DomainId": params.get("DomainId", "d-simulated0001"),
            "UserProfileName": params.get("UserProfileName") or product.name,
            "SageMakerProjectName": product.sagemaker_project_name or product.name[:32],
            "SageMakerProjectId": product.sagemaker_project_id or product.provisioned_product_id,
        }
        keys = ["NotebookInstanceName", "NotebookInstanceArn"]
        for demo in demo_catalog.PRODUCTS:
            if demo["summary"]["ProductId"] == product.product_id:
                keys = list(demo["outputs"])
        return {key: candidates[key] for key in keys if key in candidates}

    def _status(self, record: SimulatedRecord) -> RecordStatus:
        record = self._settle(record)
        return RecordStatus(
            record_id=record.record_id,
            status=record.status,
            provisioned_product_id=record.provisioned_product.provisioned_product_id,
            outputs=dict(record.outputs),
            errors=[record.failure] if record.status == "FAILED" else [],
        )

    # --- Service Catalog ------------------------------------------------------------------

    def provision_product(self, *, order: ProvisionOrder) -> RecordStatus:
        return self._provision(order=order)

    def _provision(self, *, order: ProvisionOrder, sagemaker_project: tuple[str, str] = ("", "")
                   ) -> RecordStatus:
        existing = SimulatedRecord.objects.filter(record_type=PROVISION, token=order.token).first()
        if existing is not None:  # same token, same record: AWS's idempotency
            return self._status(existing)
        if self._products().filter(name=order.name).exclude(status="TERMINATED").exists():
            raise Invalid(operation="ProvisionProduct", code="DuplicateResourceException",
                          message=f"A provisioned product named {order.name} already exists.")
        try:
            with transaction.atomic():
                product = SimulatedProvisionedProduct.objects.create(
                    aws_account_id=self.account, aws_region=self.region,
                    provisioned_product_id=_new_id("pp"), name=order.name,
                    product_id=order.product_id, artifact_id=order.artifact_id,
                    path_id=order.path_id, parameters=dict(order.parameters),
                    tags={t.key: t.value for t in order.tags},
                    sagemaker_project_name=sagemaker_project[0],
                    sagemaker_project_id=sagemaker_project[1],
                )
                record = self._start_record(product=product, record_type=PROVISION,
                                            token=order.token, parameters=order.parameters,
                                            artifact_id=order.artifact_id)
        except IntegrityError:  # a concurrent call with the same token won the race
            record = SimulatedRecord.objects.get(record_type=PROVISION, token=order.token)
        # AWS has accepted the call; its answer may take a while to come back (the worker tests
        # set a latency to kill a worker in between).
        time.sleep(getattr(settings, "PORTAL_SIMULATOR_LATENCY_MS", 0) / 1000)
        return self._status(record)

    def describe_record(self, *, record_id: str) -> RecordStatus:
        record = SimulatedRecord.objects.filter(
            record_id=record_id, provisioned_product__aws_account_id=self.account,
            provisioned_product__aws_region=self.region,
        ).select_related("provisioned_product").first()
        if record is None:
            raise NotFound(operation="DescribeRecord", code="ResourceNotFoundException",
                           message=f"Record {record_id} not found.")
        return self._status(record)

    def _product(self, operation: str, provisioned_product_id: str) -> SimulatedProvisionedProduct:
        product: SimulatedProvisionedProduct | None = self._products().filter(
            provisioned_product_id=provisioned_product_id).exclude(
            status="TERMINATED").first()
        if product is None:
            raise NotFound(operation=operation, code="ResourceNotFoundException",
                           message=f"Provisioned product {provisioned_product_id} not found.")
        return product

    def _day2(self, *, operation: str, record_type: str, provisioned_product_id: str,
              token: str, parameters: Mapping[str, str], artifact_id: str) -> RecordStatus:
        existing = SimulatedRecord.objects.filter(record_type=record_type, token=token).first()
        if existing is not None:
            return self._status(existing)
        product = self._product(operation, provisioned_product_id)
        if product.status == "UNDER_CHANGE":
            raise Invalid(operation=operation, code="InvalidStateException",
                          message="The provisioned product is under change.")
        try:
            with transaction.atomic():
                record = self._start_record(product=product, record_type=record_type,
                                            token=token, parameters=parameters,
                                            artifact_id=artifact_id)
        except IntegrityError:
            record = SimulatedRecord.objects.get(record_type=record_type, token=token)
        return self._status(record)

    def update_provisioned_product(
        self, *, provisioned_product_id: str, product_id: str, artifact_id: str, path_id: str,
        parameters: Mapping[str, str], tags: Sequence[Tag], token: str,
    ) -> RecordStatus:
        return self._day2(operation="UpdateProvisionedProduct", record_type=UPDATE,
                          provisioned_product_id=provisioned_product_id, token=token,
                          parameters=parameters, artifact_id=artifact_id)

    def terminate_provisioned_product(
        self, *, provisioned_product_id: str, token: str
    ) -> RecordStatus:
        return self._day2(operation="TerminateProvisionedProduct", record_type=TERMINATE,
                          provisioned_product_id=provisioned_product_id, token=token,
                          parameters={}, artifact_id="")

    @staticmethod
    def _provisioned(product: SimulatedProvisionedProduct) -> ProvisionedProductStatus:
        return ProvisionedProductStatus(
            provisioned_product_id=product.provisioned_product_id, name=product.name,
            status=product.status, status_message=product.status_message,
            last_record_id=product.last_record_id, artifact_id=product.artifact_id,
        )

    def _settled_product(self, product: SimulatedProvisionedProduct) -> SimulatedProvisionedProduct:
        record = SimulatedRecord.objects.filter(record_id=product.last_record_id).first()
        if record is not None and record.status == "IN_PROGRESS":
            self._settle(record)
            product.refresh_from_db()
        return product

    def describe_provisioned_product(
        self, *, provisioned_product_id: str
    ) -> ProvisionedProductStatus:
        product = self._product("DescribeProvisionedProduct", provisioned_product_id)
        product = self._settled_product(product)
        if product.status == "TERMINATED":
            raise NotFound(operation="DescribeProvisionedProduct",
                           code="ResourceNotFoundException",
                           message=f"Provisioned product {provisioned_product_id} not found.")
        return self._provisioned(product)

    def search_provisioned_products(
        self, *, name_prefix: str = ""
    ) -> list[ProvisionedProductStatus]:
        products = self._products().exclude(status="TERMINATED")
        if name_prefix:
            products = products.filter(name__startswith=name_prefix)
        found = [self._settled_product(p) for p in products.order_by("pk")]
        return [self._provisioned(p) for p in found if p.status != "TERMINATED"]

    # --- SageMaker projects -----------------------------------------------------------------

    def create_sagemaker_project(
        self, *, project_name: str, description: str, order: ProvisionOrder
    ) -> SageMakerProjectStatus:
        if self._products().filter(sagemaker_project_name=project_name).exclude(
                status="TERMINATED").exists():
            raise Invalid(operation="CreateProject", code="ValidationException",
                          message=f"Project {project_name} already exists.")
        project_id = "p-" + secrets.token_hex(6)
        self._provision(order=order, sagemaker_project=(project_name, project_id))
        return SageMakerProjectStatus(project_name=project_name, project_id=project_id,
                                      status="Pending")

    def describe_sagemaker_project(self, *, project_name: str) -> SageMakerProjectStatus:
        product = self._products().filter(sagemaker_project_name=project_name).exclude(
            status="TERMINATED").order_by("-pk").first()
        if product is None:
            raise NotFound(operation="DescribeProject", code="ValidationException",
                           message=f"Project {project_name} does not exist.")
        product = self._settled_product(product)
        status = {"AVAILABLE": "CreateCompleted", "ERROR": "CreateFailed",
                  "TAINTED": "CreateFailed"}.get(product.status, "CreateInProgress")
        return SageMakerProjectStatus(
            project_name=project_name, project_id=product.sagemaker_project_id, status=status,
            provisioned_product_id=product.provisioned_product_id,
            status_message=product.status_message,
        )

    # --- Notebooks --------------------------------------------------------------------------

    def _notebook(self, operation: str, notebook_name: str) -> SimulatedNotebook:
        notebook = SimulatedNotebook.objects.filter(
            aws_account_id=self.account, aws_region=self.region, name=notebook_name, deleted=False
        ).first()
        if notebook is None:
            raise NotFound(operation=operation, code="ValidationException",
                           message=f"RecordNotFound: notebook instance {notebook_name} not found.")
        settles = {"Pending": "InService", "Stopping": "Stopped"}
        due = notebook.status_changed_at + timedelta(seconds=notebook.duration_seconds)
        if notebook.status in settles and timezone.now() >= due:
            SimulatedNotebook.objects.filter(pk=notebook.pk, status=notebook.status).update(
                status=settles[notebook.status], status_changed_at=timezone.now()
            )
            notebook.refresh_from_db()
        return notebook

    def notebook_status(self, *, notebook_name: str) -> str:
        return self._notebook("DescribeNotebookInstance", notebook_name).status

    def _notebook_move(self, operation: str, notebook_name: str, *, required: str, to: str) -> None:
        notebook = self._notebook(operation, notebook_name)
        if notebook.status != required:
            raise Invalid(operation=operation, code="ValidationException",
                          message=f"Status ({notebook.status}) not in ([{required}]). "
                                  f"Unable to transition to ({to}) for Notebook Instance "
                                  f"({notebook_name}).")
        SimulatedNotebook.objects.filter(pk=notebook.pk).update(
            status=to, status_changed_at=timezone.now(), duration_seconds=self._seconds
        )

    def notebook_start(self, *, notebook_name: str) -> None:
        self._notebook_move("StartNotebookInstance", notebook_name, required="Stopped",
                            to="Pending")

    def notebook_stop(self, *, notebook_name: str) -> None:
        self._notebook_move("StopNotebookInstance", notebook_name, required="InService",
                            to="Stopping")

    # --- Launch -----------------------------------------------------------------------------

    def _launch_url(self, *, view: str, args: list[str], payload: dict[str, Any]) -> str:
        token = signing.dumps(payload, salt=LAUNCH_SALT)
        path = reverse(view, args=args)
        return f"{settings.PORTAL_BASE_URL.rstrip('/')}{path}?{urlencode({'token': token})}"

    def notebook_presigned_url(
        self, *, notebook_name: str, session_seconds: int, owner_id: str
    ) -> str:
        notebook = self._notebook("CreatePresignedNotebookInstanceUrl", notebook_name)
        owner_tag = notebook.tags.get(settings.PORTAL_TAG_KEYS["owner"])
        if settings.PORTAL_LAUNCH_SESSION_TAGS and owner_tag != owner_id:
            # What the whitepaper's aws:PrincipalTag/owner condition does in a real account.
            raise AccessDenied(operation="CreatePresignedNotebookInstanceUrl",
                               code="AccessDeniedException",
                               message="The session's owner tag does not match the notebook's.")
        payload = {"kind": "notebook", "name": notebook_name, "account": self.account,
                   "region": self.region, "session": session_seconds,
                   "ttl": NOTEBOOK_URL_SECONDS}
        return self._launch_url(view="provisioning:simulator_notebook", args=[notebook_name],
                                payload=payload)

    def studio_presigned_url(
        self, *, domain_id: str, user_profile_name: str, expires_seconds: int,
        session_seconds: int, owner_id: str,
    ) -> str:
        payload = {"kind": "studio", "name": user_profile_name, "domain": domain_id,
                   "account": self.account, "region": self.region, "session": session_seconds,
                   "ttl": expires_seconds}
        return self._launch_url(view="provisioning:simulator_studio",
                                args=[domain_id, user_profile_name], payload=payload)

