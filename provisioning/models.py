"""Environments (what an approved request became in AWS) and their timeline."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone

from approvals.models import Request
from catalog.models import Product, ProductVersion
from portal.models import Project

# Where ``provisioning.resolve`` found an environment's resource identifiers, as admins read it.
RESOLUTION_SOURCES = {
    "mapping": "the product's output mapping",
    "outputs": "the template's outputs (a well-known key or the resource's ARN)",
    "parameters": "the parameters the portal sent (the resource carries this environment's tags)",
    "stack": "the resources of the provisioned product's CloudFormation stack",
    "tags": "the resources tagged for this environment",
}


def environment_name(*, chosen: str, notebook: str, profile: str, sagemaker_project: str,
                     provisioned: str) -> str:
    """The first of: the name the requester chose, the resource's, the provisioned product's."""
    return chosen or notebook or profile or sagemaker_project or provisioned


class Environment(models.Model):
    """What an approved request became: a provisioned product in the project's AWS account.

    The status is an explicit state machine, its edges listed in ``provisioning.states`` and
    changed only through ``environment_status_set``; every change is written to the owner's
    timeline (``EnvironmentEvent``) and, for people's actions, the audit trail.
    """

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        PROVISIONING = "provisioning", "Provisioning"
        AVAILABLE = "available", "Available"
        STOPPING = "stopping", "Stopping"
        STOPPED = "stopped", "Stopped"
        STARTING = "starting", "Starting"
        UPDATING = "updating", "Updating"
        TERMINATING = "terminating", "Terminating"
        TERMINATED = "terminated", "Terminated"
        FAILED = "failed", "Failed"

    # States a follow-up task is watching; the sweeper re-dispatches one that went quiet.
    FOLLOWED = (Status.PROVISIONING, Status.UPDATING, Status.TERMINATING, Status.STARTING,
                Status.STOPPING)

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    origin_request = models.OneToOneField(
        Request, on_delete=models.PROTECT, related_name="provisioned_environment"
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="environments"
    )
    project = models.ForeignKey(Project, on_delete=models.PROTECT, related_name="environments")
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="environments")
    version = models.ForeignKey(ProductVersion, on_delete=models.PROTECT, related_name="+")
    parameters = models.JSONField(default=dict, blank=True)
    provisioned_product_name = models.CharField(max_length=128, unique=True)
    provisioned_product_id = models.CharField(max_length=64, blank=True)
    last_record_id = models.CharField(max_length=64, blank=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.QUEUED,
                              db_index=True)
    status_message = models.TextField(blank=True)
    outputs = models.JSONField(default=dict, blank=True)
    notebook_instance_name = models.CharField(max_length=63, blank=True)
    domain_id = models.CharField(max_length=63, blank=True)
    user_profile_name = models.CharField(max_length=63, blank=True)
    sagemaker_project_name = models.CharField(max_length=32, blank=True)
    sagemaker_project_id = models.CharField(max_length=20, blank=True)
    tags = models.JSONField(default=list, blank=True, help_text="Tags applied, as {Key, Value}.")
    resolved_by = models.CharField(
        max_length=20, blank=True,
        help_text="Where the portal found the resource's identifiers (provisioning.resolve): "
                  "mapping, outputs, parameters, stack or tags; empty: not found.")

    # Background-work bookkeeping: the sweeper and the idempotency of the tasks rely on it.
    operation_token = models.CharField(
        max_length=128, blank=True,
        help_text="Idempotency token of the Service Catalog operation in flight.",
    )
    acting_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
        help_text="Who asked for the operation in flight: the follow-up's stop, start, change "
                  "and terminate calls run in their AWS session (name and owner tag).",
    )
    pending_request = models.ForeignKey(
        Request, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
        help_text="The approved change request being applied.",
    )
    dispatched_at = models.DateTimeField(null=True, blank=True)
    dispatch_attempt = models.PositiveIntegerField(
        default=0, help_text="Number of the provision chain in flight; a task of an older one "
                             "(superseded by a sweeper re-dispatch) is stale and stops.")
    next_attempt_at = models.DateTimeField(
        null=True, blank=True,
        help_text="When the provision task of a queued environment is due to run (now when "
                  "sent, later when a throttled call is retried): the sweeper re-dispatches "
                  "only once this is PORTAL_STALLED_AFTER_SECONDS past.")
    follow_started_at = models.DateTimeField(null=True, blank=True)
    follow_attempt = models.PositiveIntegerField(
        default=0, help_text="Number of the follow-up check due next; older ones are stale.")
    follow_checks = models.PositiveIntegerField(
        default=0, help_text="Checks made since the current operation started (the backoff).")
    next_check_at = models.DateTimeField(null=True, blank=True, db_index=True)
    aws_missing_since = models.DateTimeField(
        null=True, blank=True,
        help_text="When AWS first answered not-found for the record or project being followed "
                  "(eventual consistency): retried until PORTAL_AWS_CONSISTENCY_SECONDS later.")
    reconciled_at = models.DateTimeField(null=True, blank=True)
    studio_idle = models.JSONField(
        null=True, blank=True,
        help_text="A Studio user profile's JupyterLab IdleSettings as DescribeUserProfile last "
                  "answered ({}: none set; empty: not read yet), read when it is provisioned "
                  "or changed and at each reconcile (provisioning.studio_idle); its page shows "
                  "them without calling AWS.")
    studio_idle_read_at = models.DateTimeField(null=True, blank=True)

    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)
    available_at = models.DateTimeField(null=True, blank=True)
    last_activity_at = models.DateTimeField(
        null=True, blank=True,
        help_text="The last open (presigned URL) or start through the portal: the idle "
                  "auto-stop of the leases app counts from it.")
    terminated_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(
        null=True, blank=True,
        help_text="The lease end, set and extended by the leases app (which enforces it).")

    class Meta:
        ordering = ["-created_at", "pk"]
        indexes = [models.Index(fields=["owner", "status"])]

    def __str__(self) -> str:
        return self.provisioned_product_name

    @property
    def name(self) -> str:
        """The name people know the environment by: the one its requester chose (kept on the
        origin request), else its resource's name, else the provisioned product's (the portal's).
        Lists select ``origin_request`` with the environment, so this costs no query there."""
        return environment_name(
            chosen=self.origin_request.name, notebook=self.notebook_instance_name,
            profile=self.user_profile_name, sagemaker_project=self.sagemaker_project_name,
            provisioned=self.provisioned_product_name)

    @property
    def short_id(self) -> str:
        return str(self.pk)[:8]

    @property
    def is_sagemaker_project(self) -> bool:
        return self.product.kind == Product.Kind.SAGEMAKER_PROJECT

    @property
    def launchable(self) -> bool:
        """Something a presigned URL opens: a notebook or a Studio user profile."""
        return bool(self.notebook_instance_name or (self.domain_id and self.user_profile_name))

    @property
    def resolved_by_label(self) -> str:
        """Where the portal found the resource, for admins ("" until provisioned)."""
        if self.resolved_by:
            return RESOLUTION_SOURCES.get(self.resolved_by, self.resolved_by)
        nothing_to_find = self.product.kind == Product.Kind.OTHER
        return "not found" if self.available_at and not nothing_to_find else ""

    @property
    def is_live(self) -> bool:
        return self.status not in (self.Status.TERMINATED,)


class EnvironmentEvent(models.Model):
    """One line of an environment's timeline, as its owner sees it."""

    class Kind(models.TextChoices):
        CREATED = "created", "Created"
        DISPATCHED = "dispatched", "Sent to AWS"
        PROGRESS = "progress", "Progress"
        RETRY = "retry", "Retrying"
        AVAILABLE = "available", "Available"
        FAILED = "failed", "Failed"
        STOP = "stop", "Stop"
        STOPPED = "stopped", "Stopped"
        START = "start", "Start"
        STARTED = "started", "Started"
        UPDATE = "update", "Update"
        UPDATED = "updated", "Updated"
        TERMINATE = "terminate", "Terminate"
        TERMINATED = "terminated", "Terminated"
        LAUNCH = "launch", "Opened"
        LAUNCH_REFUSED = "launch_refused", "Open refused"
        OUT_OF_BAND = "out_of_band", "Changed outside the portal"
        LEASE = "lease", "Lease"

    environment = models.ForeignKey(Environment, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField(default=timezone.now, db_index=True)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    message = models.TextField(blank=True)

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.kind}: {self.message[:60]}"


class ResourcePlan(models.Model):
    """The Service Catalog plan (a CloudFormation change set) a change request is approved on.

    One per request; made again (``generation`` + 1) when it went stale before it was applied.
    ``base_record_id`` is the provisioned product's LastRecordId when the plan was made: a
    different one at execution time means the product changed since, and the plan is stale.
    """

    class State(models.TextChoices):
        CREATING = "creating", "Being prepared"
        READY = "ready", "Ready"
        FAILED = "failed", "Failed"
        EXECUTED = "executed", "Executed"
        DELETED = "deleted", "Deleted"

    request = models.OneToOneField(Request, on_delete=models.CASCADE, related_name="+")
    environment = models.ForeignKey(Environment, on_delete=models.CASCADE,
                                    related_name="resource_plans")
    state = models.CharField(max_length=10, choices=State.choices, default=State.CREATING)
    plan_id = models.CharField(max_length=64, blank=True)
    aws_status = models.CharField(max_length=32, blank=True)
    message = models.TextField(blank=True)
    changes = models.JSONField(default=list, blank=True)
    base_record_id = models.CharField(max_length=64, blank=True)
    generation = models.PositiveSmallIntegerField(default=1)
    checks = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.plan_id or 'plan'} ({self.state})"

    @property
    def token(self) -> str:
        """The IdempotencyToken of this generation's CreateProvisionedProductPlan."""
        return f"{self.request_id}-{self.generation}"


class AwsEventReceipt(models.Model):
    """An EventBridge event the events consumer has handled, by its ``id``: EventBridge and SQS
    deliver at least once, so a second delivery of the same id is ignored. Kept for
    ``PORTAL_EVENTS_KEEP_HOURS`` (the consumer deletes older rows)."""

    event_id = models.CharField(max_length=64, unique=True)
    received_at = models.DateTimeField(default=timezone.now, db_index=True)
    detail_type = models.CharField(max_length=80, blank=True)
    outcome = models.CharField(max_length=40, blank=True)

    def __str__(self) -> str:
        return f"{self.event_id} {self.outcome}"


class EventsConsumerBeat(models.Model):
    """When an events consumer last finished a receive (``name``: host and pid): while one is
    recent, the follow-up waits long between checks and lets the events drive status."""

    name = models.CharField(max_length=120, unique=True)
    beat_at = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return f"{self.name} at {self.beat_at:%H:%M:%S}"


class CostActualsFetch(models.Model):
    """One day's Cost Explorer read for an AWS account: at most one GetCostAndUsage series per
    account and UTC day (``provisioning.actuals``). ``through`` is the last day it covered;
    ``untagged_usd`` the account's cost Cost Explorer could not attribute by the tag."""

    aws_account_id = models.CharField(max_length=12)
    day = models.DateField()
    fetched_at = models.DateTimeField()
    through = models.DateField()
    untagged_usd = models.DecimalField(max_digits=14, decimal_places=2, default=0)
    error = models.TextField(blank=True)  # the call failed: retried at the next sweep

    class Meta:
        constraints = [models.UniqueConstraint(fields=["aws_account_id", "day"],
                                               name="cost_actuals_fetch_unique")]

    def __str__(self) -> str:
        return f"{self.aws_account_id} {self.day}"


class EnvironmentDailyCost(models.Model):
    """An environment's actual cost on one UTC day, as Cost Explorer reported it by its
    ``portal-environment`` tag; ``estimated`` until AWS finalises the month."""

    environment = models.ForeignKey(Environment, on_delete=models.CASCADE,
                                    related_name="daily_costs")
    day = models.DateField()
    usd = models.DecimalField(max_digits=14, decimal_places=4)
    estimated = models.BooleanField(default=True)
    fetched_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["environment", "day"],
                                               name="environment_daily_cost_unique")]

    def __str__(self) -> str:
        return f"{self.environment_id} {self.day} ${self.usd}"
