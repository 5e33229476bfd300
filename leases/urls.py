from django.urls import URLPattern, path

from leases import autostop_pages, views

app_name = "leases"

urlpatterns: list[URLPattern] = [
    path("<uuid:pk>/", views.lease_detail, name="lease_detail"),
    path("<uuid:pk>/extend", views.lease_extend, name="lease_extend"),
    path("<uuid:pk>/pause", views.lease_pause_view, name="lease_pause"),
    path("<uuid:pk>/autostop", autostop_pages.autostop_opt_out, name="autostop_opt_out"),
    path("time-zone", autostop_pages.autostop_time_zone, name="time_zone"),
    path("<uuid:pk>/shorten", views.lease_shorten_view, name="lease_shorten"),
]
