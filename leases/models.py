"""Lease enforcement state of an environment.

The lease end itself is ``Environment.expires_at`` (what pages and the API show); a ``Lease``
records what its enforcement has done for that end (warnings sent, the end enforced, the
termination started), an admin's pause, and ``due_at``: when the sweep must look at it next,
so a sweep reads only the leases that have something to do.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
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


WEEKDAY_DIGITS = "0123456"  # Monday is 0, as in datetime.weekday()


def weekdays_validate(value: str) -> None:
    """Days of the week as digits, Monday 0 … Sunday 6 ("01234": weekdays), each once."""
    if any(c not in WEEKDAY_DIGITS for c in value) or len(set(value)) != len(value):
        raise ValidationError("Days are digits 0 (Monday) to 6 (Sunday), each once: "
                              "01234 is Monday to Friday.")


class StopPolicy(models.Model):
    """An admin-curated auto-stop of a project's or a product's notebooks: a weekly schedule
    (``weekdays`` at ``stop_at``, on the owner's clock) and/or an idle stop after
    ``idle_hours`` without an open through the portal; owners may opt out only where
    ``owners_may_opt_out``. Exactly one of project and product is set."""

    project = models.OneToOneField("portal.Project", null=True, blank=True,
                                   on_delete=models.CASCADE, related_name="stop_policy")
    product = models.OneToOneField("catalog.Product", null=True, blank=True,
                                   on_delete=models.CASCADE, related_name="stop_policy")
    weekdays = models.CharField(
        max_length=7, blank=True, validators=[weekdays_validate],
        help_text="Days the schedule stops notebooks: digits 0 (Monday) to 6 (Sunday); "
                  "01234 is Monday to Friday. Blank: no schedule.")
    stop_at = models.TimeField(
        null=True, blank=True,
        help_text="Local time (the owner's time zone) of the scheduled stop, like 20:00.")
    idle_hours = models.PositiveSmallIntegerField(
        null=True, blank=True,
        help_text="Stop a notebook not opened through the portal for this many hours. "
                  "Blank: no idle stop.")
    owners_may_opt_out = models.BooleanField(
        default=False, help_text="Owners may switch the auto-stop off for an environment.")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "stop policies"
        constraints = [models.CheckConstraint(
            condition=(models.Q(project__isnull=False, product__isnull=True)
                       | models.Q(project__isnull=True, product__isnull=False)),
            name="stoppolicy_project_xor_product")]

    def __str__(self) -> str:
        return f"Auto-stop of {self.project or self.product}"

    def clean(self) -> None:
        if (self.project_id is None) == (self.product_id is None):
            raise ValidationError("Set either a project or a product (one of them).")
        if bool(self.weekdays) != (self.stop_at is not None):
            raise ValidationError("A schedule needs both its days and its time.")
        if not self.weekdays and not self.idle_hours:
            raise ValidationError("Set a schedule (days and time), an idle stop, or both.")


class AutoStop(models.Model):
    """The auto-stop state of one notebook environment: the owner's opt-out, the last
    scheduled stop done (so a schedule stops once per occurrence), the last notice (at most
    one a day) and ``due_at``: when the sweep looks at it next."""

    environment = models.OneToOneField(Environment, on_delete=models.CASCADE,
                                       primary_key=True, related_name="autostop")
    opted_out = models.BooleanField(default=False)
    opted_out_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                     on_delete=models.PROTECT, related_name="+")
    opted_out_at = models.DateTimeField(null=True, blank=True)
    schedule_fired_at = models.DateTimeField(
        null=True, blank=True, help_text="The last schedule occurrence acted on (UTC).")
    noticed_on = models.DateField(
        null=True, blank=True, help_text="The owner's local day of the last stop notice.")
    due_at = models.DateTimeField(
        null=True, blank=True, db_index=True,
        help_text="When the sweep looks at it next (a schedule, the idle deadline); null: "
                  "no auto-stop applies.")
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"Auto-stop of {self.environment_id}"
