"""API v1 routes of the quotas app, mounted under /api/v1/."""

from django.urls import URLPattern, path

from quotas import api

urlpatterns: list[URLPattern] = [
    path("me/quota", api.MyQuotaView.as_view(), name="me-quota"),
]
