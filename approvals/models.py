"""Requests for environments and the approval workflow they go through.

A ``Request`` is matched against the ordered ``ApprovalRule``s of the active ``ApprovalPolicy``s;
the first matching rule either approves at once or yields ordered ``ApprovalStep``s. Each step
becomes one ``ApprovalTask`` per request when the previous step completes; the task keeps the
approvers resolved at its creation, so later policy edits never change a request in flight.
"""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.contrib.auth.models import Group
from django.core.validators import MinValueValidator
from django.db import models, transaction
from django.db.models import F, Max

from catalog.models import Product, ProductVersion
from portal.models import Project

REFERENCE_PREFIX = "REQ-"
# The first reference a database hands out is REQ-1001: four digits from the start, so the
# references people quote read alike for the first nine thousand requests.
FIRST_NUMBER = 1001


class RequestNumber(models.Model):
    """The last request number handed out: one row, incremented under its row lock.

    ``next_number`` updates before it reads, so the increment takes the row's write lock first
    (PostgreSQL: a row lock held to the end of the transaction; SQLite: the database's write lock,
    taken at BEGIN IMMEDIATE): two concurrent creates can never read the same value.
    """

    name = models.CharField(max_length=20, primary_key=True, default="request")
    last = models.PositiveBigIntegerField(default=FIRST_NUMBER - 1)

    def __str__(self) -> str:
        return f"{self.name}: {self.last}"

    @classmethod
    def next_number(cls) -> int:
        with transaction.atomic():
            if not cls.objects.filter(name="request").update(last=F("last") + 1):
                # No row (a flushed test database): start after the highest number in use.
                highest = Request.objects.aggregate(n=Max("number"))["n"] or FIRST_NUMBER - 1
                cls.objects.get_or_create(name="request", defaults={"last": highest})
                cls.objects.filter(name="request").update(last=F("last") + 1)
            return int(cls.objects.values_list("last", flat=True).get(name="request"))


class ReferenceConverter:
    """The ``<reference:…>`` URL converter: ``REQ-1042`` in any case (registered in urls.py)."""

    regex = "[Rr][Ee][Qq]-[0-9]{1,12}"

    def to_python(self, value: str) -> str:
        return value.upper()

    def to_url(self, value: str) -> str:
        return value


def reference_number(text: str) -> int | None:
    """The number in a reference as people type it (``REQ-1042``, ``req-1042``, ``1042``)."""
    value = text.strip().upper()
    value = value.removeprefix(REFERENCE_PREFIX)
    if not (value.isascii() and value.isdigit()) or len(value) > 12:
        return None
    return int(value)


class Request(models.Model):
    """A data scientist's request to create, change or terminate an environment."""

    class Action(models.TextChoices):
        CREATE = "create", "Create a new environment"
        UPDATE = "update", "Change an environment"
        EXTEND = "extend", "Extend an environment's lease"
        TERMINATE = "terminate", "Terminate an environment"

    class Status(models.TextChoices):
        PENDING = "pending", "Pending approval"
        APPROVED = "approved", "Approved"
        REJECTED = "rejected", "Rejected"
        CANCELLED = "cancelled", "Cancelled"
        EXPIRED = "expired", "Expired"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    # The short reference people quote (REQ-1042): sequential, assigned when the row is inserted.
    number = models.PositiveBigIntegerField(unique=True, editable=False)
    requester = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="approval_requests"
    )
    project = models.ForeignKey(Project, on_delete=models.PROTECT, related_name="+")
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="+")
    version = models.ForeignKey(ProductVersion, on_delete=models.PROTECT, related_name="+")
    action = models.CharField(max_length=20, choices=Action.choices, default=Action.CREATE)
    # The environment a day-2 action applies to. A plain reference: the provisioning app depends
    # on this one, never the other way round.
    # Null, not blank, for "no environment" (a new one), as the issue asks.
    environment_ref = models.CharField(max_length=64, null=True, blank=True)  # noqa: DJ001
    # The environment's name as the requester knows it: the name they chose for a new one, or the
    # name of the environment a day-2 request is about. Empty: the portal names it.
    name = models.CharField(max_length=128, blank=True, default="")
    parameters = models.JSONField(default=dict, blank=True)
    tag_choices = models.JSONField(default=dict, blank=True)
    justification = models.TextField()
    estimated_monthly_cost = models.DecimalField(
        max_digits=12, decimal_places=2, null=True, blank=True,
        validators=[MinValueValidator(Decimal("0"))],
    )
    # The lease asked for, in days: a new environment's (from its hand-off), or the extension
    # of an ``extend`` request (from the current lease end). Within ``catalog.leases`` terms.
    lease_days = models.PositiveSmallIntegerField(null=True, blank=True)
    # Why a request check sent it to an extra platform-admin step after the policy's steps
    # (``approvals.services.checks.request_review_register``: over budget, say); empty: none.
    extra_review = models.TextField(blank=True, default="")
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.PENDING)
    status_reason = models.TextField(blank=True)
    # PROTECT: the rule (and the steps) a request went through stay on record; a platform admin
    # retires a policy by deactivating it, which only affects requests made afterwards.
    matched_rule = models.ForeignKey(
        "ApprovalRule", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    handed_off_at = models.DateTimeField(null=True, blank=True)
    # The client's Idempotency-Key (the API header, or the request form's per-render key): the
    # same key from the same requester gives back this request instead of a second one. Empty:
    # none was sent. The fingerprint is an HMAC of what was submitted (never the values in
    # clear: they may hold NoEcho secrets), so a reused key with another body is told apart.
    idempotency_key = models.CharField(max_length=255, blank=True, default="")
    idempotency_fingerprint = models.CharField(max_length=64, blank=True, default="")

    class Meta:
        ordering = ["-created_at", "pk"]
        indexes = [models.Index(fields=["status", "created_at"]),
                   # An environment's page finds its day-2 requests by their environment_ref
                   # (a scan of every request without it, issue 16); create requests have none.
                   models.Index(fields=["environment_ref"], name="request_environment_ref",
                                condition=models.Q(environment_ref__isnull=False))]
        constraints = [
            # Scoped to the requester: another user's key never finds this request. The database
            # enforces it, so two simultaneous submits with one key store exactly one request.
            models.UniqueConstraint(
                fields=["requester", "idempotency_key"], name="request_idempotency_key_once",
                condition=~models.Q(idempotency_key=""),
            ),
        ]

    def __str__(self) -> str:
        return (f"{self.reference} {self.get_action_display()}: {self.product.name} in "
                f"{self.project.slug}")

    def save(self, *args: Any, **kwargs: Any) -> None:
        # Every way a request is inserted gets its number (services, fixtures, the admin).
        if self.number is None:
            self.number = RequestNumber.next_number()
        super().save(*args, **kwargs)

    @property
    def reference(self) -> str:
        """``REQ-1042``: how pages, e-mails, the API and the audit trail name the request."""
        return f"{REFERENCE_PREFIX}{self.number}"

    @property
    def is_pending(self) -> bool:
        return self.status == self.Status.PENDING


class ApprovalPolicy(models.Model):
    """A named, ordered set of rules the platform team maintains."""

    name = models.CharField(max_length=200, unique=True)
    description = models.TextField(blank=True)
    position = models.PositiveIntegerField(default=0)
    active = models.BooleanField(default=True)
    distinct_step_approvers = models.BooleanField(
        default=True,
        help_text="Four eyes across steps: someone who decided an earlier step of a request may "
                  "not decide a later one.",
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["position", "pk"]
        verbose_name_plural = "approval policies"

    def __str__(self) -> str:
        return self.name


class ApprovalRule(models.Model):
    """When a request matches every condition set here, the rule decides its workflow.

    Empty conditions match anything. ``auto_approve`` approves at once; otherwise the rule's steps
    run in order.
    """

    policy = models.ForeignKey(ApprovalPolicy, on_delete=models.CASCADE, related_name="rules")
    position = models.PositiveIntegerField(default=0)
    name = models.CharField(max_length=200)
    product = models.ForeignKey(
        Product, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    product_kind = models.CharField(max_length=30, choices=Product.Kind.choices, blank=True)
    actions = models.JSONField(
        default=list, blank=True, help_text="Request actions this rule applies to; empty: all."
    )
    parameter_key = models.CharField(max_length=255, blank=True)
    parameter_values = models.JSONField(
        default=list, blank=True, help_text="The rule matches when the parameter is one of these."
    )
    cost_at_least = models.DecimalField(
        max_digits=12, decimal_places=2, null=True, blank=True,
        help_text="Matches an estimated monthly cost at or above this (USD).",
    )
    cost_below = models.DecimalField(
        max_digits=12, decimal_places=2, null=True, blank=True,
        help_text="Matches an estimated monthly cost below this (USD); an unknown cost never does.",
    )
    project_environment = models.CharField(
        max_length=10, choices=Project.Environment.choices, blank=True
    )
    lease_days_at_most = models.PositiveSmallIntegerField(
        null=True, blank=True,
        help_text="Matches a request whose lease (an extension's length) is at most this many "
                  "days: with auto-approve, short extensions are approved at once.")
    auto_approve = models.BooleanField(default=False)

    class Meta:
        ordering = ["policy__position", "policy_id", "position", "pk"]

    def __str__(self) -> str:
        return self.name


class ApprovalStep(models.Model):
    """One stage of a rule's workflow: who approves, how many of them, and the timings."""

    class Approvers(models.TextChoices):
        MANAGER = "manager", "The requester's manager"
        PROJECT_LEADS = "project_leads", "The project's leads"
        GROUP = "group", "A group"
        USERS = "users", "Named users"

    rule = models.ForeignKey(ApprovalRule, on_delete=models.CASCADE, related_name="steps")
    position = models.PositiveIntegerField(default=0)
    name = models.CharField(max_length=200)
    approvers = models.CharField(max_length=20, choices=Approvers.choices)
    group = models.ForeignKey(
        Group, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    users = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="+")
    required_approvals = models.PositiveIntegerField(default=1, validators=[MinValueValidator(1)])
    remind_after = models.DurationField(null=True, blank=True)
    escalate_after = models.DurationField(null=True, blank=True)
    escalation_group = models.ForeignKey(
        Group, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
        help_text="Empty: PORTAL_APPROVAL_FALLBACK_GROUP.",
    )

    class Meta:
        ordering = ["rule", "position", "pk"]

    def __str__(self) -> str:
        return self.name


class ApprovalTask(models.Model):
    """One step of one request. Approvers and timings are fixed when the task is created."""

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting for a decision"
        APPROVED = "approved", "Approved"
        REJECTED = "rejected", "Rejected"
        EXPIRED = "expired", "Expired"
        SKIPPED = "skipped", "Skipped"

    request = models.ForeignKey(Request, on_delete=models.CASCADE, related_name="tasks")
    step = models.ForeignKey(
        ApprovalStep, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    position = models.PositiveIntegerField(default=0)
    name = models.CharField(max_length=200)
    required_approvals = models.PositiveIntegerField(default=1)
    # People resolved when the task opened (the manager, the project's leads, named users)...
    eligible_approvers = models.ManyToManyField(
        settings.AUTH_USER_MODEL, related_name="approval_tasks", blank=True
    )
    # ...and groups whose members may decide: checked against membership at decision time, so
    # someone who joins the group (first sign-in) can decide and someone who leaves no longer can.
    eligible_groups = models.ManyToManyField(Group, related_name="+", blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    remind_at = models.DateTimeField(null=True, blank=True)
    escalate_at = models.DateTimeField(null=True, blank=True)
    escalation_group = models.ForeignKey(
        Group, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reminded_at = models.DateTimeField(null=True, blank=True)
    escalated = models.BooleanField(default=False)
    escalated_at = models.DateTimeField(null=True, blank=True)
    # The policy's four-eyes-across-steps setting when the task opened, so a later policy edit
    # never changes who may decide a request in flight.
    distinct_step_approvers = models.BooleanField(default=True)
    # A round the request was sent back from (its change plan went stale): kept for the record,
    # its decisions no longer count for four eyes across steps.
    superseded = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["request", "position", "pk"]
        indexes = [models.Index(fields=["status", "remind_at"]),
                   models.Index(fields=["status", "escalate_at"])]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_status_display()})"

    @property
    def is_pending(self) -> bool:
        return self.status == self.Status.PENDING


class Decision(models.Model):
    """One approver's verdict on a task. An approver decides a task at most once."""

    class Verdict(models.TextChoices):
        APPROVE = "approve", "Approved"
        REJECT = "reject", "Rejected"

    task = models.ForeignKey(ApprovalTask, on_delete=models.CASCADE, related_name="decisions")
    approver = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    verdict = models.CharField(max_length=10, choices=Verdict.choices)
    # The approver named on the task for whom ``approver`` decided as their delegate (out of
    # office, ``ApprovalDelegation``); null: ``approver`` decided in their own right.
    on_behalf_of = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
        related_name="+")
    comment = models.TextField(blank=True)
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["task", "approver"], name="decision_once_per_approver")
        ]

    def __str__(self) -> str:
        return f"{self.approver} {self.verdict} {self.task}"


class ApprovalDelegation(models.Model):
    """An approver's delegate while they are out of office, from ``starts_on`` to ``ends_on``
    (both days included, in the portal's time zone) unless ended early (``ended_at``).

    During the range the delegate may decide, on the delegator's behalf, the tasks that name the
    delegator in person (named users, project leads, the manager step); never group steps, and
    never a delegation of a delegation (``approvals.services.delegations``).
    """

    delegator = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                  related_name="delegations_given")
    delegate = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                 related_name="delegations_received")
    starts_on = models.DateField()
    ends_on = models.DateField()
    reason = models.CharField(max_length=500, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-starts_on", "-pk"]
        indexes = [models.Index(fields=["delegate", "ends_on"])]
        constraints = [
            models.CheckConstraint(condition=models.Q(ends_on__gte=F("starts_on")),
                                   name="delegation_ends_after_start"),
            models.CheckConstraint(condition=~models.Q(delegate=F("delegator")),
                                   name="delegation_not_to_oneself"),
        ]

    def __str__(self) -> str:
        return f"{self.delegator} to {self.delegate}, {self.starts_on} to {self.ends_on}"
