"""API v1 for environments: list, detail, and the actions stop, start, terminate and launch.

Launch returns the presigned URL in JSON for command-line use, with the same checks and audit as
the "Open" button, and ``Cache-Control: no-store``.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.generics import ListAPIView
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from portal.api_input import PortalPagination, StrictInput
from portal.http import request_user as _user
from portal.http import response_no_store
from provisioning import lifecycle, metering, selectors, services
from provisioning.api_rows import environment_rows, environment_window
from provisioning.launch import LaunchRefused, environment_launch, launch_refuse
from provisioning.models import Environment, EnvironmentEvent


class EventOutput(serializers.ModelSerializer[EnvironmentEvent]):
    class Meta:
        model = EnvironmentEvent
        fields = ["at", "kind", "message"]


class EnvironmentOutput(serializers.ModelSerializer[Environment]):
    owner = serializers.CharField(source="owner.username")
    project = serializers.CharField(source="project.slug")
    product = serializers.CharField(source="product.name")
    product_kind = serializers.CharField(source="product.kind")
    version = serializers.CharField(source="version.name")
    request = serializers.UUIDField(source="origin_request_id",
                                    help_text="The request this environment came from")
    request_reference = serializers.CharField(source="origin_request.reference",
                                              help_text="Its reference, e.g. REQ-1042")
    name = serializers.CharField(help_text="The name its requester chose, else the portal's")
    lease_ends_at = serializers.DateTimeField(source="expires_at", allow_null=True,
                                              read_only=True)

    class Meta:
        model = Environment
        fields = ["id", "name", "owner", "project", "product", "product_kind", "version",
                  "request", "request_reference", "status", "status_message",
                  "provisioned_product_name", "provisioned_product_id", "notebook_instance_name",
                  "domain_id",
                  "user_profile_name", "sagemaker_project_name", "sagemaker_project_id",
                  "outputs", "tags", "created_at", "updated_at", "available_at",
                  "terminated_at", "lease_ends_at"]


class CostSoFarOutput(serializers.Serializer[Any]):
    """provisioning.metering.CostSoFar: metered from the status intervals × the price table."""

    usd_since_created = serializers.DecimalField(source="total.usd", max_digits=12,
                                                 decimal_places=2)
    usd_month_to_date = serializers.DecimalField(source="month_to_date.usd", max_digits=12,
                                                 decimal_places=2)
    running_hours = serializers.DecimalField(source="total.running_hours", max_digits=12,
                                             decimal_places=2)
    stopped_hours = serializers.DecimalField(source="total.stopped_hours", max_digits=12,
                                             decimal_places=2)
    usd_per_hour_running = serializers.DecimalField(
        source="total.rates.compute_usd_per_hour", max_digits=12, decimal_places=4)
    priced = serializers.BooleanField(source="total.rates.priced",
                                      help_text="False: no price for the product (unknown).")
    as_of = serializers.DateTimeField(source="now")


class EnvironmentRequestOutput(serializers.Serializer[Any]):
    id = serializers.UUIDField()
    reference = serializers.CharField()
    action = serializers.CharField()
    status = serializers.CharField()
    requester = serializers.CharField(source="requester.username")
    created_at = serializers.DateTimeField()


class EnvironmentDetailOutput(EnvironmentOutput):
    timeline = serializers.SerializerMethodField()
    requests = serializers.SerializerMethodField(
        help_text="The request it came from, then its day-2 requests (change, terminate)")
    cost = serializers.SerializerMethodField()

    class Meta(EnvironmentOutput.Meta):
        fields = [*EnvironmentOutput.Meta.fields, "requests", "timeline", "cost"]

    @extend_schema_field(EnvironmentRequestOutput(many=True))
    def get_requests(self, environment: Environment) -> list[dict[str, Any]]:
        requests = selectors.environment_requests(environment=environment)
        return list(EnvironmentRequestOutput(requests, many=True).data)

    @extend_schema_field(CostSoFarOutput)
    def get_cost(self, environment: Environment) -> dict[str, Any]:
        return dict(CostSoFarOutput(metering.environment_cost_so_far(environment)).data)

    def get_timeline(self, environment: Environment) -> list[dict[str, Any]]:
        events = selectors.environment_timeline(environment=environment)[:200]
        return list(EventOutput(events, many=True).data)


class TerminateInput(StrictInput):
    confirm = serializers.BooleanField()


class LaunchOutput(serializers.Serializer[Any]):
    url = serializers.CharField(allow_blank=True)
    waiting = serializers.BooleanField()


class EnvironmentListView(ListAPIView[Environment]):
    serializer_class = EnvironmentOutput
    pagination_class = PortalPagination

    @extend_schema(summary="Environments the caller may see (their own; all for platform admins)")
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)

    def get_queryset(self):  # type: ignore[no-untyped-def]
        environments = selectors.environments_for_user(user=_user(self.request))
        wanted = self.request.query_params.get("status")
        return environments.filter(status=wanted) if wanted else environments

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """``EnvironmentOutput`` of a page, built from the columns it shows (api_rows); the
        first page's window read by a compiled statement (``api_rows.environment_window``)."""
        user = _user(request)
        wanted = request.query_params.get("status") or ""
        paginator = PortalPagination()
        page = paginator.paginate_window(
            lambda start, stop: environment_window(
                user=user, status=wanted, start=start, stop=stop),
            lambda: self.get_queryset().count(), request)  # type: ignore[no-untyped-call]
        return paginator.get_paginated_response(environment_rows(page or []))


class EnvironmentDetailView(APIView):
    @extend_schema(responses=EnvironmentDetailOutput, summary="One environment with its timeline")
    def get(self, request: Request, pk: str) -> Response:
        environment = selectors.environment_for_user(user=_user(request), pk=pk)
        return Response(EnvironmentDetailOutput(environment).data)


class _ActionView(APIView):
    def act(self, request: Request, environment: Environment) -> Environment:
        raise NotImplementedError

    def post(self, request: Request, pk: str) -> Response:
        environment = selectors.environment_for_user(user=_user(request), pk=pk)
        try:
            environment = self.act(request, environment)
        except services.InvalidTransition as exc:
            return Response({"detail": str(exc)}, status=status.HTTP_409_CONFLICT)
        except PermissionDenied as exc:
            return Response({"detail": str(exc)}, status=status.HTTP_403_FORBIDDEN)
        return Response(EnvironmentOutput(environment).data, status=status.HTTP_202_ACCEPTED)


class EnvironmentStopView(_ActionView):
    @extend_schema(request=None, responses={202: EnvironmentOutput}, summary="Stop a notebook")
    def post(self, request: Request, pk: str) -> Response:
        return super().post(request, pk)

    def act(self, request: Request, environment: Environment) -> Environment:
        return lifecycle.environment_stop(environment=environment, user=_user(request),
                                          http_request=request._request)


class EnvironmentStartView(_ActionView):
    @extend_schema(request=None, responses={202: EnvironmentOutput}, summary="Start a notebook")
    def post(self, request: Request, pk: str) -> Response:
        return super().post(request, pk)

    def act(self, request: Request, environment: Environment) -> Environment:
        return lifecycle.environment_start(environment=environment, user=_user(request),
                                           http_request=request._request)


class EnvironmentTerminateView(_ActionView):
    @extend_schema(request=TerminateInput, responses={202: EnvironmentOutput},
                   summary='Terminate (owner or platform admin); needs {"confirm": true}')
    def post(self, request: Request, pk: str) -> Response:
        return super().post(request, pk)

    def act(self, request: Request, environment: Environment) -> Environment:
        data = TerminateInput(data=request.data)
        data.is_valid(raise_exception=True)
        return lifecycle.environment_terminate(
            environment=environment, user=_user(request), confirm=data.validated_data["confirm"],
            http_request=request._request)


class EnvironmentLaunchView(APIView):
    @extend_schema(request=None, responses={200: LaunchOutput, 202: LaunchOutput},
                   summary="A presigned URL to open the environment (never stored; audited)")
    def post(self, request: Request, pk: str) -> Response:
        user = _user(request)
        try:
            environment = selectors.environment_for_user(user=user, pk=pk)
        except Http404:
            launch_refuse(environment=None, user=user, http_request=request._request,
                          reason="not_owner", message="Not your environment.",
                          environment_ref=str(pk)[:64])
            raise
        try:
            launch = environment_launch(environment=environment, user=user,
                                        http_request=request._request)
        except LaunchRefused as refused:
            response = Response({"detail": refused.message, "reason": refused.reason},
                                status=refused.status)
        else:
            response = Response({"url": launch.url, "waiting": launch.waiting},
                                status=status.HTTP_202_ACCEPTED if launch.waiting else 200)
        return response_no_store(response)
