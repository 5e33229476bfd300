"""API of in-app notifications: my notices (paginated like every list), and marking them read."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from portal.api_input import PortalPagination, StrictInput
from portal.http import request_user
from portal.models import Notification
from portal.notifications import notifications_mark_read
from portal.selectors import notifications_for_user, notifications_unread


class NotificationOutput(serializers.ModelSerializer[Notification]):
    read = serializers.SerializerMethodField()

    class Meta:
        model = Notification
        fields = ["id", "kind", "text", "link", "created_at", "read_at", "read"]

    def get_read(self, notice: Notification) -> bool:
        return notice.read_at is not None


class MarkReadInput(StrictInput):
    ids = serializers.ListField(
        # Ids are 64-bit signed in the database: a larger one is a 400, not an overflow.
        child=serializers.IntegerField(min_value=1, max_value=2**63 - 1), required=False,
        max_length=500,
        help_text="The notices to mark read; leave it out to mark all of them read.")


class MarkReadOutput(serializers.Serializer[Any]):
    marked = serializers.IntegerField(help_text="How many unread notices were marked read.")
    unread = serializers.IntegerField(help_text="How many stay unread.")


class NotificationListView(APIView):
    pagination_class = PortalPagination

    @extend_schema(responses=NotificationOutput(many=True), summary="My notifications, newest "
                   "first (`?unread=true`: only unread ones)")
    def get(self, request: Request) -> Response:
        notices = notifications_for_user(user=request_user(request))
        if request.query_params.get("unread") in ("true", "1", "yes"):
            notices = notices.filter(read_at__isnull=True)
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(notices, request, view=self)
        return paginator.get_paginated_response(NotificationOutput(page, many=True).data)


class NotificationReadView(APIView):
    @extend_schema(request=MarkReadInput, responses=MarkReadOutput,
                   summary="Mark my notifications read (some by id, or all)")
    def post(self, request: Request) -> Response:
        data = MarkReadInput(data=request.data)
        data.is_valid(raise_exception=True)
        user = request_user(request)
        marked = notifications_mark_read(user=user, pks=data.validated_data.get("ids"),
                                         http_request=request._request)
        return Response({"marked": marked, "unread": notifications_unread(user=user).count()},
                        status=status.HTTP_200_OK)
