from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, SuspiciousOperation, TooManyFieldsSent
from django.http import HttpRequest, HttpResponse, JsonResponse

from portal.logs import request_context_start
from portal.models import new_request_id

_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


class RequestIdMiddleware:
    """Tag each request with an id (a proxy's X-Request-ID when sane) for the audit trail and
    every log line (portal.logs); ``request_finished`` clears it (portal.signals), after
    Django's own "Not Found"-style lines, which are written once the middleware has returned."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        incoming = request.headers.get("X-Request-ID", "")
        request.request_id = incoming if _REQUEST_ID.match(incoming) else new_request_id()  # type: ignore[attr-defined]
        request_context_start(request.request_id)  # type: ignore[attr-defined]
        response = self.get_response(request)
        response["X-Request-ID"] = request.request_id  # type: ignore[attr-defined]
        return response


def _valid_ip(value: str | None) -> str | None:
    try:
        return str(ipaddress.ip_address((value or "").strip()))
    except ValueError:
        return None


def client_ip(request: HttpRequest) -> str | None:
    """The caller's address: REMOTE_ADDR, or X-Forwarded-For as seen by our trusted proxies.

    With N trusted proxies the client is the N-th address from the right; anything left of it
    was written by the client and is ignored. A malformed value is treated as absent.
    """
    hops = settings.PORTAL_TRUSTED_PROXY_COUNT
    if hops:
        forwarded = [p.strip() for p in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
        forwarded = [p for p in forwarded if p]
        if len(forwarded) >= hops:
            found = _valid_ip(forwarded[-hops])
            if found:
                return found
    return _valid_ip(request.META.get("REMOTE_ADDR"))


def _refusal(request: HttpRequest, status: int, message: str) -> HttpResponse:
    """A short, plain answer: this runs before sessions, so no page template can be rendered."""
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": message, "code": "bad_input"}, status=status)
    return HttpResponse(message, status=status, content_type="text/plain; charset=utf-8")


class BadInputMiddleware:
    """Refuse, before any view runs, input no view can handle: NUL characters in the address,
    the query string or a form body (PostgreSQL text cannot hold U+0000), a malformed
    Content-Length, and a body larger than DATA_UPLOAD_MAX_MEMORY_SIZE (413; the portal takes no
    file uploads). JSON bodies are checked by the API's parser (portal.api_input)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        refused = self._refuse(request)
        return refused if refused is not None else self.get_response(request)

    def _refuse(self, request: HttpRequest) -> HttpResponse | None:
        if "\x00" in request.path:
            return _refusal(request, 400, "NUL characters are not accepted in the address.")
        for key, values in request.GET.lists():
            if "\x00" in key or any("\x00" in value for value in values):
                return _refusal(request, 400, "NUL characters are not accepted in the query "
                                              f"string (parameter {key.replace(chr(0), '')!r}).")
        raw_length = request.META.get("CONTENT_LENGTH") or "0"
        if not raw_length.isascii() or not raw_length.isdigit():
            return _refusal(request, 400, "The Content-Length header is not a number.")
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        if limit is not None and int(raw_length) > limit:
            return _refusal(request, 413, f"The request body is larger than {limit} bytes.")
        # The API takes JSON only: its parser refuses form bodies (415), so leave them unread.
        if (request.method == "POST" and request.content_type in _FORM_TYPES
                and not request.path.startswith("/api/")):
            try:
                form = request.POST
            except RequestDataTooBig:
                return _refusal(request, 413, f"The request body is larger than {limit} bytes.")
            except (TooManyFieldsSent, SuspiciousOperation):
                return _refusal(request, 400, "The form has too many fields.")
            for key, values in form.lists():
                if "\x00" in key or any("\x00" in value for value in values):
                    return _refusal(request, 400, "NUL characters are not accepted in a form.")
        return None


_FORM_TYPES = {"application/x-www-form-urlencoded", "multipart/form-data"}


class HeadAsGetMiddleware:
    """HEAD works wherever GET does: the view answers a GET and the body is dropped.

    Views declare ``require_GET``, which would answer HEAD with 405 (RFC 9110 says a server
    should answer HEAD like GET, headers included)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.method != "HEAD":
            return self.get_response(request)
        request.method = "GET"
        response = self.get_response(request)
        request.method = "HEAD"
        if response.streaming:
            response.streaming_content = []  # type: ignore[attr-defined]
        else:
            response.content = b""  # Content-Length, set by CommonMiddleware, stays the GET's
        return response


class SecurityHeadersMiddleware:
    """Content-Security-Policy and Permissions-Policy on every response; `Cache-Control:
    private, no-store` on every response but static files (pages and API answers carry personal
    data; no shared cache or browser history may keep them)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.static_prefix = "/" + settings.STATIC_URL.lstrip("/")

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.setdefault("Content-Security-Policy", settings.PORTAL_CONTENT_SECURITY_POLICY)
        response.setdefault("Permissions-Policy", settings.PORTAL_PERMISSIONS_POLICY)
        # A view's own no-store (never_cache's, the launch pages') is already as strict: no
        # cache, shared or private, may keep the answer. Anything else is replaced.
        if (not request.path.startswith(self.static_prefix)
                and "no-store" not in response.get("Cache-Control", "")):
            response["Cache-Control"] = "private, no-store"
        return response
