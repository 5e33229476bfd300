"""The baseline for bench/bench_pages.py: bare Django/DRF views serving the same rows from the
same tables as the portal's pages, without scoping rules, navigation, live parts or policy.

It is a URLconf: the portal's own (``config.urls``) plus ``/baseline/<page>/``, so both are
served by one process with the same settings, middleware and database. Each view reads the
rows its portal page shows (the same filter on the same user, the same page size) and renders
them in a small template (HTML) or a DRF ModelSerializer (API) — what a team would write first.
Never part of the product: the benchmark sets ``ROOT_URLCONF`` to this module.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from typing import Any

from django.core.paginator import Paginator
from django.db.models import Prefetch, QuerySet
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.template import engines
from django.urls import include, path
from rest_framework import serializers
from rest_framework.generics import ListAPIView
from rest_framework.pagination import LimitOffsetPagination

from approvals.models import ApprovalTask, Request
from catalog.models import ParameterSpec, Product, ProductVersion
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


_PRODUCT = engines["django"].from_string(
    "<!doctype html><html lang='en'><head><title>{{ product.name }}</title></head><body>"
    "<h1>{{ product.name }}</h1><p>{{ product.description }}</p><ul>"
    "{% for v in versions %}<li>{{ v.name }} {{ v.description }}</li>{% endfor %}</ul>"
    "<form method='post'>{% csrf_token %}{% for p in parameters %}<label>{{ p.key }} "
    "{% if p.allowed_values %}<select name='{{ p.key }}'>{% for a in p.allowed_values %}"
    "<option{% if a == p.default %} selected{% endif %}>{{ a }}</option>{% endfor %}</select>"
    "{% else %}<input name='{{ p.key }}' value='{{ p.default|default:'' }}'>{% endif %}"
    "</label> {{ p.description }}{% endfor %}<button>Check</button></form></body></html>")


def product(request: HttpRequest, pk: int) -> HttpResponse:
    """The product, its live versions and the newest one's live parameters as form inputs."""
    found = Product.objects.prefetch_related(Prefetch(
        "versions", queryset=ProductVersion.objects.filter(
            active=True, retired_at__isnull=True).order_by("-aws_created_at", "-pk"))).get(pk=pk)
    versions = list(found.versions.all())
    parameters = (ParameterSpec.objects.filter(version=versions[0], retired_at__isnull=True)
                  .order_by("position", "key") if versions else ParameterSpec.objects.none())
    return HttpResponse(_PRODUCT.render({"product": found, "versions": versions,
                                         "parameters": parameters}, request))


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


class _Echo:
    def write(self, value: str) -> str:
        return value


def audit_export(request: HttpRequest) -> StreamingHttpResponse:
    """The whole trail as CSV, streamed: the same columns as the portal's export, straight from
    ``values_list`` through ``csv.writer`` (no filter form, scoping, escaping or audit event)."""
    columns = ("id", "at", "actor_username", "actor_id", "action", "object_type", "object_id",
               "object_repr", "project__slug", "project_id", "source_ip", "request_id", "data",
               "prev_hash", "hash")
    writer = csv.writer(_Echo())

    def rows() -> Iterator[str]:
        yield str(writer.writerow(columns))
        for row in AuditEvent.objects.order_by("-at", "-id").values_list(*columns).iterator(
                chunk_size=500):
            yield str(writer.writerow(row))

    return StreamingHttpResponse(rows(), content_type="text/csv")


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
    path("baseline/catalog/<int:pk>/", product),
    path("baseline/environments/", environments),
    path("baseline/requests/", requests),
    path("baseline/inbox/", inbox),
    path("baseline/audit/", audit),
    path("baseline/audit/export.csv", audit_export),
    path("baseline/environments/all/", all_environments),
    path("baseline/environments/<uuid:pk>/", environment),
    path("baseline/api/environments", EnvironmentsApi.as_view()),
    path("baseline/api/requests", RequestsApi.as_view()),
    path("", include("config.urls")),
]
