from django.urls import path

from approvals import delegation_views, live_views, request_new_views, views

app_name = "approvals"

urlpatterns = [
    path("", views.request_list, name="request_list"),
    path("new", request_new_views.request_new, name="request_new"),
    path("inbox/", views.inbox, name="inbox"),
    path("inbox/live", live_views.inbox_live, name="inbox_live"),
    path("inbox/approve", views.inbox_bulk_approve, name="inbox_bulk_approve"),
    path("delegations/", delegation_views.delegations, name="delegations"),
    path("delegations/<int:pk>/end", delegation_views.delegation_end_view,
         name="delegation_end"),
    path("tasks/<int:pk>/decide", views.task_decide, name="task_decide"),
    path("<uuid:pk>/", views.request_detail, name="request_detail"),
    path("<uuid:pk>/live", live_views.request_live, name="request_live"),
    path("<reference:reference>/", views.request_by_reference, name="request_by_reference"),
    path("<uuid:pk>/cancel", views.request_cancel_view, name="request_cancel"),
]
