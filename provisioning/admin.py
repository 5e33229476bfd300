"""Read-only admin for environments: their state only changes through the provisioning services."""

from __future__ import annotations

from django.contrib import admin

from approvals.admin import NoEchoMaskedParameters
from portal.admin import ReadOnlyAdmin
from provisioning.models import Environment, EnvironmentEvent


class EnvironmentEventInline(ReadOnlyAdmin, admin.TabularInline[EnvironmentEvent, Environment]):
    model = EnvironmentEvent
    extra = 0
    fields = ("at", "kind", "message")
    readonly_fields = ("at", "kind", "message")


@admin.register(Environment)
class EnvironmentAdmin(NoEchoMaskedParameters, ReadOnlyAdmin,
                       admin.ModelAdmin[Environment]):
    """Environments as they stand; `parameters` shown with NoEcho values masked."""

    list_display = ["provisioned_product_name", "name", "origin_reference", "owner", "project",
                    "product", "status", "created_at"]
    list_select_related = ["origin_request", "owner", "project", "product"]
    list_filter = ["status", "project", "product"]
    search_fields = ["provisioned_product_name", "provisioned_product_id", "owner__username"]
    inlines = [EnvironmentEventInline]

    @admin.display(description="request", ordering="origin_request__number")
    def origin_reference(self, obj: Environment) -> str:
        return obj.origin_request.reference
