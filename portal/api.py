"""API v1 shell: who am I, and my projects."""

from __future__ import annotations

import logging
from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.generics import ListAPIView
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework.views import exception_handler as drf_exception_handler

from portal.models import Project, User
from portal.selectors import projects_for_user

logger = logging.getLogger(__name__)


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """DRF's handler, plus a JSON 500 without internals for anything unexpected."""
    response = drf_exception_handler(exc, context)
    if response is None:
        logger.exception("Unhandled API error", exc_info=exc)
        return Response({"detail": "Internal error; it has been logged."}, status=500)
    return response


class ApiTokenScheme(OpenApiAuthenticationExtension):  # type: ignore[no-untyped-call]
    """The schema's description of ``portal.authentication.ApiTokenAuthentication``."""

    target_class = "portal.authentication.ApiTokenAuthentication"
    name = "tokenAuth"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {"type": "apiKey", "in": "header", "name": "Authorization",
                "description": 'API token from /account/api-token/, sent as "Token <key>"; '
                               "it expires (see the token page)."}


class ManagerOutput(serializers.Serializer[Any]):
    username = serializers.CharField()
    name = serializers.CharField(source="display_name")
    email = serializers.EmailField()


class MeOutput(serializers.Serializer[Any]):
    username = serializers.CharField()
    name = serializers.CharField(source="display_name")
    email = serializers.EmailField()
    department = serializers.CharField()
    cost_center = serializers.CharField()
    owner_id = serializers.CharField()
    roles = serializers.ListField(child=serializers.CharField())
    groups = serializers.ListField(child=serializers.CharField(), source="idp_groups")
    manager = ManagerOutput(allow_null=True)


class MeView(APIView):
    @extend_schema(responses=MeOutput, summary="The signed-in user, as the IdP last described them")
    def get(self, request: Request) -> Response:
        user: User = request.user  # type: ignore[assignment]
        return Response(MeOutput(user).data)


class ProjectOutput(serializers.ModelSerializer[Project]):
    my_role = serializers.CharField()

    class Meta:
        model = Project
        fields = ["slug", "name", "description", "cost_center", "environment",
                  "aws_account_id", "aws_region", "monthly_budget", "my_role"]


class ProjectListView(ListAPIView[Project]):
    serializer_class = ProjectOutput

    @extend_schema(summary="Projects the caller is a member of")
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)

    def get_queryset(self):  # type: ignore[no-untyped-def]
        from django.db.models import OuterRef, Subquery

        from portal.models import Membership

        user: User = self.request.user  # type: ignore[assignment]
        role = Membership.objects.filter(project=OuterRef("pk"), user=user).values("role")[:1]
        return projects_for_user(user=user).annotate(my_role=Subquery(role)).order_by("name")
