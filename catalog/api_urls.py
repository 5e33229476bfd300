"""API v1 routes of the catalog app, mounted under /api/v1/."""

from django.urls import path

from catalog import api

urlpatterns = [
    path("catalog/products", api.ProductListView.as_view(), name="catalog-product-list"),
    path("catalog/products/<int:pk>", api.ProductDetailView.as_view(),
         name="catalog-product-detail"),
    path("catalog/products/<int:pk>/validate", api.ProductParametersValidateView.as_view(),
         name="catalog-product-validate"),
    path("catalog/admin/products/<int:pk>", api.AdminProductView.as_view(),
         name="catalog-admin-product"),
    path("catalog/admin/products/<int:pk>/parameters/<str:key>",
         api.AdminParameterOverrideView.as_view(), name="catalog-admin-parameter"),
    path("catalog/admin/sync", api.AdminSyncView.as_view(), name="catalog-admin-sync"),
]
