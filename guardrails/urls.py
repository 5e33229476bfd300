from django.urls import path

from guardrails import views

app_name = "guardrails"

urlpatterns = [
    path("", views.guardrail_current, name="guardrail_current"),
    path("versions/<int:number>/", views.guardrail_version, name="guardrail_version"),
    path("report/", views.guardrail_report, name="guardrail_report"),
]
