"""The authorization matrix's rule: the status each persona gets for each (route, method).

Data only, read by tests/test_authorization_matrix.py (which walks the URLconf and the OpenAPI
schema and calls every line as every persona). A new URL pattern or API operation needs its line
here, or that test fails.
"""

from __future__ import annotations

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
