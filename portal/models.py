"""People, projects and the audit trail: the part of the domain every other app builds on."""

from __future__ import annotations

import hashlib
import uuid
from decimal import Decimal
from typing import Any, ClassVar, NoReturn

from django.contrib.auth.models import AbstractUser
from django.core.validators import MinValueValidator, RegexValidator
from django.db import models, router, transaction
from django.db.models import F
from django.db.models.functions import Upper
from django.utils import timezone

from portal.audit_chain import chain_link
from portal.time_zones import time_zone_validate
from portal.user_manager import PortalUserManager

aws_account_id_validator = RegexValidator(r"^\d{12}$", "An AWS account id is 12 digits.")
aws_region_validator = RegexValidator(
    r"^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d$", "Not an AWS region name (for example eu-west-1)."
)
aws_role_arn_validator = RegexValidator(
    r"^arn:aws[a-z-]*:iam::\d{12}:role/[\w+=,.@/-]{1,512}$",
    "Not an IAM role ARN (arn:aws:iam::123456789012:role/Name).",
)


class Role(models.TextChoices):
    """Portal roles, granted by IdP groups through PORTAL_ROLE_GROUPS."""

    CATALOG_ADMIN = "catalog_admin", "Platform admin"
    AUDITOR = "auditor", "Auditor"
    APPROVER = "approver", "Approver"


class User(AbstractUser):
    """A person signed in through SAML; attributes are refreshed from the IdP at every sign-in."""

    department = models.CharField(max_length=200, blank=True)
    cost_center = models.CharField(max_length=100, blank=True)
    manager = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="reports"
    )
    # The IdP's manager value (uid or email) kept until that manager has signed in once.
    manager_ref = models.CharField(max_length=254, blank=True)
    owner_id = models.CharField(
        max_length=256,
        blank=True,
        help_text="Value of the AWS 'owner' tag: aws:userid of the user's federated role.",
    )
    roles = models.JSONField(default=list, blank=True)
    idp_groups = models.JSONField(default=list, blank=True)
    last_saml_sign_in = models.DateTimeField(null=True, blank=True)
    time_zone = models.CharField(
        max_length=64, blank=True, validators=[time_zone_validate],
        help_text="IANA time zone name (Europe/Paris); blank: PORTAL_OWNER_TIME_ZONE. "
                  "Auto-stop schedules run on this clock.")

    objects: ClassVar[PortalUserManager] = PortalUserManager()

    def has_role(self, role: str) -> bool:
        return self.is_active and role in (self.roles or [])

    @property
    def is_catalog_admin(self) -> bool:
        return self.has_role(Role.CATALOG_ADMIN)

    @property
    def is_auditor(self) -> bool:
        return self.has_role(Role.AUDITOR)

    @property
    def is_approver(self) -> bool:
        return self.has_role(Role.APPROVER)

    @property
    def role_labels(self) -> list[tuple[str, str]]:
        """(role, the words the README and the pages use for it), for the roles held now."""
        known = dict(Role.choices)
        return [(role, str(known[role])) for role in self.roles if role in known]

    @property
    def display_name(self) -> str:
        return self.get_full_name() or self.username


class Project(models.Model):
    """A team's workspace, mapped to one AWS account and region."""

    class Environment(models.TextChoices):
        DEV = "dev", "Development"
        UAT = "uat", "User acceptance"
        PROD = "prod", "Production"

    slug = models.SlugField(max_length=60, unique=True)
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    cost_center = models.CharField(max_length=100)
    environment = models.CharField(max_length=10, choices=Environment.choices)
    aws_account_id = models.CharField(max_length=12, validators=[aws_account_id_validator])
    aws_region = models.CharField(max_length=32, validators=[aws_region_validator])
    aws_role_arn = models.CharField(
        max_length=2048, blank=True, validators=[aws_role_arn_validator],
        help_text="Role the portal assumes in the project's account; empty uses its own identity.",
    )
    aws_external_id = models.CharField(max_length=1224, blank=True)
    monthly_budget = models.DecimalField(
        max_digits=12, decimal_places=2, default=Decimal("0"),
        validators=[MinValueValidator(Decimal("0"))],
    )
    class BudgetPolicy(models.TextChoices):
        OFF = "off", "Not enforced (shown to approvers only)"
        REFUSE = "refuse", "Refuse a request that would take the forecast over the budget"
        APPROVAL = "approval", "Send such a request to an extra platform-admin step"

    budget_policy = models.CharField(
        max_length=10, choices=BudgetPolicy.choices, default=BudgetPolicy.OFF,
        help_text="What happens to a request whose estimate would take the month's forecast "
                  "(spend so far + what runs until the month ends) over the monthly budget; "
                  "a budget of 0 is never enforced.")
    active = models.BooleanField(default=True)
    # Leases of the project's environments: where project and product both set one, the shorter
    # applies (catalog.leases); neither: the PORTAL_LEASE_* settings.
    lease_default_days = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MinValueValidator(1)],
        help_text="Lease offered by default on the request form (days); the shorter of the "
                  "project's and the product's applies; empty: PORTAL_LEASE_DEFAULT_DAYS.")
    lease_max_days = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MinValueValidator(1)],
        help_text="Longest lease (and extension) a requester may pick (days); the shorter of "
                  "the project's and the product's applies; empty: PORTAL_LEASE_MAX_DAYS.")
    lease_grace_days = models.PositiveSmallIntegerField(
        null=True, blank=True,
        help_text="Days between the lease end (notebooks stopped) and termination; empty: "
                  "PORTAL_LEASE_GRACE_DAYS.")
    # Leavers and movers (the identity app): what becomes of an environment whose owner is
    # deactivated (SCIM, a platform admin) or loses access to this project.
    class LeaverEnvironments(models.TextChoices):
        MANAGER = "manager", "Transfer to the owner's manager"
        LEAD = "lead", "Transfer to a project lead"
        TERMINATE = "terminate", "Terminate after the grace days"

    leaver_environments = models.CharField(
        max_length=10, choices=LeaverEnvironments.choices, default=LeaverEnvironments.MANAGER,
        help_text="When an owner leaves (or leaves this project): the environment is handed to "
                  "their manager or a project lead (owner in the portal and in AWS), or "
                  "stopped and terminated after the grace days. Without anyone to hand it to, "
                  "it is terminated after the grace days.")
    leaver_grace_days = models.PositiveSmallIntegerField(
        default=14, help_text="Days between a leaver's environment being stopped and its "
                              "termination (when it is not handed over).")
    access_group = models.CharField(
        max_length=500, blank=True,
        help_text="IdP group (name or DN) whose members may use the project: removing a member "
                  "from it (SCIM group update, or the next SAML sign-in without it) ends their "
                  "membership. Empty: memberships are managed here only.")
    members: models.ManyToManyField[User, Membership] = models.ManyToManyField(
        User, through="Membership", related_name="projects"
    )

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Membership(models.Model):
    class ProjectRole(models.TextChoices):
        MEMBER = "member", "Member"
        LEAD = "lead", "Project lead"

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=10, choices=ProjectRole.choices, default=ProjectRole.MEMBER)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user", "project"], name="membership_unique_user_project"
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} in {self.project} ({self.role})"


class AppendOnlyError(Exception):
    """Raised when code tries to change or remove an audit event."""


class AuditEventQuerySet(models.QuerySet["AuditEvent"]):
    def update(self, **kwargs: Any) -> NoReturn:
        raise AppendOnlyError("Audit events are append-only: they cannot be updated.")

    def delete(self) -> NoReturn:
        raise AppendOnlyError("Audit events are append-only: they cannot be deleted.")

    def bulk_create(self, *args: Any, **kwargs: Any) -> NoReturn:
        # It skips save(), so the rows would carry no hash chain link.
        raise AppendOnlyError("Audit events are appended one at a time (audit_record).")


class AuditEvent(models.Model):
    """One entry of the append-only audit trail. Written by services, read by auditors."""

    at = models.DateTimeField(default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    actor_username = models.CharField(max_length=150, blank=True)
    action = models.CharField(max_length=80, db_index=True)
    object_type = models.CharField(max_length=80, blank=True)
    object_id = models.CharField(max_length=80, blank=True)
    object_repr = models.CharField(max_length=300, blank=True)
    project = models.ForeignKey(
        Project, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    data = models.JSONField(default=dict, blank=True)
    source_ip = models.GenericIPAddressField(null=True, blank=True)
    request_id = models.CharField(max_length=64, blank=True)
    # The hash chain (portal/audit_chain.py): the previous event's hash, and this event's.
    prev_hash = models.CharField(max_length=64, editable=False)
    hash = models.CharField(max_length=64, editable=False)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        ordering = ["-at", "-id"]
        # Related-object access goes through the refusing queryset too.
        base_manager_name = "objects"
        indexes = [
            models.Index(fields=["object_type", "object_id"]),
            # The audit trail's actor filter compares UPPER(actor_username) (case-insensitive,
            # as sign-in matches usernames): an index on the expression, not a scan (issue 16),
            # then on the trail's order, so a page of an actor's events is read backwards off
            # the index (51 rows) instead of fetching and sorting all of the actor's events.
            models.Index(Upper("actor_username"), F("at"), F("id"), name="portal_audit_actor_at"),
        ]
        # No two events link to the same predecessor: the chain cannot fork. Conditional only
        # so that SQLite adds them as indexes instead of rebuilding the table.
        constraints = [
            models.UniqueConstraint(fields=["prev_hash"], condition=~models.Q(prev_hash=""),
                                    name="portal_auditevent_prev_hash_unique"),
            models.UniqueConstraint(fields=["hash"], condition=~models.Q(hash=""),
                                    name="portal_auditevent_hash_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.actor_username or '-'} {self.action}"

    def save(self, **kwargs: Any) -> None:
        # Always an INSERT: an unsaved instance given an existing pk would otherwise be an UPDATE.
        updating = kwargs.get("force_update") or kwargs.get("update_fields") is not None
        if not self._state.adding or updating:
            raise AppendOnlyError("Audit events are append-only: they cannot be updated.")
        if self.pk is not None:
            raise AppendOnlyError("Audit events get their id from the chain, not the caller.")
        using = kwargs.get("using") or router.db_for_write(type(self), instance=self)
        with transaction.atomic(using=using):
            chain_link(self, using=using)
            super().save(**{**kwargs, "using": using, "force_insert": True})

    def delete(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise AppendOnlyError("Audit events are append-only: they cannot be deleted.")


class SeenAssertion(models.Model):
    """SAML assertion ids already consumed, so a captured response cannot be replayed."""

    assertion_id = models.CharField(max_length=256, unique=True)
    not_on_or_after = models.DateTimeField()
    seen_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return self.assertion_id


class ApiToken(models.Model):
    """A person's API token. Only the key's SHA-256 digest is stored; the key is shown once.

    A plain digest (no salt, no slow hash) is enough: keys are 256 random bits, so there is no
    dictionary to try, and a lookup by digest stays one indexed query per API call.
    """

    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="api_token")
    digest = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"API token of {self.user} (expires {self.expires_at:%Y-%m-%d})"

    @property
    def expired(self) -> bool:
        return self.expires_at <= timezone.now()

    @staticmethod
    def digest_of(key: str) -> str:
        return hashlib.sha256(key.encode()).hexdigest()


class FailedEmail(models.Model):
    """A notification the mail relay never took: refused, or still failing after the last retry.

    Listed (count and latest) on platform admins' dashboard. Holds who and what it was about,
    never the body (the person can be told again from the page the link pointed to).
    """

    at = models.DateTimeField(default=timezone.now, db_index=True)
    kind = models.CharField(max_length=40)
    recipient = models.EmailField(max_length=254)
    subject = models.CharField(max_length=300)
    attempts = models.PositiveIntegerField()
    error = models.CharField(max_length=500)
    request_id = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.kind} to {self.recipient}"


def new_request_id() -> str:
    return uuid.uuid4().hex


class WorkerHeartbeat(models.Model):
    """The last time a Celery worker ran the periodic heartbeat task (portal/worker_health.py)."""

    worker = models.CharField(max_length=255, unique=True)  # the worker's node name
    answered_at = models.DateTimeField(default=timezone.now, db_index=True)

    def __str__(self) -> str:
        return f"{self.worker} answered at {self.answered_at:%Y-%m-%d %H:%M:%S}"


class Notification(models.Model):
    """An in-app notice for one person: what happened and where to look (a portal path).

    Written by `portal.notifications.notify` next to the e-mail, in the transaction of the change
    it tells about. Holds names and a link only: never a presigned URL or a NoEcho value.
    """

    recipient = models.ForeignKey(User, on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(max_length=40)
    text = models.CharField(max_length=300)
    link = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["recipient", "-created_at"], name="notification_recent"),
                   models.Index(fields=["recipient", "read_at"], name="notification_unread")]

    def __str__(self) -> str:
        return f"{self.kind} for {self.recipient_id}: {self.text}"
