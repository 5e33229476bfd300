"""/scim/v2: Users, Groups and the discovery documents, for the IdP's provisioning service.

Authenticated by the SCIM bearer token only (never a session or a person's API token). CSRF
protection is for cookie-authenticated browsers; these calls carry no cookie and a request
without the token is refused, so the views are exempt from Django's CSRF check.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt

from identity import scim_groups, scim_users
from identity.scim_auth import scim_token_check
from identity.scim_protocol import (
    ENTERPRISE_URN,
    GROUP_URN,
    LIST_URN,
    MAX_PAGE,
    USER_URN,
    ScimError,
    filter_parse,
    json_body,
    list_response,
    page_bounds,
    patch_operations,
    scim_error_response,
    scim_response,
)

View = Callable[..., HttpResponse]


def scim_endpoint(*methods: str) -> Callable[[View], View]:
    def decorate(view: View) -> View:
        @csrf_exempt
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            try:
                scim_token_check(request)
                if request.method not in methods:
                    raise ScimError(405, f"{request.method} is not allowed here.")
                return view(request, *args, **kwargs)
            except ScimError as error:
                return scim_error_response(error)
        return wrapped
    return decorate


def _absolute(request: HttpRequest, name: str, pk: Any) -> str:
    return request.build_absolute_uri(reverse(name, kwargs={"pk": pk}))


def _listed(request: HttpRequest, rows: QuerySet[Any], resource: Callable[[Any], dict[str, Any]]
            ) -> HttpResponse:
    start, count = page_bounds(request)
    total = rows.count()
    page = list(rows.order_by("pk")[start - 1:start - 1 + count]) if count else []
    return scim_response(list_response([resource(r) for r in page], total=total, start=start))


# --- Users ------------------------------------------------------------------------------------

def _user(request: HttpRequest, user: Any) -> dict[str, Any]:
    return scim_users.user_resource(user, location=_absolute(request, "scim:user", user.pk))


@scim_endpoint("GET", "POST")
def users(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        user = scim_users.user_create(json_body(request))
        body = _user(request, user)
        return scim_response(body, status=201, location=body["meta"]["location"])
    found = filter_parse(request.GET.get("filter", ""), allowed=scim_users.USER_FILTERS)
    rows = (scim_users.users_filtered(*found) if found else scim_users.users_visible())
    return _listed(request, rows.prefetch_related("groups"), lambda u: _user(request, u))


@scim_endpoint("GET", "PUT", "PATCH", "DELETE")
def user(request: HttpRequest, pk: str) -> HttpResponse:
    found = scim_users.user_get(pk)
    if request.method == "GET":
        return scim_response(_user(request, found))
    if request.method == "DELETE":
        scim_users.user_delete(found)
        return scim_response(None, status=204)
    body = json_body(request)
    if request.method == "PUT":
        changed = scim_users.user_replace(found, body)
    else:
        changed = scim_users.user_patch(found, patch_operations(body))
    return scim_response(_user(request, scim_users.user_get(str(changed.pk))))


# --- Groups -----------------------------------------------------------------------------------

def _group(request: HttpRequest, group: Any, *, members: bool = True) -> dict[str, Any]:
    return scim_groups.group_resource(group, location=_absolute(request, "scim:group", group.pk),
                                      members=members)


@scim_endpoint("GET", "POST")
def groups(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        group = scim_groups.group_create(json_body(request))
        body = _group(request, group)
        return scim_response(body, status=201, location=body["meta"]["location"])
    found = filter_parse(request.GET.get("filter", ""), allowed=scim_groups.GROUP_FILTERS)
    rows = scim_groups.groups_filtered(*found) if found else scim_groups.groups_visible()
    # excludedAttributes=members (Entra asks so when it only checks that a group exists)
    members = "members" not in request.GET.get("excludedAttributes", "")
    return _listed(request, rows, lambda g: _group(request, g, members=members))


@scim_endpoint("GET", "PUT", "PATCH", "DELETE")
def group(request: HttpRequest, pk: str) -> HttpResponse:
    found = scim_groups.group_get(pk)
    if request.method == "GET":
        members = "members" not in request.GET.get("excludedAttributes", "")
        return scim_response(_group(request, found, members=members))
    if request.method == "DELETE":
        scim_groups.group_delete(found)
        return scim_response(None, status=204)
    body = json_body(request)
    if request.method == "PUT":
        scim_groups.group_replace(found, body)
    else:
        scim_groups.group_patch(found, patch_operations(body))
    return scim_response(_group(request, scim_groups.group_get(pk)))


# --- Discovery (RFC 7644 section 4) -----------------------------------------------------------

@scim_endpoint("GET")
def service_provider_config(request: HttpRequest) -> HttpResponse:
    return scim_response({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"],
        "patch": {"supported": True}, "bulk": {"supported": False, "maxOperations": 0,
                                               "maxPayloadSize": 0},
        "filter": {"supported": True, "maxResults": MAX_PAGE},
        "changePassword": {"supported": False}, "sort": {"supported": False},
        "etag": {"supported": False},
        "authenticationSchemes": [{"type": "oauthbearertoken", "name": "Bearer token",
                                   "description": "The portal's SCIM token (made by a "
                                                  "platform admin), as Authorization: Bearer.",
                                   "primary": True}],
        "meta": {"resourceType": "ServiceProviderConfig"},
    })


RESOURCE_TYPES = [
    {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:ResourceType"], "id": "User",
     "name": "User", "endpoint": "/Users", "schema": USER_URN,
     "schemaExtensions": [{"schema": ENTERPRISE_URN, "required": False}],
     "meta": {"resourceType": "ResourceType"}},
    {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:ResourceType"], "id": "Group",
     "name": "Group", "endpoint": "/Groups", "schema": GROUP_URN,
     "meta": {"resourceType": "ResourceType"}},
]


def _attribute(name: str, kind: str = "string", **extra: Any) -> dict[str, Any]:
    return {"name": name, "type": kind, "multiValued": False, "required": False,
            "mutability": "readWrite", "returned": "default", "uniqueness": "none",
            "caseExact": False, **extra}


SCHEMAS = [
    {"id": USER_URN, "name": "User", "attributes": [
        _attribute("userName", required=True, uniqueness="server"),
        _attribute("name", "complex", subAttributes=[_attribute("givenName"),
                                                     _attribute("familyName")]),
        _attribute("displayName"), _attribute("active", "boolean"),
        _attribute("emails", "complex", multiValued=True,
                   subAttributes=[_attribute("value"), _attribute("type"),
                                  _attribute("primary", "boolean")]),
        _attribute("groups", "complex", multiValued=True, mutability="readOnly")]},
    {"id": ENTERPRISE_URN, "name": "EnterpriseUser", "attributes": [
        _attribute("department"), _attribute("costCenter"),
        _attribute("manager", "complex", subAttributes=[_attribute("value")])]},
    {"id": GROUP_URN, "name": "Group", "attributes": [
        _attribute("displayName", required=True, uniqueness="server"),
        _attribute("members", "complex", multiValued=True,
                   subAttributes=[_attribute("value"), _attribute("display")])]},
]


@scim_endpoint("GET")
def resource_types(request: HttpRequest) -> HttpResponse:
    return scim_response({"schemas": [LIST_URN], "totalResults": len(RESOURCE_TYPES),
                          "startIndex": 1, "itemsPerPage": len(RESOURCE_TYPES),
                          "Resources": RESOURCE_TYPES})


@scim_endpoint("GET")
def schemas(request: HttpRequest) -> HttpResponse:
    resources = [{**s, "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Schema"],
                  "meta": {"resourceType": "Schema"}} for s in SCHEMAS]
    return scim_response({"schemas": [LIST_URN], "totalResults": len(resources),
                          "startIndex": 1, "itemsPerPage": len(resources),
                          "Resources": resources})
