from django.urls import URLPattern, path

from portal import notification_views as views

urlpatterns: list[URLPattern] = [
    path("", views.notification_list, name="notification_list"),
    path("count", views.notification_badge, name="notification_badge"),
    path("read", views.notification_read_all, name="notification_read_all"),
    path("<int:pk>/read", views.notification_read, name="notification_read"),
]
