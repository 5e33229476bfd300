from django.urls import URLPattern, path

from identity import scim_views

app_name = "scim"

urlpatterns: list[URLPattern] = [
    path("ServiceProviderConfig", scim_views.service_provider_config,
         name="service_provider_config"),
    path("ResourceTypes", scim_views.resource_types, name="resource_types"),
    path("Schemas", scim_views.schemas, name="schemas"),
    path("Users", scim_views.users, name="users"),
    path("Users/<str:pk>", scim_views.user, name="user"),
    path("Groups", scim_views.groups, name="groups"),
    path("Groups/<str:pk>", scim_views.group, name="group"),
]
