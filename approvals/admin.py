"""Approval policies in the Django admin, for platform admins; requests read-only."""

from __future__ import annotations

import json
from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from approvals.models import ApprovalPolicy, ApprovalRule, ApprovalStep, Request
from portal.admin import AuditedAdmin, PlatformAdminOnly


class ApprovalRuleInline(PlatformAdminOnly, admin.TabularInline):
    model = ApprovalRule
    extra = 0
    fields = ["position", "name", "product", "product_kind", "actions", "parameter_key",
              "parameter_values", "cost_at_least", "cost_below", "project_environment",
              "auto_approve"]
    show_change_link = True


class ApprovalStepInline(PlatformAdminOnly, admin.StackedInline):
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
class RequestAdmin(NoEchoMaskedParameters, PlatformAdminOnly, admin.ModelAdmin):
    """Requests change only through the workflow; the admin shows them (NoEcho values masked)."""

    list_display = ["pk", "requester", "project", "product", "action", "status", "created_at"]
    list_filter = ["status", "action"]
    search_fields = ["requester__username", "project__slug", "product__name"]

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
