"""Quotas in the Django admin: platform admins only, every change audited (``AuditedAdmin``)."""

from __future__ import annotations

from django.contrib import admin

from portal.admin import AuditedAdmin
from quotas.models import ProjectQuota, UserQuota


@admin.register(UserQuota)
class UserQuotaAdmin(AuditedAdmin):
    list_display = ["measure", "group", "amount"]
    list_filter = ["measure"]
    autocomplete_fields = ["group"]


@admin.register(ProjectQuota)
class ProjectQuotaAdmin(AuditedAdmin):
    list_display = ["project", "measure", "amount"]
    list_filter = ["measure"]
    autocomplete_fields = ["project"]
