"""API v1 routes of the provisioning app, mounted under /api/v1/."""

from django.urls import URLPattern, path

from provisioning import api

urlpatterns: list[URLPattern] = [
    path("environments", api.EnvironmentListView.as_view(), name="environment-list"),
    path("environments/<uuid:pk>", api.EnvironmentDetailView.as_view(),
         name="environment-detail"),
    path("environments/<uuid:pk>/stop", api.EnvironmentStopView.as_view(),
         name="environment-stop"),
    path("environments/<uuid:pk>/start", api.EnvironmentStartView.as_view(),
         name="environment-start"),
    path("environments/<uuid:pk>/terminate", api.EnvironmentTerminateView.as_view(),
         name="environment-terminate"),
    path("environments/<uuid:pk>/launch", api.EnvironmentLaunchView.as_view(),
         name="environment-launch"),
]
