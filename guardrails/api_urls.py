"""API v1 routes of the guardrails app, mounted under /api/v1/."""

from django.urls import URLPattern, path

from guardrails import api

urlpatterns: list[URLPattern] = [
    path("guardrails", api.GuardrailsView.as_view(), name="guardrails"),
]
