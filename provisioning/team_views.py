"""The project view (pages, CSV export, API summary) for project leads and line managers.

Scoped by ``provisioning.team``: a project out of the user's scope is a 404 everywhere. The view
names environments by their provisioned product name, never by id: a lead may see a member's
environment here without being able to open its page (that stays the owner's, and admins').
Requests link to their page only where the user may open it.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseBase, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request as ApiRequest
from rest_framework.response import Response
from rest_framework.views import APIView

from approvals.selectors import requests_for_user
from portal.csv_stream import csv_lines
from portal.http import request_user as _user
from portal.models import User
from provisioning import metering, team


def _openable_requests(user: User, summary: team.ProjectSummary) -> set[Any]:
    """The listed requests the user may open (one query)."""
    ids = [r.pk for r in summary.requests]
    return set(requests_for_user(user=user).filter(pk__in=ids).values_list("pk", flat=True))


@login_required
@require_GET
def project_list(request: HttpRequest) -> HttpResponse:
    projects = list(team.projects_viewable(user=_user(request)))
    return render(request, "provisioning/project_list.html", {"projects": projects})


@login_required
@require_GET
def project_detail(request: HttpRequest, slug: str) -> HttpResponse:
    user = _user(request)
    scope = team.project_scope_for_user(user=user, slug=slug)
    summary = team.project_summary(scope=scope)
    return render(request, "provisioning/project_detail.html", {
        "summary": summary, "project": scope.project, "scope": scope,
        "openable": _openable_requests(user, summary),
        "exportable": scope.whole,
    })


def _month(value: str, now: datetime) -> tuple[datetime, datetime] | None:
    """The period of ``?month=YYYY-MM`` (this month so far when empty); None when malformed."""
    if not value:
        return metering.month_start(now), now
    try:
        start = datetime.strptime(value, "%Y-%m").replace(tzinfo=UTC)
    except ValueError:
        return None
    if start > now:
        return None
    following = start.replace(year=start.year + start.month // 12, month=start.month % 12 + 1)
    return start, min(following, now)


CSV_COLUMNS = ["project", "environment", "owner", "product", "kind", "status", "period_start",
               "period_end", "running_hours", "stopped_hours", "usd_per_hour_running",
               "usd_per_hour_stopped", "usd"]


@login_required
@require_GET
def project_costs_csv(request: HttpRequest, slug: str) -> HttpResponseBase:
    """Metered cost of each of the project's environments over a month, streamed as CSV.

    For the project's leads and platform admins (a line manager's scope is a part of the project:
    403). ``?month=YYYY-MM`` picks a past month; this month so far by default.
    """
    scope = team.project_scope_for_user(user=_user(request), slug=slug)
    if not scope.whole:
        raise PermissionDenied("Only the project's leads and platform admins export its costs.")
    period = _month(str(request.GET.get("month", ""))[:7], timezone.now())
    if period is None:
        return HttpResponse("month must be a past or current month as YYYY-MM, e.g. 2026-03.\n",
                            status=400, content_type="text/plain; charset=utf-8")
    start, end = period
    environments = list(
        team.project_environments(scope=scope, terminated=True).filter(created_at__lt=end)
        .exclude(terminated_at__lt=start))
    costs = metering.environment_costs(environments, since=start, until=end)

    def cells() -> Iterator[tuple[object, ...]]:
        yield tuple(CSV_COLUMNS)
        for environment in environments:
            cost = costs[environment.pk]
            yield (
                scope.project.slug, environment.provisioned_product_name,
                environment.owner.username, environment.product.name, environment.product.kind,
                environment.status, start.isoformat(), end.isoformat(), cost.running_hours,
                cost.stopped_hours, cost.rates.compute_usd_per_hour.quantize(Decimal("0.0001")),
                cost.rates.storage_usd_per_hour.quantize(Decimal("0.0001")), cost.usd)

    response = StreamingHttpResponse(csv_lines(cells()), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = (
        f'attachment; filename="{scope.project.slug}-costs-{start:%Y-%m}.csv"')
    return response


# --- API ----------------------------------------------------------------------------------------

class SummaryEnvironmentOutput(serializers.Serializer[Any]):
    name = serializers.CharField(help_text="The provisioned product name.")
    owner = serializers.CharField()
    product = serializers.CharField()
    product_kind = serializers.CharField()
    status = serializers.CharField()
    month_to_date_usd = serializers.DecimalField(max_digits=12, decimal_places=2)
    estimated_monthly_usd = serializers.DecimalField(max_digits=12, decimal_places=2,
                                                     allow_null=True)


class SummaryRequestOutput(serializers.Serializer[Any]):
    requester = serializers.CharField()
    product = serializers.CharField()
    action = serializers.CharField()
    status = serializers.CharField()
    created_at = serializers.DateTimeField()
    estimated_monthly_cost = serializers.DecimalField(max_digits=12, decimal_places=2,
                                                      allow_null=True)


class SummaryPersonOutput(serializers.Serializer[Any]):
    username = serializers.CharField()
    environments = serializers.IntegerField()
    month_to_date_usd = serializers.DecimalField(max_digits=12, decimal_places=2)


class ProjectSummaryOutput(serializers.Serializer[Any]):
    project = serializers.CharField()
    name = serializers.CharField()
    scope = serializers.ChoiceField(choices=["project", "reports"], help_text=(
        "project: everything (a lead, a platform admin); reports: what the caller's direct "
        "reports own or asked for (a line manager)."))
    monthly_budget_usd = serializers.DecimalField(max_digits=12, decimal_places=2)
    month_to_date_usd = serializers.DecimalField(max_digits=12, decimal_places=2)
    budget_used_percent = serializers.DecimalField(max_digits=8, decimal_places=1,
                                                   allow_null=True)
    as_of = serializers.DateTimeField()
    environments = SummaryEnvironmentOutput(many=True)
    requests = SummaryRequestOutput(many=True)
    people = SummaryPersonOutput(many=True)


def summary_data(summary: team.ProjectSummary) -> dict[str, Any]:
    return {
        "project": summary.project.slug, "name": summary.project.name,
        "scope": "project" if summary.scope.whole else "reports",
        "monthly_budget_usd": summary.budget, "month_to_date_usd": summary.month_to_date,
        "budget_used_percent": summary.budget_used_percent, "as_of": summary.now,
        "environments": [{
            "name": e.provisioned_product_name, "owner": e.owner.username,
            "product": e.product.name, "product_kind": e.product.kind, "status": e.status,
            "month_to_date_usd": cost.usd,
            "estimated_monthly_usd": cost.usd_per_month_running if cost.rates.priced else None,
        } for e, cost in summary.rows()],
        "requests": [{
            "requester": r.requester.username, "product": r.product.name, "action": r.action,
            "status": r.status, "created_at": r.created_at,
            "estimated_monthly_cost": r.estimated_monthly_cost,
        } for r in summary.requests],
        "people": [{"username": p.user.username, "environments": p.environments,
                    "month_to_date_usd": p.month_to_date} for p in summary.people],
    }


class ProjectSummaryView(APIView):
    @extend_schema(summary="A project's environments, requests and month-to-date cost against "
                           "its budget (project leads, line managers, platform admins)",
                   operation_id="project_summary", responses=ProjectSummaryOutput)
    def get(self, request: ApiRequest, slug: str) -> Response:
        scope = team.project_scope_for_user(user=_user(request), slug=slug)
        return Response(ProjectSummaryOutput(summary_data(team.project_summary(scope=scope))).data)
