"""SCIM provisioning state, and the record of what happened to a leaver's or mover's things."""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.contrib.auth.models import Group
from django.db import models
from django.utils import timezone

from portal.models import Project


class ScimToken(models.Model):
    """The bearer token the IdP's provisioning service (Entra ID, Okta) calls /scim/v2 with.

    Not a person's API token: it acts for no one, only on the SCIM routes. Only the SHA-256 of
    its 256 random bits is kept (no dictionary to try, one indexed lookup per call); the key is
    shown once, when it is made. Several may exist (rotation without downtime); revoked ones stay
    for the record.
    """

    name = models.CharField(max_length=100)
    digest = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.CharField(max_length=150, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"SCIM token {self.name}"

    @staticmethod
    def digest_of(key: str) -> str:
        return hashlib.sha256(key.encode()).hexdigest()


class ScimUser(models.Model):
    """A portal user the IdP provisions: its ``externalId`` (Entra's objectId, Okta's id).

    The SCIM ``id`` is the portal user's primary key and ``userName`` its username, the same
    value SAML sends as the uid, so SCIM and SSO always land on one row.
    """

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                                related_name="scim")
    external_id = models.CharField(max_length=255, blank=True, db_index=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    deleted_at = models.DateTimeField(
        null=True, blank=True, help_text="SCIM DELETE: the person is deactivated and kept for "
                                         "the record; SCIM no longer finds them.")

    def __str__(self) -> str:
        return f"SCIM {self.external_id or '-'} -> {self.user_id}"


class ScimGroup(models.Model):
    """A Django group (the same rows SAML sign-in fills from the groups claim) the IdP pushes."""

    group = models.OneToOneField(Group, on_delete=models.CASCADE, related_name="scim")
    external_id = models.CharField(max_length=255, blank=True, db_index=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"SCIM group {self.group_id}"


class Departure(models.Model):
    """A person leaving the portal (a leaver) or one project (a mover), and what was done."""

    class Kind(models.TextChoices):
        LEAVER = "leaver", "Left the organisation"
        MOVER = "mover", "Left a project"

    person = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                               related_name="departures")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    project = models.ForeignKey(Project, null=True, blank=True, on_delete=models.PROTECT,
                                related_name="+", help_text="The project left (movers).")
    at = models.DateTimeField(default=timezone.now, db_index=True)
    source = models.CharField(max_length=20, help_text="scim, saml or portal (an admin).")
    actor_username = models.CharField(max_length=150, blank=True)
    reason = models.CharField(max_length=500, blank=True)
    sessions_ended = models.PositiveIntegerField(default=0)
    api_tokens_revoked = models.PositiveIntegerField(default=0)
    requests_cancelled = models.JSONField(default=list, blank=True,
                                          help_text="References of the requests cancelled.")
    tasks_reassigned = models.JSONField(default=list, blank=True,
                                        help_text="[{task, request, group}] handed on.")

    class Meta:
        ordering = ["-at", "-pk"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.person} ({self.at:%Y-%m-%d})"


class Handover(models.Model):
    """One environment of a departure: transferred to someone, or terminated after a grace."""

    class Action(models.TextChoices):
        TRANSFER = "transfer", "Transfer"
        TERMINATE = "terminate", "Terminate"

    class State(models.TextChoices):
        PENDING = "pending", "Waiting"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    departure = models.ForeignKey(Departure, on_delete=models.CASCADE, related_name="handovers")
    environment = models.ForeignKey("provisioning.Environment", on_delete=models.PROTECT,
                                    related_name="+")
    action = models.CharField(max_length=10, choices=Action.choices)
    new_owner = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                  on_delete=models.PROTECT, related_name="+")
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING,
                             db_index=True)
    due_at = models.DateTimeField(null=True, blank=True, db_index=True,
                                  help_text="When the termination is due (terminate).")
    stopped = models.BooleanField(default=False, help_text="A running notebook was stopped.")
    class TagsPath(models.TextChoices):
        STACK = "stack", "Provisioned product (stack update)"
        NOTEBOOK = "notebook", "Notebook only (tag updates not allowed)"
        NONE = "none", "None (nothing to tag)"

    record_id = models.CharField(max_length=64, blank=True,
                                 help_text="UpdateProvisionedProductProperties' record.")
    tags_path = models.CharField(max_length=10, choices=TagsPath.choices, blank=True,
                                 help_text="How the new owner's tag reached AWS.")
    tags_record_id = models.CharField(max_length=64, blank=True,
                                      help_text="UpdateProvisionedProduct's record (stack path).")
    tags_status = models.CharField(max_length=24, blank=True,
                                   help_text="That record's status, or REFUSED.")
    tags_detail = models.CharField(max_length=500, blank=True)
    detail = models.CharField(max_length=1000, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    done_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["departure", "pk"]
        constraints = [models.UniqueConstraint(fields=["departure", "environment"],
                                               name="identity_handover_once")]

    def __str__(self) -> str:
        return f"{self.get_action_display()} {self.environment_id} ({self.state})"
