from django.urls import path

from fakeaws import views

app_name = "fakeaws"

urlpatterns = [
    path("notebook/<str:region>/<str:name>/", views.notebook_page, name="notebook"),
    path("studio/<str:region>/<str:domain_id>/<str:profile>/", views.studio_page, name="studio"),
]
