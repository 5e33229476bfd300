"""Routes of the project view: pages under /projects/ and the API summary under /api/v1/."""

from django.urls import URLPattern, path

from provisioning import team_views

app_name = "projects"

urlpatterns: list[URLPattern] = [
    path("", team_views.project_list, name="project_list"),
    path("<slug:slug>/", team_views.project_detail, name="project_detail"),
    path("<slug:slug>/costs.csv", team_views.project_costs_csv, name="project_costs_csv"),
]

api_urlpatterns: list[URLPattern] = [
    path("projects/<slug:slug>/summary", team_views.ProjectSummaryView.as_view(),
         name="project-summary"),
]
