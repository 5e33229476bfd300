"""Small request/response helpers shared by the apps' views and API views."""

from __future__ import annotations

from typing import TypeVar, cast

from django.http import HttpRequest, HttpResponseBase
from rest_framework.request import Request

from portal.models import User

ResponseT = TypeVar("ResponseT", bound=HttpResponseBase)


def request_user(request: HttpRequest | Request) -> User:
    """The signed-in portal user of a request that passed authentication.

    Only for views behind ``login_required`` or DRF's ``IsAuthenticated``: the stubs type
    ``request.user`` as possibly anonymous, which those guards already exclude.
    """
    return cast(User, request.user)


def response_no_store(response: ResponseT, *, referrer: str = "no-referrer") -> ResponseT:
    """Keep a response carrying a secret (a presigned URL) out of caches, history and referrers.

    A page that only waits for one and POSTs its own forms passes ``referrer="same-origin"``:
    under ``no-referrer`` the browser sends those POSTs with ``Origin: null`` (Fetch standard,
    "serializing a request origin"), which Django's CSRF check refuses."""
    response["Cache-Control"] = "no-store"
    response["Pragma"] = "no-cache"
    response["Referrer-Policy"] = referrer
    return response
