"""The usage panel of the dashboard and the request form (registered in ``QuotasConfig``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.http import HttpRequest
from django.template.loader import render_to_string

from portal.http import request_user
from quotas.report import quota_report


def quota_panel(request: HttpRequest, context: Mapping[str, Any]) -> str:
    """Usage against every limit of the signed-in person (nothing when no limit applies)."""
    user = request_user(request)
    if not user.is_authenticated:
        return ""
    rows = quota_report(user=user)
    if not rows:
        return ""
    return render_to_string("quotas/_usage.html", {"rows": rows}, request=request)
