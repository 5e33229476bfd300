from allauth.socialaccount import views as socialaccount_views
from django.contrib import admin
from django.contrib.auth.decorators import login_required
from django.urls import include, path
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from portal import api, notification_api, policy_pack_views, views
from portal.metrics import metrics_view
from provisioning.team_urls import api_urlpatterns as project_view_api

api_v1 = [
    path("me", api.MeView.as_view(), name="me"),
    path("projects", api.ProjectListView.as_view(), name="project-list"),
    path("notifications", notification_api.NotificationListView.as_view(),
         name="notification-list"),
    path("notifications/read", notification_api.NotificationReadView.as_view(),
         name="notification-read"),
    path("policy-pack", policy_pack_views.PolicyPackView.as_view(), name="policy-pack"),
    path("policy-pack/<slug:name>", policy_pack_views.PolicyDocumentView.as_view(),
         name="policy-document"),
]

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("healthz", views.healthz, name="healthz"),
    # Pages name the icon in their <head>; browsers and the admin/API docs pages still ask here.
    path("favicon.ico", views.favicon, name="favicon"),
    path("healthz/workers", views.healthz_workers, name="healthz_workers"),
    path("metrics", metrics_view, name="metrics"),
    path("accounts/login/", views.sign_in, name="account_login"),
    path("accounts/logout/", views.sign_out, name="account_logout"),
    path("accounts/inactive/", views.account_inactive, name="account_inactive"),
    path("accounts/signup/", RedirectView.as_view(pattern_name="account_login"),
         name="account_signup"),
    path("accounts/sso/cancelled/", socialaccount_views.login_cancelled,
         name="socialaccount_login_cancelled"),
    path("accounts/sso/error/", socialaccount_views.login_error, name="socialaccount_login_error"),
    path("accounts/sso/signup/", socialaccount_views.signup, name="socialaccount_signup"),
    path("accounts/", include("portal.saml_views")),
    path("account/api-token/", views.api_token, name="api_token"),
    path("notifications/", include("portal.notification_urls")),
    path("policy-pack/", policy_pack_views.policy_pack_page, name="policy_pack"),
    path("policy-pack/<slug:name>.json", policy_pack_views.policy_pack_download,
         name="policy_pack_download"),
    path("audit/", views.audit_event_list, name="audit_event_list"),
    path("audit/export.csv", views.audit_event_export, name="audit_event_export"),
    path("catalog/", include("catalog.urls")),
    path("requests/", include("approvals.urls")),
    path("environments/", include("provisioning.urls")),
    path("projects/", include("provisioning.team_urls")),
    path("leases/", include("leases.urls")),
    path("guardrails/", include("guardrails.urls")),
    path("people/", include("identity.urls")),
    path("scim/v2/", include("identity.scim_urls")),
    path("api/v1/", include((api_v1, "api"), namespace="api")),
    path("api/v1/", include("catalog.api_urls")),
    path("api/v1/", include("approvals.api_urls")),
    path("api/v1/", include("provisioning.api_urls")),
    path("api/v1/", include(project_view_api)),
    path("api/v1/", include("quotas.api_urls")),
    path("api/v1/", include("guardrails.api_urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api_schema"),
    # A page for people: an anonymous visitor is sent to sign in (the schema itself stays a 401).
    path("api/docs/", login_required(SpectacularSwaggerView.as_view(url_name="api_schema")),
         name="api_docs"),
    path("admin/", admin.site.urls),
    path("fakeaws/", include("fakeaws.urls")),
]

handler404 = "django.views.defaults.page_not_found"
handler500 = "django.views.defaults.server_error"
handler403 = "django.views.defaults.permission_denied"
