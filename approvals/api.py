"""API v1 of the approval workflow: requests (mine, create, detail, cancel), inbox, decisions.

Explicit input and output serializers; the services do the work; a refused action answers with
the service's 4xx status and ``{"detail": ..., "code": ...}``.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
)
from rest_framework import serializers, status
from rest_framework.request import Request as ApiRequest
from rest_framework.response import Response
from rest_framework.views import APIView

from approvals.api_rows import my_request_rows, my_request_values, my_request_window
from approvals.chain import request_chain, waiting_step
from approvals.errors import ApprovalError, RequestInvalid
from approvals.links import environment_links
from approvals.models import ApprovalTask, Request
from approvals.notifications import request_url
from approvals.selectors import (
    inbox_for_user,
    my_requests,
    request_for_user,
    request_tasks,
    task_for_user,
)
from approvals.services import (
    parameters_masked,
    request_approve,
    request_cancel,
    request_reject,
    request_submit,
)
from portal.api_input import PortalPagination, StrictInput
from portal.http import request_user as _user
from portal.models import User


def _refused(exc: ApprovalError) -> Response:
    if isinstance(exc, RequestInvalid):
        return Response({"detail": exc.message, "code": "invalid", "errors": exc.errors},
                        status=status.HTTP_400_BAD_REQUEST)
    code = "".join("_" + c.lower() if c.isupper() else c for c in type(exc).__name__).lstrip("_")
    return Response({"detail": exc.message, "code": code}, status=exc.status_code)


IDEMPOTENCY_HEADER = "Idempotency-Key"
IDEMPOTENCY_HELP = (
    "Optional; a unique key per request you mean to make (a UUID), at most 255 visible ASCII "
    "characters, bare or in double quotes. A retry with the same key and the same body answers "
    "200 with the request the first one created instead of creating another; the same key with "
    "another body answers 422. Keys are yours only (another user's key never finds your "
    "request) and do not expire.")


class RequestCreateInput(StrictInput):
    project = serializers.SlugField(help_text="Project slug")
    product = serializers.IntegerField()
    version = serializers.IntegerField(required=False, allow_null=True,
                                       help_text="Default: the product's default version")
    action = serializers.ChoiceField(choices=Request.Action.choices, default="create")
    environment_ref = serializers.CharField(required=False, allow_null=True, max_length=64)
    lease_days = serializers.IntegerField(
        required=False, allow_null=True, min_value=1, max_value=32767,
        help_text="create: the lease in days (default: the product's and project's default); "
                  "extend: the extension in days (required). Within the terms' maximum.")
    parameters = serializers.DictField(child=serializers.JSONField(), default=dict)
    tag_choices = serializers.DictField(child=serializers.JSONField(), default=dict)
    justification = serializers.CharField(max_length=4000, allow_blank=True)


class EnvironmentLinkOutput(serializers.Serializer[Any]):
    id = serializers.SerializerMethodField(
        help_text="Null when you may not open the environment (an approver)")
    name = serializers.CharField()
    status = serializers.CharField()

    def get_id(self, obj: Any) -> str | None:
        return str(obj.id) or None


class RequestListOutput(serializers.Serializer[Any]):
    """A request in a list; the view puts ``links`` (``approvals.links.environment_links`` of the
    page's requests) in the context, so the environment costs no query per row."""

    id = serializers.UUIDField()
    reference = serializers.CharField(help_text="The short reference people quote: REQ-1042")
    name = serializers.CharField(help_text="The environment's name as chosen (a new one) or as "
                                           "it is (a day-2 request); empty: the portal names it")
    status = serializers.CharField()
    action = serializers.CharField()
    requester = serializers.CharField(source="requester.username")
    project = serializers.CharField(source="project.slug")
    product = serializers.IntegerField(source="product_id")
    product_name = serializers.CharField(source="product.name")
    kind = serializers.CharField(source="product.kind")
    version = serializers.IntegerField(source="version_id")
    version_name = serializers.CharField(source="version.name")
    environment_ref = serializers.CharField(allow_null=True)
    lease_days = serializers.IntegerField(allow_null=True)
    estimated_monthly_cost = serializers.DecimalField(max_digits=12, decimal_places=2,
                                                      allow_null=True)
    created_at = serializers.DateTimeField()
    decided_at = serializers.DateTimeField(allow_null=True)
    handed_off_at = serializers.DateTimeField(allow_null=True)
    environment = serializers.SerializerMethodField(
        help_text="The environment the request made (create) or is about (day 2); null: none yet")
    url = serializers.SerializerMethodField()

    def get_url(self, obj: Request) -> str:
        return request_url(request=obj)

    @extend_schema_field(EnvironmentLinkOutput(allow_null=True))
    def get_environment(self, obj: Request) -> dict[str, Any] | None:
        link = self.context.get("links", {}).get(obj.pk)
        if link is None:
            return None
        # EnvironmentLinkOutput's fields, without a serializer per row (issue 16).
        return {"id": str(link.id) or None, "name": str(link.name), "status": str(link.status)}


class ChainPersonOutput(serializers.Serializer[Any]):
    username = serializers.CharField()
    name = serializers.CharField()


class ChainDecisionOutput(serializers.Serializer[Any]):
    approver = ChainPersonOutput()
    on_behalf_of = ChainPersonOutput(allow_null=True, help_text="The approver the decider "
                                     "stood in for as their delegate; null: their own right")
    verdict = serializers.CharField()
    comment = serializers.CharField()
    at = serializers.DateTimeField()


class ChainStepOutput(serializers.Serializer[Any]):
    position = serializers.IntegerField()
    name = serializers.CharField()
    state = serializers.ChoiceField(
        choices=["approved", "rejected", "expired", "skipped", "waiting", "future",
                 "not_reached"])
    required_approvals = serializers.IntegerField()
    people = ChainPersonOutput(many=True, help_text="Who may decide (waiting), will decide "
                                                    "(future) or could decide (closed)")
    who = serializers.CharField(help_text='E.g. "any one of 3: A, B, C"')
    groups = serializers.ListField(child=serializers.CharField())
    decisions = ChainDecisionOutput(many=True)
    since = serializers.DateTimeField(allow_null=True, help_text="When the waiting step opened")
    decided_at = serializers.DateTimeField(allow_null=True)
    escalated = serializers.BooleanField()


class MyRequestOutput(RequestListOutput):
    next_approvers = serializers.SerializerMethodField(
        help_text="Who decides the waiting step (empty: nothing waits)")

    @extend_schema_field(ChainPersonOutput(many=True))
    def get_next_approvers(self, obj: Request) -> list[dict[str, Any]]:
        step = waiting_step(request=obj)
        return [] if step is None else list(ChainPersonOutput(step.people, many=True).data)


class DecisionOutput(serializers.Serializer[Any]):
    approver = serializers.CharField(source="approver.username")
    on_behalf_of = serializers.CharField(source="on_behalf_of.username", allow_null=True,
                                         help_text="Whom a delegate decided for; null: none")
    verdict = serializers.CharField()
    comment = serializers.CharField()
    at = serializers.DateTimeField()


class TaskOutput(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    name = serializers.CharField()
    position = serializers.IntegerField()
    status = serializers.CharField()
    required_approvals = serializers.IntegerField()
    escalated = serializers.BooleanField()
    approvers = serializers.SerializerMethodField(help_text="People named on the task")
    groups = serializers.SerializerMethodField(help_text="Groups whose members may decide")
    decisions = DecisionOutput(many=True, source="decisions.all")

    def get_approvers(self, obj: ApprovalTask) -> list[str]:
        return [u.username for u in obj.eligible_approvers.all()]

    def get_groups(self, obj: ApprovalTask) -> list[str]:
        return [g.name for g in obj.eligible_groups.all()]


class RequestDetailOutput(RequestListOutput):
    justification = serializers.CharField()
    parameters = serializers.SerializerMethodField()
    tag_choices = serializers.DictField(child=serializers.CharField())
    status_reason = serializers.CharField()
    project_monthly_budget = serializers.DecimalField(source="project.monthly_budget",
                                                      max_digits=12, decimal_places=2)
    tasks = serializers.SerializerMethodField()
    chain = serializers.SerializerMethodField(
        help_text="Every step from the start: decided, waiting (with since when), to come")

    def get_parameters(self, obj: Request) -> dict[str, str]:
        return parameters_masked(request=obj)

    def _tasks(self, obj: Request) -> list[ApprovalTask]:
        if "tasks" not in self.context:
            self.context["tasks"] = request_tasks(request=obj)
        tasks: list[ApprovalTask] = self.context["tasks"]
        return tasks

    def get_tasks(self, obj: Request) -> list[dict[str, Any]]:
        return TaskOutput(self._tasks(obj), many=True).data  # type: ignore[return-value]

    @extend_schema_field(ChainStepOutput(many=True))
    def get_chain(self, obj: Request) -> list[dict[str, Any]]:
        chain = request_chain(request=obj, tasks=self._tasks(obj))
        return list(ChainStepOutput(chain, many=True).data)


def _detail(request: Request, user: User) -> dict[str, Any]:
    """A request's detail output, with its environment."""
    links = environment_links(requests=[request], user=user)
    return dict(RequestDetailOutput(request, context={"links": links}).data)


class InboxOutput(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    name = serializers.CharField()
    required_approvals = serializers.IntegerField()
    approvals = serializers.IntegerField()
    escalated = serializers.BooleanField()
    created_at = serializers.DateTimeField()
    on_behalf_of = serializers.CharField(
        source="on_behalf_of_username",
        help_text="The username of the approver you would decide for as their delegate "
                  "(out of office); empty: the task names you")
    request = RequestListOutput()
    justification = serializers.CharField(source="request.justification")


class DecisionInput(StrictInput):
    comment = serializers.CharField(required=False, allow_blank=True, max_length=4000,
                                    default="")


_COMMENT_REQUIRED = "Say why you reject the request: a comment is required."


class RejectInput(StrictInput):
    comment = serializers.CharField(
        max_length=4000, help_text="Why the request is rejected (required).",
        error_messages={"required": _COMMENT_REQUIRED, "blank": _COMMENT_REQUIRED},
    )


class RequestListView(APIView):
    pagination_class = PortalPagination

    @extend_schema(responses=MyRequestOutput(many=True), summary="My requests, newest first")
    def get(self, request: ApiRequest) -> Response:
        paginator = self.pagination_class()
        user = _user(request)
        page = paginator.paginate_window(
            lambda start, stop: my_request_window(user=user, start=start, stop=stop),
            lambda: my_request_values(my_requests(user=user)).count(), request)
        # MyRequestOutput's rows from plain values, without model instances or DRF's
        # per-field work (approvals.api_rows).
        return paginator.get_paginated_response(my_request_rows(page or [], user=user))

    @extend_schema(
        request=RequestCreateInput,
        parameters=[OpenApiParameter(
            IDEMPOTENCY_HEADER, str, location=OpenApiParameter.HEADER, required=False,
            description=IDEMPOTENCY_HELP)],
        responses={201: RequestDetailOutput,
                   200: OpenApiResponse(RequestDetailOutput, description=(
                       "A retry with the same Idempotency-Key and the same body: the request "
                       "the first one created (header Idempotent-Replayed: true).")),
                   422: OpenApiResponse(description=(
                       "The Idempotency-Key was already used with a different body; nothing "
                       "was created."))},
        summary="Request an environment",
    )
    def post(self, request: ApiRequest) -> Response:
        data = RequestCreateInput(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        try:
            submitted = request_submit(
                requester=_user(request), project_slug=values["project"],
                product_id=values["product"], version_id=values.get("version"),
                action=values["action"], environment_ref=values.get("environment_ref"),
                lease_days=values.get("lease_days"), parameters=values["parameters"],
                tag_choices=values["tag_choices"],
                justification=values["justification"],
                idempotency_key=request.headers.get(IDEMPOTENCY_HEADER, ""),
                http_request=request._request,
            )
        except ApprovalError as exc:
            return _refused(exc)
        created = request_for_user(user=_user(request), pk=submitted.request.pk)
        if not submitted.created:
            # Stripe's convention, so a client can tell a replay from a first answer.
            return Response(_detail(created, _user(request)), status=status.HTTP_200_OK,
                            headers={"Idempotent-Replayed": "true"})
        return Response(_detail(created, _user(request)), status=status.HTTP_201_CREATED)


class RequestDetailView(APIView):
    @extend_schema(responses=RequestDetailOutput, summary="A request with its approval chain")
    def get(self, request: ApiRequest, pk: str) -> Response:
        return Response(_detail(request_for_user(user=_user(request), pk=pk), _user(request)))


class RequestByReferenceView(APIView):
    @extend_schema(responses=RequestDetailOutput, operation_id="v1_requests_by_reference_retrieve",
                   summary="A request by its reference (REQ-1042), as /requests/{id} answers")
    def get(self, request: ApiRequest, reference: str) -> Response:
        return Response(_detail(request_for_user(user=_user(request), pk=reference),
                                _user(request)))


class RequestCancelView(APIView):
    @extend_schema(request=None, responses=RequestDetailOutput,
                   summary="Cancel my pending request")
    def post(self, request: ApiRequest, pk: str) -> Response:
        approval = request_for_user(user=_user(request), pk=pk)
        try:
            request_cancel(request=approval, user=_user(request), http_request=request._request)
        except ApprovalError as exc:
            return _refused(exc)
        return Response(_detail(request_for_user(user=_user(request), pk=pk), _user(request)))


class InboxView(APIView):
    pagination_class = PortalPagination

    @extend_schema(responses=InboxOutput(many=True), summary="Approval tasks waiting for me")
    def get(self, request: ApiRequest) -> Response:
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(inbox_for_user(user=_user(request)), request, view=self)
        tasks = list(page or [])
        links = environment_links(requests=[t.request for t in tasks], user=_user(request))
        return paginator.get_paginated_response(
            InboxOutput(tasks, many=True, context={"links": links}).data)


class _DecideView(APIView):
    verdict = "approve"
    input_class: type[StrictInput] = DecisionInput

    def post(self, request: ApiRequest, pk: int) -> Response:
        task = task_for_user(user=_user(request), pk=pk)
        data = self.input_class(data=request.data)
        if not data.is_valid():
            # The shape of every refusal of this API: a sentence in "detail", fields in "errors".
            first = next(iter(data.errors.values()))
            detail = str(first[0]) if isinstance(first, list) and first else "Invalid input."
            return Response({"detail": detail, "code": "invalid", "errors": data.errors},
                            status=status.HTTP_400_BAD_REQUEST)
        decide = request_approve if self.verdict == "approve" else request_reject
        try:
            decision = decide(task=task, approver=_user(request),
                              comment=data.validated_data["comment"],
                              http_request=request._request)
        except ApprovalError as exc:
            return _refused(exc)
        return Response(DecisionOutput(decision).data, status=status.HTTP_201_CREATED)


class TaskApproveView(_DecideView):
    verdict = "approve"

    @extend_schema(request=DecisionInput, responses={201: DecisionOutput},
                   summary="Approve a task (separation of duties applies)")
    def post(self, request: ApiRequest, pk: int) -> Response:
        return super().post(request, pk)


class TaskRejectView(_DecideView):
    verdict = "reject"
    input_class = RejectInput

    @extend_schema(request=RejectInput, responses={201: DecisionOutput},
                   summary="Reject a task; a comment is required")
    def post(self, request: ApiRequest, pk: int) -> Response:
        return super().post(request, pk)
