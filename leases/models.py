"""Lease enforcement state of an environment.

The lease end itself is ``Environment.expires_at`` (what pages and the API show); a ``Lease``
records what its enforcement has done for that end (warnings sent, the end enforced, the
termination started), an admin's pause, and ``due_at``: when the sweep must look at it next,
so a sweep reads only the leases that have something to do.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from provisioning.models import Environment


class Lease(models.Model):
    """The enforcement of one environment's lease end (warn, stop at the end, terminate)."""

    environment = models.OneToOneField(Environment, on_delete=models.CASCADE,
                                       primary_key=True, related_name="lease")
    warned_days = models.PositiveSmallIntegerField(
        null=True, blank=True,
        help_text="The last warning sent for the current end (days before it); null: none.")
    ended_at = models.DateTimeField(
        null=True, blank=True, help_text="When the end was enforced (notebook stopped, owner "
                                         "told); null while the current end is ahead.")
    terminated_at = models.DateTimeField(
        null=True, blank=True, help_text="When the termination after the grace period began.")
    paused = models.BooleanField(default=False)
    paused_reason = models.TextField(blank=True)
    paused_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                  on_delete=models.PROTECT, related_name="+")
    paused_at = models.DateTimeField(null=True, blank=True)
    extensions = models.PositiveIntegerField(default=0)
    due_at = models.DateTimeField(
        null=True, blank=True, db_index=True,
        help_text="When the sweep looks at it next (a warning, the end, the termination); "
                  "null: nothing left to do (paused, terminated).")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"Lease of {self.environment_id}"
