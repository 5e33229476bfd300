"""The portal's URLs plus views that fail, for the error page tests."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.urls import path
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from config.urls import handler403, handler404, handler500  # noqa: F401
from config.urls import urlpatterns as portal_urlpatterns

SECRET_DETAIL = "connection string postgres://portal:hunter2@db/portal"


def boom(request: HttpRequest) -> HttpResponse:
    raise RuntimeError(SECRET_DETAIL)


class ApiBoom(APIView):
    def get(self, request: Request) -> Response:
        raise RuntimeError(SECRET_DETAIL)


urlpatterns = [
    path("test-only/boom/", boom),
    path("test-only/api-boom/", ApiBoom.as_view()),
    *portal_urlpatterns,
]
