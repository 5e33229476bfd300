"""The OpenAPI schema says what the API really answers: every operation lists its refusals.

Which refusals an operation can give follows from how it is built, so they are derived here once
rather than repeated on every view:

- 400: every operation (BadInputMiddleware refuses malformed addresses and query strings
  everywhere; bodies and limit/offset are validated where they exist);
- 401: only when the first authentication class names a WWW-Authenticate scheme (DRF answers
  403 otherwise; with session authentication first, an anonymous caller gets 403);
- 403: every operation that requires authentication (anonymous, or not allowed);
- 404: operations with a path parameter (objects outside the caller's scope are 404 too);
- 409: state changes (POST/PUT/PATCH/DELETE) unless the view sets ``schema_conflicts = False``;
- 413 and 415: operations that take a body (over DATA_UPLOAD_MAX_MEMORY_SIZE; not JSON).
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.openapi import AutoSchema
from rest_framework import serializers
from rest_framework.permissions import AllowAny


class ErrorOutput(serializers.Serializer):
    """A refusal: a sentence in ``detail``; validation refusals may instead (or also) name the
    fields, each with its messages."""

    detail = serializers.CharField(required=False, help_text="What was refused, and why.")
    code = serializers.CharField(required=False, help_text="A machine-readable reason.")
    # A field named like a Serializer attribute: fine at runtime (the metaclass moves it).
    errors = serializers.DictField(  # type: ignore[assignment]
        required=False, help_text="Field-by-field messages.")


_WHY = {
    "400": "Invalid input (malformed address, query string or body; failed validation).",
    "401": "Not signed in.",
    "403": "Not signed in, or not allowed.",
    "404": "No such object among those visible to the caller.",
    "409": "The object's current state does not allow this.",
    "413": "The request body is too large.",
    "415": "The body is not JSON.",
}
_UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}


class PortalAutoSchema(AutoSchema):
    def _get_response_bodies(self, direction: Any = "response") -> dict[str, Any]:
        responses: dict[str, Any] = super()._get_response_bodies(direction)
        for code in self._refusal_codes():
            if code not in responses:
                response = self._get_response_for_code(ErrorOutput, code, direction=direction)
                response["description"] = _WHY[code]
                responses[code] = response
        return responses

    def _refusal_codes(self) -> list[str]:
        codes = ["400"]
        view = self.view
        open_to_all = any(isinstance(p, AllowAny) for p in view.get_permissions())
        if not open_to_all:
            authenticators = view.get_authenticators()
            if authenticators and authenticators[0].authenticate_header(view.request):
                codes.append("401")
            codes.append("403")
        if "{" in self.path:
            codes.append("404")
        if self.method in _UNSAFE:
            if getattr(view, "schema_conflicts", True):
                codes.append("409")
            if self.get_request_serializer() is not None:
                codes += ["413", "415"]
        return codes
