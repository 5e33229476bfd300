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


def response_no_store(response: ResponseT) -> ResponseT:
    """Keep a response carrying a secret (a presigned URL) out of caches, history and referrers."""
    response["Cache-Control"] = "no-store"
    response["Pragma"] = "no-cache"
    response["Referrer-Policy"] = "no-referrer"
    return response
