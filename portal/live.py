"""Live fragments: the small HTML pieces that pages poll (htmx) to update without a reload.

A page holds a region such as ``<section id="x" hx-get="<fragment url>" hx-trigger="every 3s"
hx-swap="outerHTML">`` and the fragment answers the same region rendered afresh, from the same
include as the page. While there is something to wait for the region keeps its ``hx-trigger``;
once the state is final it is rendered without one, so the browser stops asking (the page
renders it without one from the start when it is already final).

Fragments are scoped like their pages (out of scope: 404). Anonymous visitors get a bare 401
instead of the sign-in redirect: htmx swaps 2xx/3xx answers only, so an expired session never
pastes the sign-in page into a region; the poller just keeps knocking until a reload.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseBase, HttpResponseNotAllowed
from django.utils.cache import add_never_cache_headers, patch_vary_headers


def live_fragment(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    """GET only, signed-in only (401 otherwise), never cached."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if request.method not in ("GET", "HEAD"):
            return HttpResponseNotAllowed(["GET", "HEAD"])
        if not request.user.is_authenticated:
            return HttpResponse("Sign in again to see live updates.", status=401,
                                content_type="text/plain; charset=utf-8")
        response = view(request, *args, **kwargs)
        add_never_cache_headers(response)
        patch_vary_headers(response, ["Cookie"])
        return response

    return wrapper


def poll_context(*, live: bool, idle: bool = False) -> dict[str, Any]:
    """Template variables of a region: whether it keeps polling, and how often (seconds:
    ``PORTAL_LIVE_POLL_SECONDS``, or ``PORTAL_LIVE_IDLE_POLL_SECONDS`` for what never settles)."""
    seconds = (settings.PORTAL_LIVE_IDLE_POLL_SECONDS if idle
               else settings.PORTAL_LIVE_POLL_SECONDS)
    return {"live": live, "poll_seconds": seconds}
