from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse


def _url(name: str) -> str | None:
    try:
        return reverse(name)
    except NoReverseMatch:  # an app that has not shipped its pages yet
        return None


def navigation(request: HttpRequest) -> dict[str, Any]:
    """Navigation entries for the signed-in user's roles; later apps add theirs here."""
    user = getattr(request, "user", None)
    items: list[dict[str, str]] = []
    if user is not None and user.is_authenticated:
        candidates = [("Dashboard", "dashboard", True)]
        candidates += [
            ("Catalog", "catalog:product_list", True),
            ("My requests", "approvals:request_list", True),
            ("Approvals inbox", "approvals:inbox", True),
            ("My environments", "provisioning:environment_list", True),
            ("Manage catalog", "catalog:admin_product_list", user.is_catalog_admin),
            ("All environments", "provisioning:admin_environment_list", user.is_catalog_admin),
            ("Projects (admin)", "admin:portal_project_changelist", user.is_catalog_admin),
            ("Audit trail", "audit_event_list", user.is_auditor or user.is_catalog_admin),
            ("API", "api_docs", True),
        ]
        for label, name, allowed in candidates:
            url = _url(name) if allowed else None
            if url:
                items.append({"label": label, "url": url, "name": name})
    return {"nav_items": items, "local_login_enabled": settings.PORTAL_LOCAL_LOGIN}
