"""Approval policies in the Django admin, for platform admins; requests read-only."""

from __future__ import annotations

import json
from typing import Any

from django.contrib import admin

from approvals.models import (
    ApprovalPolicy,
    ApprovalRule,
    ApprovalStep,
    Request,
    reference_number,
)
from portal.admin import AuditedAdmin, PlatformAdminOnly, ReadOnlyAdmin


class ApprovalRuleInline(PlatformAdminOnly, admin.TabularInline[ApprovalRule, ApprovalPolicy]):
    model = ApprovalRule
    extra = 0
    fields = ["position", "name", "product", "product_kind", "actions", "parameter_key",
              "parameter_values", "cost_at_least", "cost_below", "project_environment",
              "auto_approve"]
    show_change_link = True


class ApprovalStepInline(PlatformAdminOnly, admin.StackedInline[ApprovalStep, ApprovalRule]):
    model = ApprovalStep
    extra = 0
    filter_horizontal = ["users"]


@admin.register(ApprovalPolicy)
class ApprovalPolicyAdmin(AuditedAdmin):
    list_display = ["name", "position", "active", "distinct_step_approvers", "updated_at"]
    list_editable = ["position", "active"]
    inlines = [ApprovalRuleInline]


@admin.register(ApprovalRule)
class ApprovalRuleAdmin(AuditedAdmin):
    list_display = ["name", "policy", "position", "product_kind", "parameter_key",
                    "cost_at_least", "cost_below", "project_environment", "auto_approve"]
    list_filter = ["policy", "product_kind", "auto_approve"]
    inlines = [ApprovalStepInline]


MASK = "****"


class NoEchoMaskedParameters:
    """Show `parameters` with NoEcho values masked, never the stored JSON itself.

    For admins of any model with `parameters` and a catalog `version` (requests, environments).
    The raw field is excluded, so neither the change page nor a changelist can print it.
    """

    exclude: Any = ["parameters"]
    readonly_fields: Any = ["masked_parameters"]

    @admin.display(description="parameters")
    def masked_parameters(self, obj: Any) -> str:
        secret = set(obj.version.parameters.filter(no_echo=True).values_list("key", flat=True))
        shown = {k: (MASK if k in secret else v) for k, v in (obj.parameters or {}).items()}
        return json.dumps(shown, indent=2, sort_keys=True)


@admin.register(Request)
class RequestAdmin(NoEchoMaskedParameters, ReadOnlyAdmin, admin.ModelAdmin[Request]):
    """Requests change only through the workflow; the admin shows them (NoEcho values masked)."""

    list_display = ["reference", "name", "requester", "project", "product", "action", "status",
                    "created_at"]
    list_select_related = ["requester", "project", "product"]
    list_filter = ["status", "action"]
    search_fields = ["requester__username", "project__slug", "product__name", "name"]

    def get_search_results(self, request: Any, queryset: Any, search_term: str) -> Any:
        """A reference (REQ-1042, or its number) finds that request too."""
        found, duplicates = super().get_search_results(request, queryset, search_term)
        number = reference_number(search_term)
        if number is not None:
            found = found | queryset.filter(number=number)
        return found, duplicates

    @admin.display(description="reference", ordering="number")
    def reference(self, obj: Request) -> str:
        return obj.reference
