"""Quotas: limits on what a person, or a project, may have running at once.

Three measures (``Measure``), each counted over what is *running* (see ``quotas.usage``):
environments, GPU instances, and daily credits (a product's daily cost, as Coder counts it:
1 credit = 1 US dollar a day of the price table, hourly × 24 of the chosen instance type).

- ``UserQuota`` grants an allowance to an IdP group (the Django group the SAML sign-in mirrors)
  or, with no group, to everyone. A person's limit for a measure is the sum of the grants that
  apply to them (Coder's rule: allowances of one's groups add up). A measure nobody is granted
  is not limited for anyone; once any grant of it exists, a person none of it applies to may
  run none of it (their limit is 0).
- ``ProjectQuota`` caps a project's total over all its members.

Platform admins set them in the Django admin; every change is audited.
"""

from __future__ import annotations

from decimal import Decimal

from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models

from portal.models import Project


class Measure(models.TextChoices):
    RUNNING = "running_environments", "Running environments"
    GPU = "gpu_instances", "GPU instances"
    CREDITS = "daily_credits", "Daily credits (USD/day)"


class QuotaAmount(models.Model):
    measure = models.CharField(max_length=32, choices=Measure.choices)
    amount = models.DecimalField(
        max_digits=12, decimal_places=2, validators=[MinValueValidator(Decimal("0"))],
        help_text="How many running environments or GPU instances (whole numbers), or daily "
                  "credits (USD a day).")

    class Meta:
        abstract = True

    def clean(self) -> None:
        super().clean()
        whole = self.measure in (Measure.RUNNING, Measure.GPU)
        if whole and self.amount is not None and self.amount != self.amount.to_integral_value():
            raise ValidationError({"amount": "Environments and GPU instances are counted in "
                                             "whole numbers."})


class UserQuota(QuotaAmount):
    """An allowance per person, granted to the members of an IdP group (none: everyone)."""

    group = models.ForeignKey(
        Group, null=True, blank=True, on_delete=models.CASCADE, related_name="quota_grants",
        help_text="The IdP group whose members get this allowance; empty: everyone.")

    class Meta:
        ordering = ["measure", "group__name"]
        constraints = [
            models.UniqueConstraint(fields=["measure", "group"], name="user_quota_one_per_group"),
            models.UniqueConstraint(fields=["measure"], condition=models.Q(group__isnull=True),
                                    name="user_quota_one_for_everyone"),
        ]

    def __str__(self) -> str:
        who = self.group.name if self.group is not None else "everyone"
        return f"{Measure(self.measure).label}: {self.amount} per person ({who})"


class ProjectQuota(QuotaAmount):
    """A cap on a project's total, all its members together."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="quotas")

    class Meta:
        ordering = ["project__name", "measure"]
        constraints = [
            models.UniqueConstraint(fields=["measure", "project"],
                                    name="project_quota_one_per_measure"),
        ]

    def __str__(self) -> str:
        return f"{Measure(self.measure).label}: {self.amount} for {self.project}"


class BudgetNotice(models.Model):
    """A threshold notice sent to a project's leads: one per project, month and threshold."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="budget_notices")
    month = models.DateField(help_text="The first day of the month (UTC) the notice is about.")
    percent = models.PositiveSmallIntegerField()
    spend = models.DecimalField(max_digits=12, decimal_places=2)
    budget = models.DecimalField(max_digits=12, decimal_places=2)
    sent_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-month", "project_id", "percent"]
        constraints = [
            models.UniqueConstraint(fields=["project", "month", "percent"],
                                    name="budget_notice_once_per_month"),
        ]

    def __str__(self) -> str:
        return f"{self.project}: {self.percent} % of budget in {self.month:%Y-%m}"
