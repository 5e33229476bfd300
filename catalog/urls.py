"""Catalog pages, mounted at /catalog/."""

from django.urls import path

from catalog import estimate_views, live_views, views

app_name = "catalog"

urlpatterns = [
    path("", views.product_list, name="product_list"),
    path("<int:pk>/", views.product_detail, name="product_detail"),
    path("manage/", views.admin_product_list, name="admin_product_list"),
    path("manage/sync/", views.admin_sync, name="admin_sync"),
    path("manage/sync/runs", live_views.sync_runs_live, name="admin_sync_runs_live"),
    path("manage/prices/", views.admin_prices, name="admin_prices"),
    path("manage/prices/storage/", estimate_views.admin_storage_price,
         name="admin_storage_price"),
    path("manage/<int:pk>/", views.admin_product_detail, name="admin_product_detail"),
    path("manage/<int:pk>/estimate/", estimate_views.admin_product_estimate,
         name="admin_product_estimate"),
    path("manage/<int:pk>/parameters/<str:key>/", views.admin_parameter_override,
         name="admin_parameter_override"),
]
