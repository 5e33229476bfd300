from django.urls import URLPattern, path

from provisioning import live_views, views

app_name = "provisioning"

urlpatterns: list[URLPattern] = [
    path("", views.environment_list, name="environment_list"),
    path("status.json", views.environment_status, name="environment_status"),
    path("all/", views.admin_environment_list, name="admin_environment_list"),
    path("<uuid:pk>/", views.environment_detail, name="environment_detail"),
    path("<uuid:pk>/timeline", live_views.environment_timeline_live,
         name="environment_timeline_live"),
    path("<uuid:pk>/open", views.environment_open, name="environment_open"),
    path("<uuid:pk>/stop", views.environment_stop, name="environment_stop"),
    path("<uuid:pk>/start", views.environment_start, name="environment_start"),
    path("<uuid:pk>/terminate", views.environment_terminate, name="environment_terminate"),
]
