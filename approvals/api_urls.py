"""API v1 routes of the approvals app, mounted under /api/v1/."""

from django.urls import path

from approvals import api

app_name = "approvals_api"

urlpatterns = [
    path("requests", api.RequestListView.as_view(), name="request_list"),
    path("requests/<uuid:pk>", api.RequestDetailView.as_view(), name="request_detail"),
    path("requests/<reference:reference>", api.RequestByReferenceView.as_view(),
         name="request_by_reference"),
    path("requests/<uuid:pk>/cancel", api.RequestCancelView.as_view(), name="request_cancel"),
    path("inbox", api.InboxView.as_view(), name="inbox"),
    path("tasks/<int:pk>/approve", api.TaskApproveView.as_view(), name="task_approve"),
    path("tasks/<int:pk>/reject", api.TaskRejectView.as_view(), name="task_reject"),
]
