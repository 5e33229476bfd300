"""Leases in the Django admin: read-only (pause and resume are on the lease page, audited)."""

from __future__ import annotations

from django.contrib import admin

from leases.models import Lease
from portal.admin import ReadOnlyAdmin


@admin.register(Lease)
class LeaseAdmin(ReadOnlyAdmin, admin.ModelAdmin[Lease]):
    list_display = ["environment", "due_at", "warned_days", "ended_at", "terminated_at",
                    "paused"]
    list_filter = ["paused"]
