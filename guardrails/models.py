"""Organisation guardrails, versioned: each change is a new ``GuardrailVersion``; the newest one
is in force. A version is never changed or deleted, so who set which rules, when and why stays
readable (the audit trail records each change too)."""

from __future__ import annotations

from typing import Any, NoReturn

from django.conf import settings
from django.db import models
from django.utils import timezone


class VersionsAreKept(Exception):
    """A guardrail version cannot be changed or deleted: make a new one."""


class GuardrailVersionQuerySet(models.QuerySet["GuardrailVersion"]):
    def update(self, **kwargs: Any) -> NoReturn:
        raise VersionsAreKept("Guardrail versions are kept as they are: make a new version.")

    def delete(self) -> NoReturn:
        raise VersionsAreKept("Guardrail versions are kept: they cannot be deleted.")


class GuardrailVersion(models.Model):
    """One version of the organisation's guardrails (``rules``: see ``guardrails.rules``)."""

    number = models.PositiveIntegerField(unique=True)
    rules = models.JSONField(default=dict)
    reason = models.TextField()
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    objects = GuardrailVersionQuerySet.as_manager()

    class Meta:
        ordering = ["-number"]

    def __str__(self) -> str:
        return f"Guardrails v{self.number}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise VersionsAreKept("Guardrail versions are kept as they are: make a new version.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise VersionsAreKept("Guardrail versions are kept: they cannot be deleted.")
