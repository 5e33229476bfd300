"""Periodic safety nets: the sweeper (lost work) and reconcile (changes made outside the portal)."""

from __future__ import annotations

import logging
from collections import defaultdict
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models.functions import Coalesce
from django.utils import timezone

from approvals.models import Request
from portal.services import audit_record
from provisioning.backends import (
    BackendError,
    NotFound,
    ProvisionedProductStatus,
    RoleUnavailable,
    backend_for,
)
from provisioning.follow import environment_provisioned
from provisioning.models import Environment
from provisioning.notifications import owner_notify
from provisioning.resolve import environment_resource_lookup
from provisioning.services import (
    UNREACHABLE,
    Kind,
    Status,
    environment_aws_unreachable,
    environment_locked,
    environment_provision,
    event_add,
    follow_schedule,
    provision_dispatch,
)
from provisioning.states import environment_status_set

logger = logging.getLogger(__name__)


def environments_sweep() -> dict[str, int]:
    """Re-dispatch work lost to a broker outage or a killed worker.

    * approved create requests that never became an environment;
    * queued environments whose provision task (first try or scheduled retry) is overdue by
      PORTAL_STALLED_AFTER_SECONDS;
    * followed environments whose next check is overdue by as much (the follow-up chain broke).

    Overdue is measured from when the next step is due, not from when it was sent, so a long
    backoff is never taken for lost work.
    """
    now = timezone.now()
    stalled = now - timedelta(seconds=settings.PORTAL_STALLED_AFTER_SECONDS)
    report = {"created": 0, "redispatched": 0, "refollowed": 0}

    orphans = Request.objects.filter(
        status=Request.Status.APPROVED, action=Request.Action.CREATE,
        handed_off_at__isnull=False, provisioned_environment__isnull=True,
    )
    for request in orphans:
        environment_provision(request=request)
        report["created"] += 1

    # Due = when the provision task should run: at once after a dispatch, later when a throttled
    # call is retried (``next_attempt_at``; rows from before it existed have ``dispatched_at``).
    queued = Environment.objects.filter(status=Status.QUEUED).annotate(
        due=Coalesce("next_attempt_at", "dispatched_at"))
    queued = queued.filter(due__isnull=True) | queued.filter(due__lt=stalled)
    for pk in queued.values_list("pk", flat=True):
        with transaction.atomic():
            environment = environment_locked(pk)
            due = environment.next_attempt_at or environment.dispatched_at
            if environment.status == Status.QUEUED and (due is None or due < stalled):
                # A new chain number makes any survivor of the old chain stale.
                provision_dispatch(environment)
                report["redispatched"] += 1

    followed = Environment.objects.filter(status__in=Environment.FOLLOWED).filter(
        next_check_at__isnull=True) | Environment.objects.filter(
        status__in=Environment.FOLLOWED, next_check_at__lt=stalled)
    for pk in followed.values_list("pk", flat=True):
        with transaction.atomic():
            environment = environment_locked(pk)
            due = environment.next_check_at
            if environment.status in Environment.FOLLOWED and (due is None or due < stalled):
                # A new attempt number makes any survivor of the old chain stale. The check is
                # overdue already: it is sent for now, not after the first backoff step.
                follow_schedule(environment, attempt=environment.follow_attempt + 1, delay=0.0)
                report["refollowed"] += 1
    if any(report.values()):
        logger.info("Provisioning sweep: %s", report)
    return report


def _out_of_band(environment: Environment, message: str, *, to: Status | None = None,
                 **changes: Any) -> None:
    """Record a change made outside the portal (moving to ``to`` if given); caller locks."""
    if to is not None:
        environment_status_set(environment, to=to)
    for field, value in changes.items():
        setattr(environment, field, value)
    environment.save()
    event_add(environment=environment, kind=Kind.OUT_OF_BAND, message=message)
    data = {k: str(v) for k, v in changes.items()}
    if to is not None:
        data["status"] = str(to)
    audit_record(action="environment.out_of_band", obj=environment, project=environment.project,
                 data={"message": message, **data})


def _reconcile_one(environment_id: Any, seen: ProvisionedProductStatus | None,
                   backend: Any) -> str:
    environment = Environment.objects.select_related("product", "project", "version").get(
        pk=environment_id)
    if seen is None:
        try:
            seen = backend.describe_provisioned_product(
                provisioned_product_id=environment.provisioned_product_id)
        except NotFound:
            seen = None
    notebook_status = ""
    if seen is not None and seen.status == "AVAILABLE" and environment.notebook_instance_name \
            and environment.status in (Status.AVAILABLE, Status.STOPPED):
        try:
            notebook_status = backend.notebook_status(
                notebook_name=environment.notebook_instance_name)
        except NotFound:
            notebook_status = "Deleted"
    record = None
    if seen is not None and environment.status == Status.FAILED and seen.status == "AVAILABLE":
        record = backend.describe_record(record_id=seen.last_record_id)
    found = environment_resource_lookup(environment=environment, outputs=record.outputs) \
        if record is not None and record.status == "SUCCEEDED" else None

    with transaction.atomic():
        environment = environment_locked(environment_id)
        if environment.status not in (Status.AVAILABLE, Status.STOPPED, Status.FAILED):
            return "busy"
        environment.reconciled_at = timezone.now()
        if environment.status_message.startswith(UNREACHABLE):  # reachable again
            environment.status_message = ""
            environment.save(update_fields=["status_message", "updated_at"])
        if seen is None:
            _out_of_band(environment, "The provisioned product no longer exists in AWS: it was "
                                      "terminated outside the portal.",
                         to=Status.TERMINATED, terminated_at=timezone.now())
            owner_notify(environment=environment,
                         subject=f"Terminated outside the portal: {environment.product.name}",
                         lines=[f"{environment.provisioned_product_name} no longer exists in AWS."])
            return "terminated"
        if record is not None and record.status == "SUCCEEDED":
            # FAILED → AVAILABLE is its own edge (the portal gave up, AWS did not).
            event_add(environment=environment, kind=Kind.OUT_OF_BAND,
                      message="AWS finished the provisioning after the portal stopped waiting.")
            environment_provisioned(environment, outputs=record.outputs, found=found)
            return "recovered"
        if seen.artifact_id and seen.artifact_id != environment.version.artifact_id:
            version = environment.product.versions.filter(artifact_id=seen.artifact_id).first()
            if version is not None:
                _out_of_band(environment, f"The version was changed outside the portal to "
                                          f"{version.name}.", version=version)
                return "changed"
        if seen.status in ("ERROR", "TAINTED") and environment.status != Status.FAILED:
            message = f"AWS reports the provisioned product as {seen.status}: {seen.status_message}"
            if environment.status_message != message:
                _out_of_band(environment, message, status_message=message)
                return "changed"
        if notebook_status == "Stopped" and environment.status == Status.AVAILABLE:
            _out_of_band(environment, "The notebook was stopped outside the portal.",
                         to=Status.STOPPED)
            return "changed"
        if notebook_status == "InService" and environment.status == Status.STOPPED:
            _out_of_band(environment, "The notebook was started outside the portal.",
                         to=Status.AVAILABLE)
            return "changed"
        environment.save(update_fields=["reconciled_at", "updated_at"])
        return "unchanged"


def environments_reconcile() -> dict[str, int]:
    """Compare settled environments with Service Catalog (one search per project target)."""
    report: dict[str, int] = defaultdict(int)
    settled = Environment.objects.filter(
        status__in=(Status.AVAILABLE, Status.STOPPED, Status.FAILED),
    ).exclude(provisioned_product_id="").select_related("project")
    by_project: dict[int, list[Environment]] = defaultdict(list)
    for environment in settled:
        by_project[environment.project_id].append(environment)
    for environments in by_project.values():
        backend = backend_for(environments[0].project)
        try:
            listed = {p.provisioned_product_id: p for p in backend.search_provisioned_products()}
            for environment in environments:
                outcome = _reconcile_one(environment.pk,
                                         listed.get(environment.provisioned_product_id), backend)
                report[outcome] += 1
        except RoleUnavailable as exc:  # shown on each environment; the next run tries again
            logger.warning("Reconcile of project %s skipped: %s", environments[0].project,
                           exc.code)
            for environment in environments:
                with transaction.atomic():
                    environment_aws_unreachable(environment_locked(environment.pk), error=exc)
            report["unreachable"] += len(environments)
        except BackendError as exc:  # try again at the next run
            logger.warning("Reconcile of project %s skipped: %s", environments[0].project, exc)
            report["skipped"] += len(environments)
    return dict(report)
