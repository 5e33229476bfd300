"""``GET /api/v1/guardrails``: the guardrails in force, for platform admins (others: 403)."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from guardrails.models import GuardrailVersion
from guardrails.rules import Guardrails


class IsPlatformAdmin(BasePermission):
    message = "Only platform admins read the guardrails."

    def has_permission(self, request: Request, view: APIView) -> bool:
        return bool(request.user and request.user.is_authenticated
                    and request.user.is_catalog_admin)


class GuardrailsOutput(serializers.Serializer[Any]):
    version = serializers.IntegerField(allow_null=True, help_text="None: no version yet, no "
                                                                  "rules.")
    created_at = serializers.DateTimeField(allow_null=True)
    created_by = serializers.CharField(allow_null=True, help_text="The admin's username.")
    reason = serializers.CharField(allow_blank=True)
    rules = serializers.DictField(help_text="The rules (see the README's Guardrails section).")


class GuardrailsView(APIView):
    permission_classes = [IsPlatformAdmin]

    @extend_schema(responses=GuardrailsOutput, summary="The guardrails in force (platform admins)")
    def get(self, request: Request) -> Response:
        latest = GuardrailVersion.objects.select_related("created_by").first()
        data: dict[str, Any]
        if latest is None:
            data = {"version": None, "created_at": None, "created_by": None, "reason": "",
                    "rules": Guardrails().to_json()}
        else:
            data = {"version": latest.number, "created_at": latest.created_at,
                    "created_by": latest.created_by.username if latest.created_by else None,
                    "reason": latest.reason, "rules": latest.rules}
        return Response(GuardrailsOutput(data).data)
