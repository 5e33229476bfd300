"""The catalog: a curated mirror of AWS Service Catalog, per AWS target (account + region).

Rows that disappear upstream are retired (``retired_at`` set), never deleted, so requests and
environments keep pointing at what was requested. Curation (published, visibility, kind, output
mapping, default version, parameter overrides, prices) is owned by the portal and never touched by
the sync.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.conf import settings
from django.contrib.auth.models import Group
from django.core.validators import MinValueValidator
from django.db import models

from portal.models import Project, aws_account_id_validator, aws_region_validator

HOURS_PER_MONTH = 730  # AWS's own convention for monthly estimates: 24 × 365 / 12.


class AwsTargetFields(models.Model):
    aws_account_id = models.CharField(max_length=12, validators=[aws_account_id_validator])
    aws_region = models.CharField(max_length=32, validators=[aws_region_validator])

    class Meta:
        abstract = True


class Portfolio(AwsTargetFields):
    """A Service Catalog portfolio in one AWS target."""

    portfolio_id = models.CharField(max_length=100)
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    provider_name = models.CharField(max_length=200, blank=True)
    retired_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["aws_account_id", "aws_region", "portfolio_id"],
                name="portfolio_unique_per_target",
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.portfolio_id})"


class Product(AwsTargetFields):
    """A Service Catalog product, with the platform team's curation on top."""

    class Kind(models.TextChoices):
        NOTEBOOK_INSTANCE = "notebook_instance", "SageMaker notebook instance"
        STUDIO_USER_PROFILE = "studio_user_profile", "SageMaker Studio user profile"
        SAGEMAKER_PROJECT = "sagemaker_project", "SageMaker project"
        OTHER = "other", "Other"

    product_id = models.CharField(max_length=100)
    name = models.CharField(max_length=200)
    owner = models.CharField(max_length=200, blank=True)
    description = models.TextField(blank=True)
    distributor = models.CharField(max_length=200, blank=True)
    support_email = models.CharField(max_length=254, blank=True)
    support_url = models.CharField(max_length=2048, blank=True)
    product_type = models.CharField(max_length=50, blank=True)
    portfolios = models.ManyToManyField(Portfolio, related_name="products", blank=True)
    tag_options: models.ManyToManyField[TagOption, Any] = models.ManyToManyField(
        "TagOption", related_name="products", blank=True)
    retired_at = models.DateTimeField(null=True, blank=True)

    # Curation, never written by the sync.
    kind = models.CharField(max_length=30, choices=Kind.choices, default=Kind.OTHER)
    published = models.BooleanField(default=False)
    visible_to_groups = models.ManyToManyField(Group, related_name="+", blank=True)
    visible_to_projects = models.ManyToManyField(Project, related_name="+", blank=True)
    default_version = models.ForeignKey(
        "ProductVersion", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    hide_deprecated = models.BooleanField(default=True)
    # Leases of its environments; with a project's terms, the shorter applies (catalog.leases).
    lease_default_days = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MinValueValidator(1)],
        help_text="Lease offered by default (days); empty: PORTAL_LEASE_DEFAULT_DAYS.")
    lease_max_days = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MinValueValidator(1)],
        help_text="Longest lease a requester may pick (days); empty: PORTAL_LEASE_MAX_DAYS.")
    output_mapping = models.JSONField(
        default=dict, blank=True,
        help_text="Which stack output carries each resource identifier of the kind.",
    )
    # Studio profiles: which template parameter carries each idle-shutdown setting
    # (catalog.idle); empty: the portal leaves idle shutdown to the template.
    idle_parameters = models.JSONField(
        default=dict, blank=True,
        help_text="Template parameter carrying each IdleSettings field (LifecycleManagement, "
                  "IdleTimeoutInMinutes, MinIdleTimeoutInMinutes, MaxIdleTimeoutInMinutes).")
    # TagOptions as DescribeProvisioningParameters of the launch path reports them ({key:
    # [values]}): product-, portfolio- and hub-shared ones alike. None: not read yet.
    launch_tag_options = models.JSONField(null=True, blank=True)
    # Cost estimate inputs (catalog.estimates) for products without an InstanceType parameter.
    estimate_instance_types = models.JSONField(
        default=list, blank=True,
        help_text="Instance types the product runs by default, priced from the price table "
                  "(Studio's default app instance types, instances a SageMaker project template "
                  "declares); used when no InstanceType parameter is chosen.")
    flat_monthly_usd = models.DecimalField(
        max_digits=10, decimal_places=2, null=True, blank=True,
        validators=[MinValueValidator(Decimal("0"))],
        help_text="A flat monthly figure set by the platform team; when set it is the estimate.")

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["aws_account_id", "aws_region", "product_id"],
                name="product_unique_per_target",
            )
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_retired(self) -> bool:
        return self.retired_at is not None


# The resource identifiers provisioning needs for each kind, and the output keys that usually
# carry them (the admin can change the mapping per product).
OUTPUT_FIELDS: dict[str, dict[str, str]] = {
    Product.Kind.NOTEBOOK_INSTANCE: {"notebook_instance_name": "NotebookInstanceName"},
    Product.Kind.STUDIO_USER_PROFILE: {"domain_id": "DomainId",
                                       "user_profile_name": "UserProfileName"},
    Product.Kind.SAGEMAKER_PROJECT: {"project_name": "SageMakerProjectName"},
    Product.Kind.OTHER: {},
}


class ProductVersion(models.Model):
    """A provisioning artifact of a product."""

    class Guidance(models.TextChoices):
        DEFAULT = "DEFAULT", "Default"
        DEPRECATED = "DEPRECATED", "Deprecated"

    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="versions")
    artifact_id = models.CharField(max_length=100)
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    active = models.BooleanField(default=True)
    guidance = models.CharField(max_length=12, choices=Guidance.choices, default=Guidance.DEFAULT)
    aws_created_at = models.DateTimeField(null=True, blank=True)
    output_keys = models.JSONField(default=list, blank=True)
    usage_instructions = models.JSONField(default=list, blank=True)
    retired_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["product", "-aws_created_at", "name"]
        constraints = [
            models.UniqueConstraint(fields=["product", "artifact_id"],
                                    name="version_unique_per_product")
        ]

    def __str__(self) -> str:
        return f"{self.product.name} {self.name}"

    @property
    def is_deprecated(self) -> bool:
        return self.guidance == self.Guidance.DEPRECATED

    @property
    def requestable(self) -> bool:
        return self.active and self.retired_at is None


class LaunchPath(models.Model):
    """A launch path (portfolio + constraints) through which a product can be provisioned."""

    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="launch_paths")
    path_id = models.CharField(max_length=100)
    name = models.CharField(max_length=200, blank=True)
    constraints = models.JSONField(default=list, blank=True)
    retired_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["product", "path_id"]
        constraints = [
            models.UniqueConstraint(fields=["product", "path_id"],
                                    name="launch_path_unique_per_product")
        ]

    def __str__(self) -> str:
        return f"{self.name or self.path_id}"


class ParameterSpec(models.Model):
    """One parameter of a version's template, as DescribeProvisioningParameters reports it."""

    version = models.ForeignKey(ProductVersion, on_delete=models.PROTECT, related_name="parameters")
    key = models.CharField(max_length=255)
    position = models.PositiveIntegerField(default=0)
    parameter_type = models.CharField(max_length=255, default="String")
    # None (no default: the parameter is required) differs from "" (an empty default).
    default = models.TextField(null=True, blank=True)  # noqa: DJ001
    description = models.TextField(blank=True)
    allowed_values = models.JSONField(default=list, blank=True)
    allowed_pattern = models.TextField(blank=True)
    constraint_description = models.TextField(blank=True)
    min_length = models.PositiveIntegerField(null=True, blank=True)
    max_length = models.PositiveIntegerField(null=True, blank=True)
    min_value = models.DecimalField(max_digits=30, decimal_places=6, null=True, blank=True)
    max_value = models.DecimalField(max_digits=30, decimal_places=6, null=True, blank=True)
    no_echo = models.BooleanField(default=False)
    # Set by the sync when Python cannot compile allowed_pattern (CloudFormation's are Java
    # regexes): the pattern is then not applied, and the admin is told.
    pattern_error = models.TextField(blank=True)
    retired_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["version", "position", "key"]
        constraints = [
            models.UniqueConstraint(fields=["version", "key"], name="parameter_unique_per_version")
        ]

    def __str__(self) -> str:
        return self.key


class ParameterOverride(models.Model):
    """The platform team's curation of one parameter key, for every version of a product.

    ``allowed_values`` narrows what AWS allows (null: not narrowed); it must stay a subset of the
    AWS allowed values of every version that has the parameter.
    """

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="overrides")
    key = models.CharField(max_length=255)
    hidden = models.BooleanField(default=False)
    fixed_value = models.TextField(blank=True)
    default = models.TextField(null=True, blank=True)  # noqa: DJ001 - None: keep AWS's
    allowed_values = models.JSONField(null=True, blank=True)
    label = models.CharField(max_length=200, blank=True)
    help_text = models.TextField(blank=True)
    on_change = models.CharField(
        max_length=8, blank=True, choices=[
            ("", "As the portal decides (its resource names are read-only)"),
            ("keep", "Names the resource: read-only in a change request"),
            ("replace", "May change: flagged, it replaces the resource and its data is lost"),
        ], help_text="What a change request may do with this parameter.")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["product", "key"]
        constraints = [
            models.UniqueConstraint(fields=["product", "key"], name="override_unique_per_product")
        ]

    def __str__(self) -> str:
        return f"{self.product.name}: {self.key}"


class TagOption(AwsTargetFields):
    """A Service Catalog TagOption (a key and one allowed value) of one AWS target."""

    tag_option_id = models.CharField(max_length=100)
    key = models.CharField(max_length=128)
    value = models.CharField(max_length=256)
    active = models.BooleanField(default=True)
    retired_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["key", "value"]
        constraints = [
            models.UniqueConstraint(
                fields=["aws_account_id", "aws_region", "tag_option_id"],
                name="tag_option_unique_per_target",
            )
        ]

    def __str__(self) -> str:
        return f"{self.key}={self.value}"


class InstancePrice(models.Model):
    """On-demand hourly price of a SageMaker instance type in a region, in US dollars."""

    instance_type = models.CharField(max_length=64)
    region = models.CharField(max_length=32, validators=[aws_region_validator])
    usd_per_hour = models.DecimalField(
        max_digits=10, decimal_places=4, validators=[MinValueValidator(Decimal("0"))]
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["region", "instance_type"]
        constraints = [
            models.UniqueConstraint(fields=["instance_type", "region"],
                                    name="price_unique_per_type_region")
        ]

    def __str__(self) -> str:
        return f"{self.instance_type} in {self.region}: ${self.usd_per_hour}/h"

    @property
    def usd_per_month(self) -> Decimal:
        return (self.usd_per_hour * HOURS_PER_MONTH).quantize(Decimal("0.01"))


class StoragePrice(models.Model):
    """Price of SageMaker ML storage (a notebook's volume) per GB-month in a region, in USD."""

    region = models.CharField(max_length=32, unique=True, validators=[aws_region_validator])
    usd_per_gb_month = models.DecimalField(
        max_digits=10, decimal_places=4, validators=[MinValueValidator(Decimal("0"))]
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["region"]

    def __str__(self) -> str:
        return f"ML storage in {self.region}: ${self.usd_per_gb_month}/GB-month"


class SyncRun(models.Model):
    """One run of the catalog sync over every AWS target, with its outcome."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Succeeded"
        PARTIAL = "partial", "Finished with errors"
        FAILED = "failed", "Failed"

    class Trigger(models.TextChoices):
        COMMAND = "command", "manage.py sync_catalog"
        SCHEDULE = "schedule", "Periodic task"
        BUTTON = "button", "Sync now"

    trigger = models.CharField(max_length=10, choices=Trigger.choices)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    created_at = models.DateTimeField(auto_now_add=True)
    dispatched_at = models.DateTimeField(
        null=True, blank=True,
        help_text="When the broker took the task of a queued run (empty: not sent yet; the "
                  "sweep sends it).")
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    added = models.PositiveIntegerField(default=0)
    updated = models.PositiveIntegerField(default=0)
    retired = models.PositiveIntegerField(default=0)
    errors = models.JSONField(default=list, blank=True)
    # What the platform team should fix upstream (no launch constraint, a TagOption that collides
    # with a portal tag, a pattern Python cannot apply): the sync still applied the target.
    warnings = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"Catalog sync #{self.pk} ({self.status})"
