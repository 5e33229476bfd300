from django.urls import URLPattern, path

from identity import views

app_name = "identity"

urlpatterns: list[URLPattern] = [
    path("leavers/", views.leavers_report, name="leavers_report"),
    path("deactivate", views.person_deactivate_view, name="person_deactivate"),
    path("reactivate", views.person_reactivate_view, name="person_reactivate"),
    path("scim-tokens/", views.scim_tokens, name="scim_tokens"),
    path("scim-tokens/<int:pk>/revoke", views.scim_token_revoke_view, name="scim_token_revoke"),
]
