"""State of the fake AWS, in the database so the web and worker processes share it.

Every row carries the account and region it lives in, as AWS partitions everything by both.
"""

from __future__ import annotations

from django.db import models


class AccountRegion(models.Model):
    """An account/region pair some call touched; its baseline (VPC, KMS key, domain) is created
    the first time."""

    account = models.CharField(max_length=12)
    region = models.CharField(max_length=32)
    first_seen = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["account", "region"],
                                               name="fakeaws_account_region_unique")]

    def __str__(self) -> str:
        return f"{self.account}/{self.region}"


class ProvisionedProduct(models.Model):
    """A Service Catalog provisioned product and its CloudFormation stack."""

    account = models.CharField(max_length=12)
    region = models.CharField(max_length=32)
    pp_id = models.CharField(max_length=32, unique=True)
    name = models.CharField(max_length=128)
    arn = models.CharField(max_length=300)
    status = models.CharField(max_length=32)  # AVAILABLE, UNDER_CHANGE, TAINTED, ERROR
    status_message = models.TextField(blank=True)
    product_id = models.CharField(max_length=32)
    artifact_id = models.CharField(max_length=32)
    path_id = models.CharField(max_length=32, blank=True)
    stack_name = models.CharField(max_length=128)
    stack_id = models.CharField(max_length=300)
    # The stack's parameters as CloudFormation keeps them (it needs them for UsePreviousValue);
    # NoEcho values are never answered back in clear.
    parameters = models.JSONField(default=dict)
    no_echo_keys = models.JSONField(default=list)
    tags = models.JSONField(default=dict)
    outputs = models.JSONField(default=dict)
    exports = models.JSONField(default=dict)  # Outputs' Export names → values (Fn::ImportValue)
    created_by = models.CharField(max_length=300)  # principal ARN, for AccessLevelFilter
    created_by_role = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField()
    last_record_id = models.CharField(max_length=32, blank=True)
    last_success_record_id = models.CharField(max_length=32, blank=True)
    terminated = models.BooleanField(default=False)

    class Meta:
        indexes = [models.Index(fields=["account", "region", "name"])]
        # Two processes racing for one name: the database decides, as Service Catalog does.
        constraints = [models.UniqueConstraint(
            fields=["account", "region", "name"], condition=models.Q(terminated=False),
            name="fakeaws_pp_live_name_unique")]

    def __str__(self) -> str:
        return self.pp_id


class Record(models.Model):
    """One Service Catalog request (provision, update, terminate) and how it is going."""

    record_id = models.CharField(max_length=32, unique=True)
    product = models.ForeignKey(ProvisionedProduct, on_delete=models.CASCADE,
                                related_name="records")
    record_type = models.CharField(max_length=40)
    provision_token = models.CharField(max_length=128, blank=True)
    artifact_id = models.CharField(max_length=32)
    path_id = models.CharField(max_length=32, blank=True)
    created_at = models.DateTimeField()
    visible_at = models.DateTimeField()  # eventual consistency: ResourceNotFound before this
    done_at = models.DateTimeField()     # IN_PROGRESS until then
    failure = models.TextField(blank=True)  # empty: it succeeds
    # Outputs/resources the stack will have once it completes (computed when the request lands).
    outputs = models.JSONField(default=dict)
    exports = models.JSONField(default=dict)
    settled = models.BooleanField(default=False)
    tags = models.JSONField(default=dict)
    # A failed update rolls back to these parameters (CloudFormation's UPDATE_ROLLBACK).
    previous_parameters = models.JSONField(default=dict)

    def __str__(self) -> str:
        return self.record_id


class StackResource(models.Model):
    """A physical resource of a provisioned product's stack (ListStackResources)."""

    product = models.ForeignKey(ProvisionedProduct, on_delete=models.CASCADE,
                                related_name="resources")
    logical_id = models.CharField(max_length=255)
    resource_type = models.CharField(max_length=255)
    physical_id = models.CharField(max_length=2048)
    name = models.CharField(max_length=255, blank=True)
    arn = models.CharField(max_length=2048, blank=True)
    attributes = models.JSONField(default=dict)
    properties = models.JSONField(default=dict)
    status = models.CharField(max_length=32, default="CREATE_COMPLETE")
    order = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return self.logical_id


class NotebookInstance(models.Model):
    account = models.CharField(max_length=12)
    region = models.CharField(max_length=32)
    name = models.CharField(max_length=63)
    arn = models.CharField(max_length=300)
    status = models.CharField(max_length=32)
    # A transition in progress: status becomes ``next_status`` at ``next_at``.
    next_status = models.CharField(max_length=32, blank=True)
    next_at = models.DateTimeField(null=True)
    failure_reason = models.TextField(blank=True)
    instance_type = models.CharField(max_length=32)
    volume_size_gb = models.PositiveIntegerField(default=5)
    kms_key_id = models.CharField(max_length=2048, blank=True)
    subnet_id = models.CharField(max_length=32, blank=True)
    security_groups = models.JSONField(default=list)
    role_arn = models.CharField(max_length=2048)
    root_access = models.CharField(max_length=16, default="Enabled")
    direct_internet_access = models.CharField(max_length=16, default="Enabled")
    platform_identifier = models.CharField(max_length=32, default="notebook-al2-v2")
    lifecycle_config = models.CharField(max_length=63, blank=True)
    created_at = models.DateTimeField()
    modified_at = models.DateTimeField()
    product = models.ForeignKey(ProvisionedProduct, null=True, on_delete=models.SET_NULL)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["account", "region", "name"],
                                               name="fakeaws_notebook_unique")]

    def __str__(self) -> str:
        return self.arn


class StudioDomain(models.Model):
    account = models.CharField(max_length=12)
    region = models.CharField(max_length=32)
    domain_id = models.CharField(max_length=63, unique=True)
    name = models.CharField(max_length=63)
    arn = models.CharField(max_length=300)
    status = models.CharField(max_length=32, default="InService")
    vpc_id = models.CharField(max_length=32)
    subnet_ids = models.JSONField(default=list)
    execution_role = models.CharField(max_length=2048)
    kms_key_id = models.CharField(max_length=2048, blank=True)
    created_at = models.DateTimeField()

    def __str__(self) -> str:
        return self.domain_id


class UserProfile(models.Model):
    domain = models.ForeignKey(StudioDomain, on_delete=models.CASCADE, related_name="profiles")
    name = models.CharField(max_length=63)
    arn = models.CharField(max_length=300)
    status = models.CharField(max_length=32)
    next_status = models.CharField(max_length=32, blank=True)
    next_at = models.DateTimeField(null=True)
    execution_role = models.CharField(max_length=2048, blank=True)
    idle_settings = models.JSONField(default=dict)  # JupyterLab's IdleSettings, as validated
    created_at = models.DateTimeField()
    modified_at = models.DateTimeField()
    product = models.ForeignKey(ProvisionedProduct, null=True, on_delete=models.SET_NULL)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["domain", "name"],
                                               name="fakeaws_profile_unique")]

    def __str__(self) -> str:
        return self.arn


class SageMakerProject(models.Model):
    account = models.CharField(max_length=12)
    region = models.CharField(max_length=32)
    name = models.CharField(max_length=32)
    project_id = models.CharField(max_length=20, unique=True)
    arn = models.CharField(max_length=300)
    description = models.TextField(blank=True)
    status = models.CharField(max_length=32)
    product = models.ForeignKey(ProvisionedProduct, null=True, on_delete=models.SET_NULL)
    provisioning_details = models.JSONField(default=dict)
    created_by = models.CharField(max_length=300)
    created_at = models.DateTimeField()
    visible_at = models.DateTimeField()
    modified_at = models.DateTimeField()
    deleted = models.BooleanField(default=False)

    def __str__(self) -> str:
        return self.arn


class Tag(models.Model):
    """A tag on any resource, keyed by ARN (what ListTags and GetResources read)."""

    account = models.CharField(max_length=12)
    region = models.CharField(max_length=32)
    resource_arn = models.CharField(max_length=2048)
    key = models.CharField(max_length=128)
    value = models.CharField(max_length=256, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["resource_arn", "key"],
                                               name="fakeaws_tag_unique")]

    def __str__(self) -> str:
        return f"{self.key}={self.value}"


class StsSession(models.Model):
    """Temporary credentials the fake STS issued. Only a hash of the session token is kept."""

    access_key_id = models.CharField(max_length=20, unique=True)
    token_sha256 = models.CharField(max_length=64)
    account = models.CharField(max_length=12)
    role_arn = models.CharField(max_length=2048)
    role_id = models.CharField(max_length=32)
    session_name = models.CharField(max_length=64)
    source_identity = models.CharField(max_length=64, blank=True)
    tags = models.JSONField(default=dict)
    issued_by = models.CharField(max_length=2048)
    issued_at = models.DateTimeField()
    expires_at = models.DateTimeField()

    def __str__(self) -> str:
        return self.access_key_id


class FaultRule(models.Model):
    """An error to answer instead of the real one, ``remaining`` more times (see faults.py)."""

    service = models.CharField(max_length=64)
    operation = models.CharField(max_length=64, blank=True)  # empty: any
    account = models.CharField(max_length=12, blank=True)    # empty: any
    code = models.CharField(max_length=128)
    status = models.PositiveSmallIntegerField(default=400)
    message = models.TextField(blank=True)
    remaining = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.service}.{self.operation or '*'} {self.code}"


class CallLog(models.Model):
    """One request botocore sent (each retry is a row), as CloudTrail would record it."""

    service = models.CharField(max_length=64)
    operation = models.CharField(max_length=64)
    account = models.CharField(max_length=12, blank=True)
    region = models.CharField(max_length=32, blank=True)
    principal = models.CharField(max_length=2048, blank=True)
    session_name = models.CharField(max_length=64, blank=True)
    source_identity = models.CharField(max_length=64, blank=True)
    error_code = models.CharField(max_length=128, blank=True)
    at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["service", "operation"])]

    def __str__(self) -> str:
        return f"{self.service}.{self.operation}"


class ProvisionedProductPlan(models.Model):
    """A Service Catalog plan (CloudFormation change set) awaiting execution."""

    account = models.CharField(max_length=12)
    region = models.CharField(max_length=32)
    plan_id = models.CharField(max_length=32, unique=True)
    name = models.CharField(max_length=128)
    token = models.CharField(max_length=128, blank=True)
    pp_name = models.CharField(max_length=128)
    pp_id = models.CharField(max_length=32, blank=True)  # set when it plans an update
    product_id = models.CharField(max_length=32)
    artifact_id = models.CharField(max_length=32)
    path_id = models.CharField(max_length=32, blank=True)
    parameters = models.JSONField(default=list)  # as given, UsePreviousValue kept
    tags = models.JSONField(default=list)
    status = models.CharField(max_length=32)
    status_message = models.TextField(blank=True)
    changes = models.JSONField(default=list)
    created_by = models.CharField(max_length=300)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    def __str__(self) -> str:
        return self.plan_id


class Queue(models.Model):
    """An SQS standard queue; ``attributes`` as SQS keeps them (strings), RedrivePolicy included."""

    account = models.CharField(max_length=12)
    region = models.CharField(max_length=32)
    name = models.CharField(max_length=80)
    attributes = models.JSONField(default=dict)
    created_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["account", "region", "name"],
                                               name="fakeaws_queue_unique")]

    def __str__(self) -> str:
        return f"{self.account}/{self.region}/{self.name}"


class QueueMessage(models.Model):
    """A message on a fake queue: invisible until ``visible_at`` (delay, or a receive's
    visibility timeout); ``receipt`` is the handle of its latest receive."""

    queue = models.ForeignKey(Queue, on_delete=models.CASCADE, related_name="messages")
    message_id = models.CharField(max_length=36, unique=True)
    body = models.TextField()
    sent_at = models.DateTimeField()
    visible_at = models.DateTimeField()
    receive_count = models.PositiveIntegerField(default=0)
    first_received_at = models.DateTimeField(null=True)
    receipt = models.CharField(max_length=64, blank=True)

    class Meta:
        indexes = [models.Index(fields=["queue", "visible_at"])]

    def __str__(self) -> str:
        return self.message_id


class MeteredRun(models.Model):
    """A resource's billable run (a notebook InService), what the fake Cost Explorer bills.

    ``tags`` are the resource's tags when the run began: billing attributes a line item to the
    tags the resource carried while it ran, so a tag removed later does not rewrite history.
    ``ended_at`` is null while it still runs.
    """

    account = models.CharField(max_length=12)
    region = models.CharField(max_length=32)
    resource_arn = models.CharField(max_length=2048)
    usage_type = models.CharField(max_length=64)  # the instance type
    usd_per_hour = models.DecimalField(max_digits=12, decimal_places=6)
    tags = models.JSONField(default=dict)
    started_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True)

    class Meta:
        indexes = [models.Index(fields=["account", "started_at"],
                                name="fakeaws_run_account_start")]

    def __str__(self) -> str:
        return f"{self.resource_arn} {self.started_at:%Y-%m-%d %H:%M}"


class CostAllocationTag(models.Model):
    """A user-defined tag key's cost-allocation status in an account (Billing console /
    UpdateCostAllocationTagsStatus). Cost Explorer groups by a key only while it is active, and
    only for usage from the day it was activated (no backfill in the fake)."""

    account = models.CharField(max_length=12)
    key = models.CharField(max_length=128)
    status = models.CharField(max_length=8)  # Active, Inactive
    updated_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["account", "key"],
                                               name="fakeaws_cost_tag_unique")]

    def __str__(self) -> str:
        return f"{self.account} {self.key} {self.status}"
