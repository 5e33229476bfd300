"""The authorization matrix: every URL pattern and API operation x eight personas x methods.

The table below is the rule: one line per (route, method) with the status each persona gets, in
the order of PERSONAS. The routes come from the URLconf and the operations from the OpenAPI
schema, so an endpoint added without a rule fails `test_every_url_pattern_has_a_rule` (or the
schema test). Every 200 answer is also checked for foreign objects: a request or environment the
persona cannot open (its detail is a 404 for them) must not appear in any list they get.

State-changing calls run inside a savepoint that is rolled back, so each persona meets the same
data; Celery tasks are recorded, never sent.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from django.contrib import admin
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone

from approvals.models import ApprovalDelegation
from portal.aws import credential_cache
from portal.models import Notification, Project, User
from tests.approvals.conftest import (  # noqa: F401  (fixtures reused from the approvals cast)
    demo_policies,
    gpu_request,
    notebook,
    other_manager,
    platform_admin,
    prices,
    sent_tasks,
)
from tests.provisioning.conftest import approved_request, make_notebook_product

PERSONAS = ["requester", "colleague", "outsider", "manager", "other_manager", "platform_admin",
            "auditor", "anonymous"]
API_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"]
PAGE_METHODS = ["GET", "POST"]
# A page that needs a query string to show anything is called with one.
QUERIES = {"requests/new": "?product={product}"}

# (route, method): the status for each of PERSONAS, in order. API routes list the methods the
# schema documents plus DELETE (or another undocumented method) to show it is refused.
RULES: dict[tuple[str, str], str] = {
    ("", "GET"): "200 200 200 200 200 200 200 302",
    ("", "POST"): "405 405 405 405 405 405 405 302",
    ("healthz", "GET"): "200 200 200 200 200 200 200 200",
    ("favicon.ico", "GET"): "301 301 301 301 301 301 301 301",
    ("healthz", "POST"): "200 200 200 200 200 200 200 200",
    # No worker has answered in this test database: 503 for everyone (test_worker_health.py).
    ("healthz/workers", "GET"): "503 503 503 503 503 503 503 503",
    ("healthz/workers", "POST"): "405 405 405 405 405 405 405 405",
    # Sessions never open /metrics, only its bearer token (tests/portal/test_metrics.py); no
    # PORTAL_METRICS_TOKEN here, so it is a 404.
    ("metrics", "GET"): "404 404 404 404 404 404 404 404",
    ("metrics", "POST"): "405 405 405 405 405 405 405 405",
    ("accounts/login/", "GET"): "302 302 302 302 302 302 302 200",
    ("accounts/login/", "POST"): "302 302 302 302 302 302 302 403",
    ("accounts/logout/", "GET"): "405 405 405 405 405 405 405 405",
    ("accounts/logout/", "POST"): "302 302 302 302 302 302 302 302",
    ("accounts/inactive/", "GET"): "403 403 403 403 403 403 403 403",
    ("accounts/inactive/", "POST"): "405 405 405 405 405 405 405 405",
    ("accounts/signup/", "GET"): "302 302 302 302 302 302 302 302",
    ("accounts/signup/", "POST"): "302 302 302 302 302 302 302 302",
    ("accounts/sso/cancelled/", "GET"): "200 200 200 200 200 200 200 200",
    ("accounts/sso/cancelled/", "POST"): "405 405 405 405 405 405 405 405",
    ("accounts/sso/error/", "GET"): "401 401 401 401 401 401 401 401",
    ("accounts/sso/error/", "POST"): "405 405 405 405 405 405 405 405",
    ("accounts/sso/signup/", "GET"): "302 302 302 302 302 302 302 302",
    ("accounts/sso/signup/", "POST"): "302 302 302 302 302 302 302 302",
    ("accounts/^saml/(?P<organization_slug>[^/]+)/acs/", "GET"): "405 405 405 405 405 405 405 405",
    ("accounts/^saml/(?P<organization_slug>[^/]+)/acs/", "POST"): "404 404 404 404 404 404 404 404",
    ("accounts/^saml/(?P<organization_slug>[^/]+)/acs/finish/", "GET"): "404 404 404 404 404 404 404 404",  # noqa: E501
    ("accounts/^saml/(?P<organization_slug>[^/]+)/acs/finish/", "POST"): "405 405 405 405 405 405 405 405",  # noqa: E501
    ("accounts/^saml/(?P<organization_slug>[^/]+)/sls/", "GET"): "404 404 404 404 404 404 404 404",
    ("accounts/^saml/(?P<organization_slug>[^/]+)/sls/", "POST"): "405 405 405 405 405 405 405 405",
    ("accounts/^saml/(?P<organization_slug>[^/]+)/metadata/", "GET"): "404 404 404 404 404 404 404 404",  # noqa: E501
    ("accounts/^saml/(?P<organization_slug>[^/]+)/metadata/", "POST"): "405 405 405 405 405 405 405 405",  # noqa: E501
    ("accounts/^saml/(?P<organization_slug>[^/]+)/login/", "GET"): "404 404 404 404 404 404 404 404",  # noqa: E501
    ("accounts/^saml/(?P<organization_slug>[^/]+)/login/", "POST"): "404 404 404 404 404 404 404 404",  # noqa: E501
    ("account/api-token/", "GET"): "200 200 200 200 200 200 200 302",
    ("account/api-token/", "POST"): "200 200 200 200 200 200 200 302",
    ("audit/", "GET"): "403 403 403 403 403 200 200 302",
    ("audit/", "POST"): "405 405 405 405 405 405 405 302",
    ("audit/export.csv", "GET"): "403 403 403 403 403 200 200 302",
    ("audit/export.csv", "POST"): "405 405 405 405 405 405 405 302",
    ("policy-pack/", "GET"): "404 404 404 404 404 200 404 302",
    ("policy-pack/", "POST"): "405 405 405 405 405 405 405 302",
    ("policy-pack/<slug:name>.json", "GET"): "404 404 404 404 404 200 404 302",
    ("policy-pack/<slug:name>.json", "POST"): "405 405 405 405 405 405 405 302",
    ("catalog/", "GET"): "200 200 200 200 200 200 200 302",
    ("catalog/", "POST"): "405 405 405 405 405 405 405 302",
    ("catalog/<int:pk>/", "GET"): "200 200 404 200 404 404 404 302",
    ("catalog/<int:pk>/", "POST"): "400 400 404 400 404 404 404 302",
    ("catalog/manage/", "GET"): "403 403 403 403 403 200 403 302",
    ("catalog/manage/", "POST"): "405 405 405 405 405 405 405 302",
    ("catalog/manage/sync/", "GET"): "405 405 405 405 405 405 405 302",
    ("catalog/manage/sync/", "POST"): "403 403 403 403 403 302 403 302",
    ("catalog/manage/prices/", "GET"): "403 403 403 403 403 200 403 302",
    ("catalog/manage/prices/", "POST"): "403 403 403 403 403 400 403 302",
    ("catalog/manage/<int:pk>/", "GET"): "403 403 403 403 403 200 403 302",
    ("catalog/manage/<int:pk>/", "POST"): "403 403 403 403 403 400 403 302",
    # An empty estimate form is valid (no figure, no types): saved, back to the product page.
    ("catalog/manage/<int:pk>/estimate/", "GET"): "405 405 405 405 405 405 405 302",
    ("catalog/manage/<int:pk>/estimate/", "POST"): "403 403 403 403 403 302 403 302",
    # An empty storage price is refused with a message on the prices page (a redirect).
    ("catalog/manage/prices/storage/", "GET"): "405 405 405 405 405 405 405 302",
    ("catalog/manage/prices/storage/", "POST"): "403 403 403 403 403 302 403 302",
    ("catalog/manage/<int:pk>/parameters/<str:key>/", "GET"): "405 405 405 405 405 405 405 302",
    ("catalog/manage/<int:pk>/parameters/<str:key>/", "POST"): "403 403 403 403 403 400 403 302",
    ("requests/", "GET"): "200 200 200 200 200 200 200 302",
    ("requests/", "POST"): "405 405 405 405 405 405 405 302",
    ("requests/new", "GET"): "200 200 404 200 404 404 404 302",
    ("requests/new", "POST"): "400 400 404 400 404 404 404 302",
    ("requests/inbox/", "GET"): "200 200 200 200 200 200 200 302",
    ("requests/inbox/", "POST"): "405 405 405 405 405 405 405 302",
    ("requests/inbox/approve", "GET"): "405 405 405 405 405 405 405 302",
    ("requests/inbox/approve", "POST"): "400 400 400 400 400 400 400 302",
    # Out of office (delegations): approvers only (403 for whoever has nothing to approve; the
    # outsider leads their own project); an empty form is a 400. Ending one is its delegator's
    # (the manager's here); 404 for everyone else.
    ("requests/delegations/", "GET"): "403 403 200 200 200 200 403 302",
    ("requests/delegations/", "POST"): "403 403 400 400 400 400 403 302",
    ("requests/delegations/<int:pk>/end", "GET"): "405 405 405 405 405 405 405 302",
    ("requests/delegations/<int:pk>/end", "POST"): "404 404 404 302 404 404 404 302",
    ("requests/tasks/<int:pk>/decide", "GET"): "405 405 405 405 405 405 405 302",
    ("requests/tasks/<int:pk>/decide", "POST"): "400 404 404 400 404 404 404 302",
    ("requests/<uuid:pk>/", "GET"): "200 404 404 200 404 200 200 302",
    ("requests/<uuid:pk>/", "POST"): "405 405 405 405 405 405 405 302",
    # The reference (REQ-1042) redirects to the page above, for whoever may see the request.
    ("requests/<reference:reference>/", "GET"): "302 404 404 302 404 302 302 302",
    ("requests/<reference:reference>/", "POST"): "405 405 405 405 405 405 405 302",
    ("requests/<uuid:pk>/cancel", "GET"): "405 405 405 405 405 405 405 302",
    ("requests/<uuid:pk>/cancel", "POST"): "302 404 404 403 404 403 403 302",
    ("environments/", "GET"): "200 200 200 200 200 200 200 302",
    ("environments/", "POST"): "405 405 405 405 405 405 405 302",
    ("environments/status.json", "GET"): "200 200 200 200 200 200 200 302",
    ("environments/status.json", "POST"): "405 405 405 405 405 405 405 302",
    ("environments/all/", "GET"): "403 403 403 403 403 200 403 302",
    ("environments/all/", "POST"): "405 405 405 405 405 405 405 302",
    ("environments/<uuid:pk>/", "GET"): "200 404 404 404 404 200 404 302",
    ("environments/<uuid:pk>/", "POST"): "405 405 405 405 405 405 405 302",
    ("environments/<uuid:pk>/open", "GET"): "405 405 405 405 405 405 405 302",
    ("environments/<uuid:pk>/open", "POST"): "502 404 404 404 404 403 404 302",
    ("environments/<uuid:pk>/stop", "GET"): "405 405 405 405 405 405 405 302",
    ("environments/<uuid:pk>/stop", "POST"): "302 404 404 404 404 403 404 302",
    ("environments/<uuid:pk>/start", "GET"): "405 405 405 405 405 405 405 302",
    ("environments/<uuid:pk>/start", "POST"): "302 404 404 404 404 403 404 302",
    ("environments/<uuid:pk>/terminate", "GET"): "405 405 405 405 405 405 405 302",
    ("environments/<uuid:pk>/terminate", "POST"): "302 404 404 404 404 302 404 302",
    # The project view: the fraud project's lead (the manager) and platform admins; 404 else.
    ("projects/", "GET"): "200 200 200 200 200 200 200 302",
    ("projects/", "POST"): "405 405 405 405 405 405 405 302",
    ("projects/<slug:slug>/", "GET"): "404 404 404 200 404 200 404 302",
    ("projects/<slug:slug>/", "POST"): "405 405 405 405 405 405 405 302",
    ("projects/<slug:slug>/costs.csv", "GET"): "404 404 404 200 404 200 404 302",
    ("projects/<slug:slug>/costs.csv", "POST"): "405 405 405 405 405 405 405 302",
    ("leases/<uuid:pk>/", "GET"): "200 404 404 404 404 200 404 302",
    ("leases/<uuid:pk>/", "POST"): "405 405 405 405 405 405 405 302",
    ("leases/<uuid:pk>/extend", "GET"): "405 405 405 405 405 405 405 302",
    ("leases/<uuid:pk>/extend", "POST"): "400 404 404 404 404 403 404 302",
    ("leases/<uuid:pk>/pause", "GET"): "405 405 405 405 405 405 405 302",
    ("leases/<uuid:pk>/pause", "POST"): "403 404 404 404 404 400 404 302",
    # The owner's auto-stop switch (no "off" posted: an error message and back to the page).
    ("leases/<uuid:pk>/autostop", "GET"): "405 405 405 405 405 405 405 302",
    ("leases/<uuid:pk>/autostop", "POST"): "302 404 404 404 404 403 404 302",
    # Everyone sets their own time zone (nothing posted: unchanged, back to the dashboard).
    ("leases/time-zone", "GET"): "405 405 405 405 405 405 405 302",
    ("leases/time-zone", "POST"): "302 302 302 302 302 302 302 302",
    # Guardrails: platform admins only; an empty POST lacks the reason (400, nothing saved).
    ("guardrails/", "GET"): "403 403 403 403 403 200 403 302",
    ("guardrails/", "POST"): "403 403 403 403 403 400 403 302",
    ("guardrails/versions/<int:number>/", "GET"): "403 403 403 403 403 200 403 302",
    ("guardrails/versions/<int:number>/", "POST"): "405 405 405 405 405 405 405 302",
    ("guardrails/report/", "GET"): "403 403 403 403 403 200 403 302",
    ("guardrails/report/", "POST"): "405 405 405 405 405 405 405 302",
    ("api/v1/guardrails", "GET"): "403 403 403 403 403 200 403 401",
    ("api/v1/guardrails", "DELETE"): "403 403 403 403 403 405 403 401",
    # Leavers (identity): the report for platform admins and auditors, the actions for admins.
    ("people/leavers/", "GET"): "403 403 403 403 403 200 200 302",
    ("people/leavers/", "POST"): "405 405 405 405 405 405 405 302",
    ("people/deactivate", "GET"): "405 405 405 405 405 405 405 302",
    ("people/deactivate", "POST"): "403 403 403 403 403 400 403 302",
    ("people/reactivate", "GET"): "405 405 405 405 405 405 405 302",
    ("people/reactivate", "POST"): "403 403 403 403 403 400 403 302",
    ("people/scim-tokens/", "GET"): "403 403 403 403 403 200 403 302",
    ("people/scim-tokens/", "POST"): "403 403 403 403 403 400 403 302",
    ("people/scim-tokens/<int:pk>/revoke", "GET"): "405 405 405 405 405 405 405 302",
    ("people/scim-tokens/<int:pk>/revoke", "POST"): "403 403 403 403 403 404 403 302",
    # SCIM: only the SCIM bearer token opens it, never a session (tests/identity).
    ("scim/v2/ServiceProviderConfig", "GET"): "401 401 401 401 401 401 401 401",
    ("scim/v2/ServiceProviderConfig", "POST"): "401 401 401 401 401 401 401 401",
    ("scim/v2/ResourceTypes", "GET"): "401 401 401 401 401 401 401 401",
    ("scim/v2/ResourceTypes", "POST"): "401 401 401 401 401 401 401 401",
    ("scim/v2/Schemas", "GET"): "401 401 401 401 401 401 401 401",
    ("scim/v2/Schemas", "POST"): "401 401 401 401 401 401 401 401",
    ("scim/v2/Users", "GET"): "401 401 401 401 401 401 401 401",
    ("scim/v2/Users", "POST"): "401 401 401 401 401 401 401 401",
    ("scim/v2/Users/<str:pk>", "GET"): "401 401 401 401 401 401 401 401",
    ("scim/v2/Users/<str:pk>", "POST"): "401 401 401 401 401 401 401 401",
    ("scim/v2/Groups", "GET"): "401 401 401 401 401 401 401 401",
    ("scim/v2/Groups", "POST"): "401 401 401 401 401 401 401 401",
    ("scim/v2/Groups/<str:pk>", "GET"): "401 401 401 401 401 401 401 401",
    ("scim/v2/Groups/<str:pk>", "POST"): "401 401 401 401 401 401 401 401",
    ("leases/<uuid:pk>/shorten", "GET"): "405 405 405 405 405 405 405 302",
    ("leases/<uuid:pk>/shorten", "POST"): "403 404 404 404 404 400 404 302",
    # Live fragments (htmx) and in-app notifications: scoped like their pages; a notice is its
    # recipient's (the requester's here), marking all read touches only one's own.
    ("api/v1/notifications", "GET"): "200 200 200 200 200 200 200 401",
    ("api/v1/notifications", "DELETE"): "405 405 405 405 405 405 405 401",
    ("api/v1/notifications/read", "GET"): "405 405 405 405 405 405 405 401",
    ("api/v1/notifications/read", "POST"): "200 200 200 200 200 200 200 401",
    ("catalog/manage/sync/runs", "GET"): "403 403 403 403 403 200 403 401",
    ("catalog/manage/sync/runs", "POST"): "405 405 405 405 405 405 405 405",
    ("environments/<uuid:pk>/timeline", "GET"): "200 404 404 404 404 200 404 401",
    ("environments/<uuid:pk>/timeline", "POST"): "405 405 405 405 405 405 405 405",
    ("notifications/", "GET"): "200 200 200 200 200 200 200 302",
    ("notifications/", "POST"): "405 405 405 405 405 405 405 302",
    ("notifications/<int:pk>/read", "GET"): "405 405 405 405 405 405 405 302",
    ("notifications/<int:pk>/read", "POST"): "302 404 404 404 404 404 404 302",
    ("notifications/count", "GET"): "200 200 200 200 200 200 200 401",
    ("notifications/count", "POST"): "405 405 405 405 405 405 405 405",
    ("notifications/read", "GET"): "405 405 405 405 405 405 405 302",
    ("notifications/read", "POST"): "302 302 302 302 302 302 302 302",
    ("requests/<uuid:pk>/live", "GET"): "200 404 404 200 404 200 200 401",
    ("requests/<uuid:pk>/live", "POST"): "405 405 405 405 405 405 405 405",
    ("requests/inbox/live", "GET"): "200 200 200 200 200 200 200 401",
    ("requests/inbox/live", "POST"): "405 405 405 405 405 405 405 405",
    # The fake AWS's launch pages: only a valid presigned token opens them, whoever is signed in.
    ("fakeaws/notebook/<str:region>/<str:name>/", "GET"): "403 403 403 403 403 403 403 403",
    ("fakeaws/notebook/<str:region>/<str:name>/", "POST"): "405 405 405 405 405 405 405 405",
    ("fakeaws/studio/<str:region>/<str:domain_id>/<str:profile>/", "GET"): "403 403 403 403 403 403 403 403",  # noqa: E501
    ("fakeaws/studio/<str:region>/<str:domain_id>/<str:profile>/", "POST"): "405 405 405 405 405 405 405 405",  # noqa: E501
    ("api/v1/me", "GET"): "200 200 200 200 200 200 200 401",
    ("api/v1/me", "DELETE"): "405 405 405 405 405 405 405 401",
    ("api/v1/me/quota", "GET"): "200 200 200 200 200 200 200 401",
    ("api/v1/me/quota", "DELETE"): "405 405 405 405 405 405 405 401",
    ("api/v1/projects", "GET"): "200 200 200 200 200 200 200 401",
    ("api/v1/projects", "DELETE"): "405 405 405 405 405 405 405 401",
    ("api/v1/projects/<slug:slug>/summary", "GET"): "404 404 404 200 404 200 404 401",
    ("api/v1/projects/<slug:slug>/summary", "DELETE"): "405 405 405 405 405 405 405 401",
    ("api/v1/policy-pack", "GET"): "404 404 404 404 404 200 404 401",
    ("api/v1/policy-pack", "DELETE"): "405 405 405 405 405 405 405 401",
    ("api/v1/policy-pack/<slug:name>", "GET"): "404 404 404 404 404 200 404 401",
    ("api/v1/policy-pack/<slug:name>", "DELETE"): "405 405 405 405 405 405 405 401",
    ("api/v1/catalog/products", "GET"): "200 200 200 200 200 200 200 401",
    ("api/v1/catalog/products", "DELETE"): "405 405 405 405 405 405 405 401",
    ("api/v1/catalog/products/<int:pk>", "GET"): "200 200 404 200 404 404 404 401",
    ("api/v1/catalog/products/<int:pk>", "DELETE"): "405 405 405 405 405 405 405 401",
    ("api/v1/catalog/products/<int:pk>/validate", "POST"): "400 400 404 400 404 404 404 401",
    ("api/v1/catalog/products/<int:pk>/validate", "DELETE"): "405 405 405 405 405 405 405 401",
    ("api/v1/catalog/admin/products/<int:pk>", "PATCH"): "403 403 403 403 403 200 403 401",
    ("api/v1/catalog/admin/products/<int:pk>", "DELETE"): "403 403 403 403 403 405 403 401",
    ("api/v1/catalog/admin/products/<int:pk>/parameters/<str:key>", "PUT"): "403 403 403 403 403 200 403 401",  # noqa: E501
    ("api/v1/catalog/admin/products/<int:pk>/parameters/<str:key>", "DELETE"): "403 403 403 403 403 405 403 401",  # noqa: E501
    ("api/v1/catalog/admin/sync", "POST"): "403 403 403 403 403 202 403 401",
    ("api/v1/catalog/admin/sync", "DELETE"): "403 403 403 403 403 405 403 401",
    ("api/v1/requests", "GET"): "200 200 200 200 200 200 200 401",
    ("api/v1/requests", "POST"): "400 400 400 400 400 400 400 401",
    ("api/v1/requests", "DELETE"): "405 405 405 405 405 405 405 401",
    ("api/v1/requests/<uuid:pk>", "GET"): "200 404 404 200 404 200 200 401",
    ("api/v1/requests/<uuid:pk>", "DELETE"): "405 405 405 405 405 405 405 401",
    ("api/v1/requests/<reference:reference>", "GET"): "200 404 404 200 404 200 200 401",
    ("api/v1/requests/<reference:reference>", "DELETE"): "405 405 405 405 405 405 405 401",
    ("api/v1/requests/<uuid:pk>/cancel", "POST"): "200 404 404 403 404 403 403 401",
    ("api/v1/requests/<uuid:pk>/cancel", "DELETE"): "405 405 405 405 405 405 405 401",
    ("api/v1/inbox", "GET"): "200 200 200 200 200 200 200 401",
    ("api/v1/inbox", "DELETE"): "405 405 405 405 405 405 405 401",
    ("api/v1/tasks/<int:pk>/approve", "POST"): "403 404 404 201 404 404 404 401",
    ("api/v1/tasks/<int:pk>/approve", "DELETE"): "405 405 405 405 405 405 405 401",
    ("api/v1/tasks/<int:pk>/reject", "POST"): "400 404 404 400 404 404 404 401",
    ("api/v1/tasks/<int:pk>/reject", "DELETE"): "405 405 405 405 405 405 405 401",
    ("api/v1/environments", "GET"): "200 200 200 200 200 200 200 401",
    ("api/v1/environments", "DELETE"): "405 405 405 405 405 405 405 401",
    ("api/v1/environments/<uuid:pk>", "GET"): "200 404 404 404 404 200 404 401",
    ("api/v1/environments/<uuid:pk>", "DELETE"): "405 405 405 405 405 405 405 401",
    ("api/v1/environments/<uuid:pk>/stop", "POST"): "202 404 404 404 404 403 404 401",
    ("api/v1/environments/<uuid:pk>/stop", "DELETE"): "405 405 405 405 405 405 405 401",
    ("api/v1/environments/<uuid:pk>/start", "POST"): "409 404 404 404 404 403 404 401",
    ("api/v1/environments/<uuid:pk>/start", "DELETE"): "405 405 405 405 405 405 405 401",
    ("api/v1/environments/<uuid:pk>/terminate", "POST"): "400 404 404 404 404 400 404 401",
    ("api/v1/environments/<uuid:pk>/terminate", "DELETE"): "405 405 405 405 405 405 405 401",
    ("api/v1/environments/<uuid:pk>/launch", "POST"): "502 404 404 404 404 403 404 401",
    ("api/v1/environments/<uuid:pk>/launch", "DELETE"): "405 405 405 405 405 405 405 401",
    ("api/schema/", "GET"): "200 200 200 200 200 200 200 401",
    ("api/schema/", "DELETE"): "405 405 405 405 405 405 405 401",
    ("api/docs/", "GET"): "200 200 200 200 200 200 200 302",
    ("api/docs/", "DELETE"): "405 405 405 405 405 405 405 302",
}
# Every admin/ pattern: the Django admin is for platform admins only (checked on the index and
# every registered model's changelist; its other pages sit behind the same admin_view guard).
# The portal's own admins follow the portal role; the admins that libraries register (groups,
# tokens, allauth) keep Django's per-model permissions, which nobody is given: 403 to all.
ADMIN_RULE = "302 302 302 302 302 200 302 302"
LIBRARY_ADMIN_RULE = "302 302 302 302 302 403 302 302"
# Pages that show the audit trail list object ids by design, to those allowed to read it.
AUDIT_ROUTES = {"audit/", "audit/export.csv"}


def url_patterns(resolver: URLResolver | None = None, prefix: str = "") -> Iterator[str]:
    for entry in (resolver or get_resolver()).url_patterns:
        if isinstance(entry, URLResolver):
            yield from url_patterns(entry, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            yield prefix + str(entry.pattern)


def is_api(route: str) -> bool:
    return route.startswith("api/")


class World:
    """The cast, the requester's objects (which every path parameter names) and foreign ones."""

    def __init__(self, cast: dict[str, User | None], *, request: Any, task: Any, product: Any,
                 environment: Any, outsider_request: Any, outsider_environment: Any,
                 notification: Any, delegation: Any) -> None:
        self.cast = cast
        self.delegation = delegation
        self.notification = notification
        self._clients: dict[str, Client] = {}
        self.request, self.task, self.product = request, task, product
        self.environment = environment
        self.tracked = {"requester's request": (request.pk, f"api/v1/requests/{request.pk}"),
                        "requester's environment": (environment.pk,
                                                    f"api/v1/environments/{environment.pk}"),
                        "outsider's request": (outsider_request.pk,
                                               f"api/v1/requests/{outsider_request.pk}"),
                        "outsider's environment": (outsider_environment.pk,
                                                   f"api/v1/environments/"
                                                   f"{outsider_environment.pk}")}

    def client(self, persona: str) -> Client:
        if persona not in self._clients:
            client = self._clients[persona] = Client()
            user = self.cast[persona]
            if user is not None:
                client.force_login(user)
        return self._clients[persona]

    def url(self, route: str) -> str:
        pk = {"catalog": self.product.pk, "requests": self.request.pk, "tasks": self.task.pk,
              "environments": self.environment.pk, "leases": self.environment.pk,
              "notifications": self.notification.pk, "delegations": self.delegation.pk,
              "scim-tokens": 999999}  # no such token: a 404 for the admin
        parts = route.split("/")
        for i, part in enumerate(parts):
            if part in {"<int:pk>", "<uuid:pk>"}:
                owner = next(p for p in reversed(parts[:i]) if p in pk)
                parts[i] = str(pk[owner])
        url = "/".join(parts) + QUERIES.get(route, "").format(product=self.product.pk)
        return "/" + (url.replace("<str:key>", "InstanceType").replace("<slug:slug>", "fraud")
                      .replace("<int:number>", "1")
                      .replace("<reference:reference>", self.request.reference)
                      .replace("<slug:name>", "scp-guardrails")
                      .replace("<str:name>", self.environment.notebook_instance_name)
                      .replace("<str:domain_id>", "d-fraud").replace("<str:profile>", "dana")
                      .replace("<str:pk>", "1")
                      .replace("^saml/(?P<organization_slug>[^/]+)/", "saml/portal/"))

    def call(self, persona: str, method: str, route: str) -> tuple[int, bytes]:
        client = self.client(persona)
        cookies = copy.deepcopy(client.cookies)  # sign-out must not sign the persona out for good
        with transaction.atomic():
            body: Any = {} if method != "GET" else None
            kwargs: dict[str, Any] = {"content_type": "application/json"} if (
                is_api(route) and body is not None) else {}
            response = getattr(client, method.lower())(self.url(route), body, **kwargs) \
                if body is not None else client.get(self.url(route))
            content = b"" if response.streaming else response.content
            if response.streaming:
                content = b"".join(response.streaming_content)  # type: ignore[attr-defined]
            transaction.set_rollback(True)
        # The rollback also forgets the fake AWS's STS sessions of this call: the credentials the
        # portal cached for them must go too (AWS itself never forgets a session it issued).
        credential_cache.clear()
        client.cookies = cookies
        return response.status_code, content

    def invisible_to(self, persona: str) -> dict[str, str]:
        """The tracked objects whose detail is a 404 (or refused) for the persona."""
        hidden = {}
        for label, (pk, detail) in self.tracked.items():
            status, _ = self.call(persona, "GET", detail)
            if status != 200:
                hidden[label] = str(pk)
        return hidden


@pytest.fixture
def world(request: pytest.FixtureRequest, scientist: User, colleague: User, outsider: User,
          manager: User, auditor: User, project: Project, other_project: Project) -> World:
    from guardrails.models import GuardrailVersion
    from provisioning.models import Environment

    # Fixtures of the approvals cast, imported above (named here, not as arguments, for ruff).
    other_mgr = request.getfixturevalue("other_manager")
    admin_user = request.getfixturevalue("platform_admin")
    gpu = request.getfixturevalue("gpu_request")

    def environment_of(owner: User, where: Project, product: Any, version: Any,
                       name: str) -> Any:
        origin = approved_request(requester=owner, project=where, product=product,
                                  version=version)
        return Environment.objects.create(
            origin_request=origin, owner=owner, project=where, product=product, version=version,
            provisioned_product_name=name, notebook_instance_name=name,
            status=Environment.Status.AVAILABLE)

    environment = environment_of(scientist, project, gpu.product, gpu.version,
                                 "fraud-dana-nb-1")
    outsider_environment = environment_of(
        outsider, other_project, *make_notebook_product(other_project, product_id="prod-nb0002"),
        "credit-otto-nb-1")
    # A guardrails version to show (no rule on: it refuses nothing here).
    GuardrailVersion.objects.create(number=1, rules={}, reason="The matrix's version")
    cast: dict[str, User | None] = {
        "requester": scientist, "colleague": colleague, "outsider": outsider,
        "manager": manager, "other_manager": other_mgr, "platform_admin": admin_user,
        "auditor": auditor, "anonymous": None}
    return World(cast, request=gpu, task=gpu.tasks.get(),
                 product=gpu.product, environment=environment,
                 outsider_request=outsider_environment.origin_request,
                 outsider_environment=outsider_environment,
                 # the requester's in-app notice: others marking it read is a 404
                 notification=Notification.objects.create(
                     recipient=scientist, kind="approval", text="A notice", link="/"),
                 # the manager's out-of-office delegate: ending it is the manager's alone (it
                 # starts tomorrow, so the other manager decides nothing for them today)
                 delegation=ApprovalDelegation.objects.create(
                     delegator=manager, delegate=other_mgr,
                     starts_on=timezone.localdate() + timedelta(days=1),
                     ends_on=timezone.localdate() + timedelta(days=1)))


def schema_route(path: str) -> str:
    return (path.lstrip("/").replace("{id}", "<pk>").replace("{key}", "<str:key>")
            .replace("{slug}", "<slug:slug>")
            .replace("{reference}", "<reference:reference>")
            .replace("{name}", "<slug:name>"))


def rule_route(route: str) -> str:
    return route.replace("<int:pk>", "<pk>").replace("<uuid:pk>", "<pk>")


def test_every_url_pattern_has_a_rule() -> None:
    routes = {route for route in url_patterns() if not route.startswith("admin/")}
    ruled = {route for route, _ in RULES}

    assert routes - ruled == set(), "add a line to RULES for each new URL pattern"
    assert ruled - routes == set(), "RULES names routes that no longer exist"
    for route in routes:
        methods = {method for r, method in RULES if r == route}
        assert ("GET" in methods or not is_api(route)) or methods, route


def test_every_operation_of_the_schema_has_a_rule_and_nothing_else_is_allowed() -> None:
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    documented = {(schema_route(path), method.upper())
                  for path, ops in schema["paths"].items() for method in ops}
    ruled_api = {(rule_route(route), method) for (route, method), statuses in RULES.items()
                 if is_api(route) and route.startswith("api/v1/")}
    allowed = {(rule_route(route), method) for (route, method), statuses in RULES.items()
               if route.startswith("api/v1/") and set(statuses.split()) - {"401", "403", "405"}}

    assert documented - ruled_api == set(), "add the operation to RULES"
    assert allowed - documented == set(), "an API method answers but is not in the schema"


def test_the_matrix_holds(world: World) -> None:
    mismatches = []
    hidden = {persona: world.invisible_to(persona) for persona in PERSONAS}
    for (route, method), expected in RULES.items():
        for persona, want in zip(PERSONAS, expected.split(), strict=True):
            status, body = world.call(persona, method, route)
            if str(status) != want:
                mismatches.append(f"{method} {route} as {persona}: {status}, expected {want}")
            if status == 200 and not (route in AUDIT_ROUTES and persona in
                                      {"platform_admin", "auditor"}):
                for label, pk in hidden[persona].items():
                    if pk.encode() in body:
                        mismatches.append(f"{method} {route} shows {persona} the {label}")
    assert mismatches == [], "\n".join(mismatches)


def test_the_foreign_objects_are_really_foreign(world: World) -> None:
    """The leak check above only bites if each persona has objects it must not see."""
    assert set(world.invisible_to("requester")) == {"outsider's request",
                                                    "outsider's environment"}
    assert set(world.invisible_to("outsider")) == {"requester's request",
                                                   "requester's environment"}
    assert len(world.invisible_to("anonymous")) == 4


def test_the_django_admin_is_for_platform_admins_only(world: World) -> None:
    from portal.admin import PlatformAdminOnly

    urls = {"/admin/": ADMIN_RULE} | {
        f"/admin/{model._meta.app_label}/{model._meta.model_name}/":
            ADMIN_RULE if isinstance(model_admin, PlatformAdminOnly) else LIBRARY_ADMIN_RULE
        for model, model_admin in admin.site._registry.items()}
    mismatches = []
    for url, rule in urls.items():
        for persona, want in zip(PERSONAS, rule.split(), strict=True):
            status = world.client(persona).get(url).status_code
            if str(status) != want:
                mismatches.append(f"GET {url} as {persona}: {status}, expected {want}")
    assert len(urls) > 5 and mismatches == [], "\n".join(mismatches)
