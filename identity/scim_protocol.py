"""The SCIM 2.0 protocol parts the portal needs (RFC 7643 schemas, RFC 7644 protocol).

Why not django-scim2 (PyPI, fits Django 5.2): it keeps its SCIM columns on the user model
through a mixin (here that is portal's ``User``, at the bottom of the app chain), authenticates
through ``request.user`` (the IdP's bearer token here is no portal user), and leaves the PATCH
semantics (``add``/``replace``/``remove`` per path) to the adapters anyway, which is most of what
Entra ID's and Okta's quirks below need. The protocol surface the two clients use is small: one
filter form, PatchOp, ListResponse and the Error message, written here instead.

Facts relied on (Microsoft's and Okta's SCIM provisioning documentation, RFC 7644):
- Entra ID and Okta look a user up with ``GET /Users?filter=userName eq "<value>"`` before
  creating one (Entra also ``externalId eq``; groups ``displayName eq``); only ``eq`` (and ``and``)
  is used. ``userName`` is case-insensitive (RFC 7643 ``caseExact: false``).
- Entra ID writes the PatchOp ``op`` capitalised (``Replace``, ``Add``, ``Remove``); RFC 7644 says
  lowercase: both are accepted. Entra has sent booleans as strings (``"False"``).
- Entra ID deactivates with PATCH ``active`` = false when a user is unassigned or soft-deleted
  and rarely calls DELETE; Okta sends ``{"op": "replace", "value": {"active": false}}`` without
  a path (or a PUT of the whole user with ``active: false``).
- Group membership: Entra ``{"op": "Add"|"Remove", "path": "members", "value": [{"value": id}]}``,
  Okta ``{"op": "remove", "path": "members[value eq \"id\"]"}`` and ``add`` with ``path: members``.
- Errors are ``{"schemas": [Error URN], "status": "<code as string>", "scimType", "detail"}``.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest, HttpResponse

SCIM_CONTENT_TYPE = "application/scim+json"
ERROR_URN = "urn:ietf:params:scim:api:messages:2.0:Error"
LIST_URN = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
PATCH_URN = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
USER_URN = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP_URN = "urn:ietf:params:scim:schemas:core:2.0:Group"
ENTERPRISE_URN = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
MAX_PAGE = 200
MAX_BODY = 1024 * 1024


class ScimError(Exception):
    """A SCIM error answer: HTTP status, ``scimType`` (RFC 7644 table 9) and a detail."""

    def __init__(self, status: int, detail: str, scim_type: str = "") -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.scim_type = scim_type


def scim_response(body: dict[str, Any] | None, *, status: int = 200,
                  location: str = "") -> HttpResponse:
    response = HttpResponse(b"" if body is None else json.dumps(body),
                            status=status, content_type=SCIM_CONTENT_TYPE)
    if location:
        response["Location"] = location
    return response


def scim_error_response(error: ScimError) -> HttpResponse:
    body: dict[str, Any] = {"schemas": [ERROR_URN], "status": str(error.status),
                            "detail": error.detail}
    if error.scim_type:
        body["scimType"] = error.scim_type
    response = scim_response(body, status=error.status)
    if error.status == 401:
        response["WWW-Authenticate"] = 'Bearer realm="scim"'
    return response


def json_body(request: HttpRequest) -> dict[str, Any]:
    """The request's JSON object (``application/scim+json`` or ``application/json``)."""
    content_type = request.content_type or ""
    if content_type not in (SCIM_CONTENT_TYPE, "application/json"):
        raise ScimError(415, "Send the body as application/scim+json.", "invalidSyntax")
    if len(request.body) > MAX_BODY:
        raise ScimError(413, "The body is too large.", "tooMany")
    try:
        body = json.loads(request.body or b"{}")
    except (ValueError, UnicodeDecodeError):
        raise ScimError(400, "The body is not valid JSON.", "invalidSyntax") from None
    if not isinstance(body, dict):
        raise ScimError(400, "The body must be a JSON object.", "invalidSyntax")
    return body


def scim_bool(value: Any, *, name: str = "active") -> bool:
    """A SCIM boolean; Entra's ``"True"``/``"False"`` strings too."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    raise ScimError(400, f"{name} must be true or false.", "invalidValue")


_FILTER = re.compile(r'^\s*([A-Za-z][\w.:-]*)\s+eq\s+"((?:[^"\\]|\\.)*)"\s*$', re.IGNORECASE)


def filter_parse(raw: str, *, allowed: dict[str, str]) -> tuple[str, str] | None:
    """``attr eq "value"`` as (the field name ``allowed`` maps it to, the value); None without a
    filter. Any other form, or another attribute, is a 400 ``invalidFilter``."""
    if not raw.strip():
        return None
    match = _FILTER.match(raw)
    if match is None:
        raise ScimError(400, 'Only filters of the form attribute eq "value" are supported.',
                        "invalidFilter")
    attribute = match.group(1).lower()
    field = {k.lower(): v for k, v in allowed.items()}.get(attribute)
    if field is None:
        raise ScimError(400, f"Filtering on {match.group(1)} is not supported.", "invalidFilter")
    value = json.loads(f'"{match.group(2)}"')
    return field, str(value)


def page_bounds(request: HttpRequest) -> tuple[int, int]:
    """(startIndex, count) of a list call: 1-based; count capped at MAX_PAGE."""
    try:
        start = max(1, int(request.GET.get("startIndex", "1")))
        count = min(MAX_PAGE, max(0, int(request.GET.get("count", str(MAX_PAGE)))))
    except ValueError:
        raise ScimError(400, "startIndex and count are integers.", "invalidValue") from None
    return start, count


def list_response(resources: list[dict[str, Any]], *, total: int, start: int) -> dict[str, Any]:
    return {"schemas": [LIST_URN], "totalResults": total, "startIndex": start,
            "itemsPerPage": len(resources), "Resources": resources}


@dataclass(frozen=True)
class PatchOperation:
    """One PatchOp operation: ``op`` lowercased, ``path`` ("" for none), the value, and for a
    path like ``members[value eq "id"]`` the attribute and the filtered value."""

    op: str
    path: str
    value: Any
    target: str = ""        # the attribute of a filtered path ("members")
    target_value: str = ""  # its filter's value (the member id)


_FILTERED_PATH = re.compile(r'^\s*([A-Za-z][\w.:-]*)\[\s*value\s+eq\s+"([^"]*)"\s*\]\s*$',
                            re.IGNORECASE)


def patch_operations(body: dict[str, Any]) -> list[PatchOperation]:
    if PATCH_URN not in (body.get("schemas") or []):
        raise ScimError(400, f"A PATCH body names the schema {PATCH_URN}.", "invalidSyntax")
    raw = body.get("Operations", body.get("operations"))
    if not isinstance(raw, list) or not raw:
        raise ScimError(400, "Operations must be a non-empty list.", "invalidSyntax")
    operations = []
    for item in raw:
        if not isinstance(item, dict):
            raise ScimError(400, "Each operation is an object.", "invalidSyntax")
        op = str(item.get("op", "")).strip().lower()
        if op not in ("add", "replace", "remove"):
            raise ScimError(400, f"Unknown op {item.get('op')!r}.", "invalidSyntax")
        path = str(item.get("path") or "").strip()
        if op == "remove" and not path:
            raise ScimError(400, "remove needs a path.", "noTarget")
        if op != "remove" and "value" not in item:
            raise ScimError(400, f"{op} needs a value.", "invalidValue")
        filtered = _FILTERED_PATH.match(path)
        operations.append(PatchOperation(
            op=op, path=path, value=item.get("value"),
            target=filtered.group(1).lower() if filtered else "",
            target_value=filtered.group(2) if filtered else ""))
    return operations
