"""Reconcile: record what changed outside the portal, once per AWS account rather than per project.

Projects share accounts, so the settled environments are grouped by how the portal reaches the
account — (account, region, role, external id); in the usual set-up all projects of an account
use the same role, so that is one group per account and region. Each group costs:

* SearchProvisionedProducts (AccessLevelFilter Account) pages, read once into a dict by id;
* ListNotebookInstances pages, read once (only when a notebook's state matters) into a dict;
* a DescribeProvisionedProduct or DescribeNotebookInstance only for the few missing from a
  list. Both lists are eventually consistent (and unsorted pages may skip an item), so absence
  from a list never terminates anything by itself: only DescribeProvisionedProduct answering
  not-found does, as before.

Environments are read in primary-key batches of ``BATCH`` (keyset pages: memory stays flat, and
the writes in between are safe on SQLite, where a cursor left open over a table being written is
not). Unchanged environments of a batch get their ``reconciled_at`` in one UPDATE; only the
changed ones go through the locked, audited path one by one.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from portal.models import Project
from portal.services import audit_record
from provisioning.backends import (
    BackendError,
    NotFound,
    ProvisionedProductStatus,
    ProvisioningBackend,
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
    event_add,
)
from provisioning.states import environment_status_set
from provisioning.studio_idle import RECONCILE_COLUMNS, studio_idle_refresh

logger = logging.getLogger(__name__)

BATCH = 500
SETTLED = (Status.AVAILABLE, Status.STOPPED, Status.FAILED)
# The columns a verdict needs; the full row is loaded only for an environment that changed.
_COLUMNS = ("pk", "provisioned_product_id", "notebook_instance_name", "status",
            "status_message", "version__artifact_id", *RECONCILE_COLUMNS)


@dataclass(frozen=True)
class AccountTarget:
    """How the portal reaches one AWS account and region (projects sharing it share a listing)."""

    account_id: str
    region: str
    role_arn: str
    external_id: str


@dataclass(frozen=True)
class Observed:
    """What AWS says about one environment: ``product`` None means confirmed gone."""

    product: ProvisionedProductStatus | None
    notebook_status: str = ""


class AccountListing:
    """One account's provisioned products and notebooks, each list read once, when first needed.

    A product or notebook missing from its list is asked about directly (Describe), since the
    lists lag behind what was just created.
    """

    def __init__(self, backend: ProvisioningBackend) -> None:
        self.backend = backend
        self._products: dict[str, ProvisionedProductStatus] | None = None
        self._notebooks: dict[str, str] | None = None

    def product(self, provisioned_product_id: str) -> ProvisionedProductStatus | None:
        if self._products is None:
            self._products = {p.provisioned_product_id: p
                              for p in self.backend.provisioned_products_list()}
        found = self._products.get(provisioned_product_id)
        if found is not None:
            return found
        try:
            return self.backend.describe_provisioned_product(
                provisioned_product_id=provisioned_product_id)
        except NotFound:
            return None

    def notebook_status(self, name: str) -> str:
        if self._notebooks is None:
            self._notebooks = dict(self.backend.notebook_statuses_list())
        if name in self._notebooks:
            return self._notebooks[name]
        try:
            return self.backend.notebook_status(notebook_name=name)
        except NotFound:
            return "Deleted"


def observe(row: dict[str, Any], listing: AccountListing) -> Observed:
    """What AWS says about the environment ``row`` (the ``_COLUMNS`` values)."""
    product = listing.product(row["provisioned_product_id"])
    notebook_status = ""
    if product is not None and product.status == "AVAILABLE" \
            and row["notebook_instance_name"] and row["status"] in (Status.AVAILABLE,
                                                                    Status.STOPPED):
        notebook_status = listing.notebook_status(row["notebook_instance_name"])
    return Observed(product=product, notebook_status=notebook_status)


def change_expected(row: dict[str, Any], seen: Observed) -> bool:
    """Whether ``environment_reconcile_observed`` may have something to record (else only the
    ``reconciled_at`` stamp is due, which is written in bulk)."""
    product, status = seen.product, row["status"]
    if row["status_message"].startswith(UNREACHABLE) or product is None:
        return True
    if status == Status.FAILED and product.status == "AVAILABLE":
        return True
    if product.artifact_id and product.artifact_id != row["version__artifact_id"]:
        return True
    if product.status in ("ERROR", "TAINTED") and status != Status.FAILED:
        return bool(row["status_message"] != _aws_error_message(product))
    return (seen.notebook_status == "Stopped" and status == Status.AVAILABLE) or (
        seen.notebook_status == "InService" and status == Status.STOPPED)


def _aws_error_message(product: ProvisionedProductStatus) -> str:
    return f"AWS reports the provisioned product as {product.status}: {product.status_message}"


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


def environment_reconcile_observed(*, environment_id: Any, seen: Observed,
                                   backend: ProvisioningBackend) -> str:
    """Record on one environment what AWS says changed (locked, audited, on its timeline)."""
    environment = Environment.objects.select_related("product", "project", "version").get(
        pk=environment_id)
    product = seen.product
    record = None
    if product is not None and environment.status == Status.FAILED \
            and product.status == "AVAILABLE":
        record = backend.describe_record(record_id=product.last_record_id)
    found = environment_resource_lookup(environment=environment, outputs=record.outputs) \
        if record is not None and record.status == "SUCCEEDED" else None

    with transaction.atomic():
        environment = environment_locked(environment_id)
        if environment.status not in SETTLED:
            return "busy"
        environment.reconciled_at = timezone.now()
        if environment.status_message.startswith(UNREACHABLE):  # reachable again
            environment.status_message = ""
            environment.save(update_fields=["status_message", "updated_at"])
        if product is None:
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
        if _drift_recorded(environment, seen=seen):
            return "changed"
        environment.save(update_fields=["reconciled_at", "updated_at"])
        return "unchanged"


def _drift_recorded(environment: Environment, *, seen: Observed) -> bool:
    """On a locked environment AWS still has: record the first change made outside the portal
    (another version, an error state, a notebook stopped or started). Returns whether one was."""
    product = seen.product
    assert product is not None
    if product.artifact_id and product.artifact_id != environment.version.artifact_id:
        version = environment.product.versions.filter(artifact_id=product.artifact_id).first()
        if version is not None:
            _out_of_band(environment, f"The version was changed outside the portal to "
                                      f"{version.name}.", version=version)
            return True
    if product.status in ("ERROR", "TAINTED") and environment.status != Status.FAILED:
        message = _aws_error_message(product)
        if environment.status_message != message:
            _out_of_band(environment, message, status_message=message)
            return True
    if seen.notebook_status == "Stopped" and environment.status == Status.AVAILABLE:
        _out_of_band(environment, "The notebook was stopped outside the portal.",
                     to=Status.STOPPED)
        return True
    if seen.notebook_status == "InService" and environment.status == Status.STOPPED:
        _out_of_band(environment, "The notebook was started outside the portal.",
                     to=Status.AVAILABLE)
        return True
    return False


def account_targets() -> dict[AccountTarget, list[Project]]:
    """The projects with settled environments, grouped by the account target they reach."""
    with_settled = Environment.objects.filter(status__in=SETTLED).exclude(
        provisioned_product_id="").values("project_id")
    targets: dict[AccountTarget, list[Project]] = defaultdict(list)
    for project in Project.objects.filter(pk__in=with_settled).order_by("pk"):
        targets[AccountTarget(account_id=project.aws_account_id, region=project.aws_region,
                              role_arn=project.aws_role_arn,
                              external_id=project.aws_external_id)].append(project)
    return targets


def _settled(projects: Iterable[Project]) -> QuerySet[Environment]:
    return Environment.objects.filter(
        project__in=[p.pk for p in projects], status__in=SETTLED,
    ).exclude(provisioned_product_id="").order_by("pk")


def _stamp(unchanged: list[Any], report: dict[str, int]) -> None:
    """``reconciled_at`` for a batch's unchanged environments in one UPDATE; a row the portal
    took meanwhile (no longer settled) is counted busy."""
    if not unchanged:
        return
    stamped = Environment.objects.filter(pk__in=unchanged, status__in=SETTLED).update(
        reconciled_at=timezone.now())
    report["unchanged"] += stamped
    report["busy"] += len(unchanged) - stamped


def _reconcile_target(projects: list[Project], report: dict[str, int]) -> None:
    settled = _settled(projects)
    listing = AccountListing(backend_for(projects[0]))
    after: Any = None  # the last primary key done: an error leaves the rest for the next run
    try:
        while True:
            batch = settled.filter(pk__gt=after) if after is not None else settled
            rows = list(batch.values(*_COLUMNS)[:BATCH])
            if not rows:
                return
            unchanged: list[Any] = []
            try:
                for row in rows:
                    seen = observe(row, listing)
                    studio_idle_refresh(row, listing.backend)
                    if change_expected(row, seen):
                        report[environment_reconcile_observed(
                            environment_id=row["pk"], seen=seen, backend=listing.backend)] += 1
                    else:
                        unchanged.append(row["pk"])
                    after = row["pk"]
            finally:  # also when AWS fails half-way: what was compared is stamped
                _stamp(unchanged, report)
    except RoleUnavailable as exc:  # shown on each environment; the next run tries again
        logger.warning("Reconcile of account %s skipped: %s", projects[0].aws_account_id,
                       exc.code)
        remaining = settled.filter(pk__gt=after) if after is not None else settled
        report["unreachable"] += remaining.count()
        message = UNREACHABLE + exc.message
        for pk in remaining.exclude(status_message=message).values_list("pk", flat=True):
            with transaction.atomic():
                environment_aws_unreachable(environment_locked(pk), error=exc)
    except BackendError as exc:  # try again at the next run
        logger.warning("Reconcile of account %s skipped: %s", projects[0].aws_account_id, exc)
        remaining = settled.filter(pk__gt=after) if after is not None else settled
        report["skipped"] += remaining.count()


def environments_reconcile() -> dict[str, int]:
    """Compare settled environments with AWS: one listing per account target (module doc)."""
    report: dict[str, int] = defaultdict(int)
    for projects in account_targets().values():
        _reconcile_target(projects, report)
    return {outcome: count for outcome, count in report.items() if count}
