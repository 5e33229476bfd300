"""``GET /api/v1/me/quota``: the caller's usage against every limit that applies to them."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from portal.http import request_user
from quotas.report import quota_report


class QuotaRowOutput(serializers.Serializer[Any]):
    scope = serializers.ChoiceField(choices=["user", "project"],
                                    help_text="user: yours; project: the project's total.")
    project = serializers.CharField(allow_blank=True, help_text="The project's slug (scope "
                                                                "project), else empty.")
    measure = serializers.ChoiceField(
        choices=["running_environments", "gpu_instances", "daily_credits"])
    name = serializers.CharField(source="label")
    limit = serializers.DecimalField(max_digits=12, decimal_places=2)
    used = serializers.DecimalField(max_digits=14, decimal_places=2)
    left = serializers.DecimalField(max_digits=14, decimal_places=2)
    unpriced = serializers.IntegerField(
        help_text="Daily credits: running instance types without a price, counted 0.")
    granted_to = serializers.ListField(child=serializers.CharField(),
                                       help_text="The groups granting it (scope user).")
    counts = serializers.CharField(help_text="What counts against it.")


class QuotaOutput(serializers.Serializer[Any]):
    quotas = QuotaRowOutput(many=True)


class MyQuotaView(APIView):
    @extend_schema(responses=QuotaOutput, summary="My usage against every quota that applies "
                                                  "to me and to my projects")
    def get(self, request: Request) -> Response:
        rows = quota_report(user=request_user(request))
        return Response(QuotaOutput({"quotas": rows}).data)
