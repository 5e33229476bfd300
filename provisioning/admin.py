"""Read-only admin for environments: their state only changes through the provisioning services."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from approvals.admin import NoEchoMaskedParameters
from portal.admin import PlatformAdminOnly
from provisioning.models import Environment, EnvironmentEvent


class ReadOnly(PlatformAdminOnly):
    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class EnvironmentEventInline(ReadOnly, admin.TabularInline):  # type: ignore[type-arg]
    model = EnvironmentEvent
    extra = 0
    fields = ("at", "kind", "message")
    readonly_fields = ("at", "kind", "message")


@admin.register(Environment)
class EnvironmentAdmin(NoEchoMaskedParameters, ReadOnly,  # type: ignore[type-arg]
                       admin.ModelAdmin):
    """Environments as they stand; `parameters` shown with NoEcho values masked."""

    list_display = ["provisioned_product_name", "owner", "project", "product", "status",
                    "created_at"]
    list_filter = ["status", "project", "product"]
    search_fields = ["provisioned_product_name", "provisioned_product_id", "owner__username"]
    inlines = [EnvironmentEventInline]
