"""Leases in the Django admin: read-only (pause and resume are on the lease page, audited);
auto-stop policies curated by platform admins, every change audited (``AuditedAdmin``)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.forms import ModelForm
from django.http import HttpRequest

from leases.autostop_sweep import autostop_policy_changed
from leases.models import AutoStop, Lease, StopPolicy
from portal.admin import AuditedAdmin, ReadOnlyAdmin


@admin.register(Lease)
class LeaseAdmin(ReadOnlyAdmin, admin.ModelAdmin[Lease]):
    list_display = ["environment", "due_at", "warned_days", "ended_at", "terminated_at",
                    "paused"]
    list_filter = ["paused"]


@admin.register(StopPolicy)
class StopPolicyAdmin(AuditedAdmin):
    """A project's or a product's auto-stop schedule and idle stop. A change is picked up by
    the next sweep for every environment it covers."""

    list_display = ["__str__", "weekdays", "stop_at", "idle_hours", "owners_may_opt_out"]
    list_filter = ["owners_may_opt_out"]
    autocomplete_fields = ["project"]

    def save_model(self, request: HttpRequest, obj: Any, form: ModelForm[Any],
                   change: bool) -> None:
        super().save_model(request, obj, form, change)
        autostop_policy_changed(obj)

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        autostop_policy_changed(obj)
        super().delete_model(request, obj)

    def delete_queryset(self, request: HttpRequest, queryset: Any) -> None:
        for policy in queryset:  # one by one: each deletion audited like a single one
            self.delete_model(request, policy)


@admin.register(AutoStop)
class AutoStopAdmin(ReadOnlyAdmin, admin.ModelAdmin[AutoStop]):
    list_display = ["environment", "due_at", "opted_out", "schedule_fired_at", "noticed_on"]
    list_filter = ["opted_out"]
