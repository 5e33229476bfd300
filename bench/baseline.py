"""The baseline for bench/bench_pages.py: bare Django/DRF views serving the same rows from the
same tables as the portal's pages, without scoping rules, navigation, live parts or policy.

It is a URLconf: the portal's own (``config.urls``) plus ``/baseline/<page>/``, so both are
served by one process with the same settings, middleware and database. Each view reads the
rows its portal page shows (the same filter on the same user, the same page size) and renders
them in a small template (HTML) or a DRF ModelSerializer (API) — what a team would write first.
Never part of the product: the benchmark sets ``ROOT_URLCONF`` to this module.
"""

from __future__ import annotations

from typing import Any

from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.template import engines
from django.urls import include, path
from rest_framework import serializers
from rest_framework.generics import ListAPIView
from rest_framework.pagination import LimitOffsetPagination

from approvals.models import ApprovalTask, Request
from catalog.models import Product
from portal.models import AuditEvent
from provisioning.models import Environment

_TABLE = engines["django"].from_string(
    "<!doctype html><html lang='en'><head><title>{{ title }}</title></head><body>"
    "<h1>{{ title }}</h1><p>{{ count }} in all</p><table>"
    "{% for row in rows %}<tr>{% for cell in row %}<td>{{ cell }}</td>{% endfor %}</tr>"
    "{% endfor %}</table></body></html>")


def _table(request: HttpRequest, title: str, rows: QuerySet[Any], per_page: int,
           cells: Any) -> HttpResponse:
    page = Paginator(rows, per_page).get_page(request.GET.get("page"))
    return HttpResponse(_TABLE.render({"title": title, "count": page.paginator.count,
                                       "rows": [cells(row) for row in page.object_list]},
                                      request))


def dashboard(request: HttpRequest) -> HttpResponse:
    user = request.user
    rows = Environment.objects.filter(owner=user).exclude(status="terminated").select_related(
        "product").order_by("-created_at")
    return _table(request, "Dashboard", rows, 10,
                  lambda e: (e.provisioned_product_name, e.product.name, e.status))


def catalog(request: HttpRequest) -> HttpResponse:
    rows = Product.objects.filter(published=True, retired_at__isnull=True).order_by("name")
    return _table(request, "Catalog", rows, 24, lambda p: (p.name, p.get_kind_display()))


def environments(request: HttpRequest) -> HttpResponse:
    rows = Environment.objects.filter(owner=request.user).select_related(
        "product", "project").order_by("-created_at")
    return _table(request, "My environments", rows, 50,
                  lambda e: (e.provisioned_product_name, e.product.name, e.project.name,
                             e.status, e.expires_at))


def requests(request: HttpRequest) -> HttpResponse:
    rows = Request.objects.filter(requester=request.user).select_related(
        "product", "project").order_by("-created_at")
    return _table(request, "My requests", rows, 50,
                  lambda r: (r.number, r.product.name, r.project.name, r.status, r.created_at))


def inbox(request: HttpRequest) -> HttpResponse:
    rows = ApprovalTask.objects.filter(status="pending", eligible_approvers=request.user)\
        .select_related("request__requester", "request__product").order_by("created_at")
    return _table(request, "Inbox", rows, 50,
                  lambda t: (t.name, t.request.number, t.request.requester.username,
                             t.request.product.name))


def audit(request: HttpRequest) -> HttpResponse:
    rows = AuditEvent.objects.order_by("-at", "-id")
    if request.GET.get("actor"):
        rows = rows.filter(actor_username__iexact=request.GET["actor"])
    if request.GET.get("object"):
        rows = rows.filter(object_repr__icontains=request.GET["object"])
    return _table(request, "Audit trail", rows, 50,
                  lambda a: (a.at, a.actor_username, a.action, a.object_repr))


def all_environments(request: HttpRequest) -> HttpResponse:
    rows = Environment.objects.select_related("product", "project", "owner").order_by(
        "-created_at")
    return _table(request, "All environments", rows, 50,
                  lambda e: (e.provisioned_product_name, e.product.name, e.project.name,
                             e.owner.username, e.status))


def environment(request: HttpRequest, pk: str) -> HttpResponse:
    """One environment as its page shows it: its row with product, project, version and origin
    request, its parameters, its requests (origin and day-2) and its timeline."""
    env = Environment.objects.select_related("product", "project", "owner", "version",
                                             "origin_request").get(pk=pk, owner_id=request.user.pk)
    requests = Request.objects.filter(environment_ref=str(env.pk)).order_by("created_at")
    rows = [(env.provisioned_product_name, env.product.name, env.version.name, env.project.name,
             env.owner.username, env.origin_request.number, env.status, env.expires_at),
            *((key, value) for key, value in (env.parameters or {}).items()),
            *((r.number, r.action, r.status, r.created_at) for r in requests),
            *((e.at, e.kind, e.message) for e in env.events.order_by("-at", "-pk"))]
    return HttpResponse(_TABLE.render({"title": env.provisioned_product_name,
                                       "count": len(rows), "rows": rows}, request))


class _EnvironmentSerializer(serializers.ModelSerializer[Environment]):
    class Meta:
        model = Environment
        fields = ["id", "provisioned_product_name", "status", "project", "product", "owner",
                  "created_at", "expires_at"]


class _RequestSerializer(serializers.ModelSerializer[Request]):
    class Meta:
        model = Request
        fields = ["id", "number", "status", "action", "project", "product", "created_at"]


class _Pages(LimitOffsetPagination):
    default_limit = 50
    max_limit = 500


class EnvironmentsApi(ListAPIView[Environment]):
    serializer_class = _EnvironmentSerializer
    pagination_class = _Pages

    def get_queryset(self) -> QuerySet[Environment]:
        return Environment.objects.filter(owner=self.request.user).order_by("-created_at")


class RequestsApi(ListAPIView[Request]):
    serializer_class = _RequestSerializer
    pagination_class = _Pages

    def get_queryset(self) -> QuerySet[Request]:
        return Request.objects.filter(requester=self.request.user).order_by("-created_at")


urlpatterns = [
    path("baseline/dashboard/", dashboard),
    path("baseline/catalog/", catalog),
    path("baseline/environments/", environments),
    path("baseline/requests/", requests),
    path("baseline/inbox/", inbox),
    path("baseline/audit/", audit),
    path("baseline/environments/all/", all_environments),
    path("baseline/environments/<uuid:pk>/", environment),
    path("baseline/api/environments", EnvironmentsApi.as_view()),
    path("baseline/api/requests", RequestsApi.as_view()),
    path("", include("config.urls")),
]
