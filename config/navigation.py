from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.urls import reverse

from approvals.selectors import may_approve


def navigation(request: HttpRequest) -> dict[str, Any]:
    """Navigation entries for the signed-in user's roles."""
    user = getattr(request, "user", None)
    items: list[dict[str, str]] = []
    if user is not None and user.is_authenticated:
        candidates = [
            ("Dashboard", "dashboard", True),
            ("Catalog", "catalog:product_list", True),
            ("My requests", "approvals:request_list", True),
            ("Approvals inbox", "approvals:inbox", may_approve(user=user)),
            ("My environments", "provisioning:environment_list", True),
            ("Manage catalog", "catalog:admin_product_list", user.is_catalog_admin),
            ("All environments", "provisioning:admin_environment_list", user.is_catalog_admin),
            ("AWS policy pack", "policy_pack", user.is_catalog_admin),
            ("Projects (admin)", "admin:portal_project_changelist", user.is_catalog_admin),
            ("Audit trail", "audit_event_list", user.is_auditor or user.is_catalog_admin),
            ("API", "api_docs", True),
        ]
        items = [{"label": label, "url": reverse(name), "name": name}
                 for label, name, allowed in candidates if allowed]
    return {"nav_items": items, "local_login_enabled": settings.PORTAL_LOCAL_LOGIN}
