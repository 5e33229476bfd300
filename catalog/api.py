"""Catalog API v1: browse products, get a version's form as JSON Schema, check parameters;
curation endpoints for platform admins."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.generics import GenericAPIView
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from catalog.estimates import BASIS_LABELS
from catalog.leases import lease_terms
from catalog.models import Product, ProductVersion
from catalog.parameters import parameters_json_schema, parameters_validate
from catalog.resource_choices import parameters_offered
from catalog.selectors import (
    ProjectIdInvalid,
    cost_estimate,
    prices_for_region,
    product_for_admin,
    product_for_user,
    product_search,
    products_for_user,
    project_for_product,
    version_default,
    version_for_form,
    versions_requestable,
)
from catalog.services import catalog_sync_request, parameter_override_set, product_update
from portal.api_input import StrictInput
from portal.http import request_user as _user
from portal.models import Project


class ProductListOutput(serializers.ModelSerializer[Product]):
    kind_label = serializers.CharField(source="get_kind_display")

    class Meta:
        model = Product
        fields = ["id", "product_id", "name", "description", "kind", "kind_label", "owner",
                  "aws_account_id", "aws_region"]


class VersionOutput(serializers.ModelSerializer[ProductVersion]):
    deprecated = serializers.BooleanField(source="is_deprecated")

    class Meta:
        model = ProductVersion
        fields = ["id", "artifact_id", "name", "description", "deprecated"]


class CostEstimateOutput(serializers.Serializer[Any]):
    instance_type = serializers.CharField(
        allow_blank=True, help_text="What is priced (types joined by ' + '); empty for a flat "
                                    "figure.")
    basis = serializers.ChoiceField(choices=list(BASIS_LABELS), help_text=(
        "flat: the platform team's monthly figure; instance: the chosen InstanceType; declared: "
        "the product's declared instance types; studio_default: Studio's default app type."))
    usd_per_hour = serializers.DecimalField(max_digits=10, decimal_places=4)
    usd_per_month = serializers.DecimalField(max_digits=12, decimal_places=2)


class ProductDetailOutput(ProductListOutput):
    versions = VersionOutput(many=True)
    version = VersionOutput(allow_null=True)
    form = serializers.JSONField(help_text="The version's request form as JSON Schema.")
    fixed_parameters = serializers.ListField(child=serializers.CharField())
    project = serializers.CharField(allow_null=True, help_text="The project the form is for.")
    lease = serializers.DictField(help_text="default_days, max_days and what set the maximum.")
    estimate = CostEstimateOutput(allow_null=True, help_text="For the form's default values.")
    prices = serializers.DictField(child=serializers.CharField(),
                                   help_text="USD per hour by instance type (month = 730 h).")

    class Meta(ProductListOutput.Meta):
        fields = [*ProductListOutput.Meta.fields, "versions", "version", "form",
                  "fixed_parameters", "project", "lease", "estimate", "prices"]


class ParametersInput(StrictInput):
    version = serializers.IntegerField(required=False,
                                       help_text="Version id; the default version if left out.")
    project = serializers.CharField(required=False, allow_blank=True, help_text=(
        "Project slug: checked as a request in that project is (its account, its guardrails)."))
    parameters = serializers.DictField(child=serializers.JSONField(), required=False,
                                       default=dict)


class ParametersOutput(serializers.Serializer[Any]):
    version = serializers.IntegerField()
    parameters = serializers.DictField(child=serializers.CharField(),
                                       help_text="Secret (NoEcho) values are masked.")
    estimate = CostEstimateOutput(allow_null=True)


def _version(product: Product, wanted: Any) -> ProductVersion:
    versions = versions_requestable(product=product)
    if wanted in (None, ""):
        version = version_default(product=product, versions=versions)
    else:
        version = next((v for v in versions if str(v.pk) == str(wanted)), None)
    if version is None:
        raise NotFound("No requestable version with that id.")
    return version_for_form(version=version)


class ProductListView(GenericAPIView[Product]):
    serializer_class = ProductListOutput

    @extend_schema(
        summary="Products the caller may request", operation_id="catalog_products_list",
        responses=ProductListOutput(many=True),
        parameters=[OpenApiParameter("q", str, description="Search in name and description"),
                    OpenApiParameter("kind", str, enum=Product.Kind.values)],
    )
    def get(self, request: Request) -> Response:
        products = product_search(
            products_for_user(user=_user(request)),
            q=str(request.query_params.get("q", "")).strip()[:100],
            kind=str(request.query_params.get("kind", "")),
        )
        page = self.paginate_queryset(products)
        return self.get_paginated_response(ProductListOutput(page, many=True).data)


class ProductDetailView(APIView):
    @extend_schema(
        summary="A product with its request form as JSON Schema",
        parameters=[OpenApiParameter("version", int, description="Version id (default version "
                                                                 "if left out)"),
                    OpenApiParameter("project", str, description=(
                        "Project slug: the form narrowed by that project's guardrails (its "
                        "environment) and account; the curation's form if left out"))],
        responses=ProductDetailOutput,
    )
    def get(self, request: Request, pk: int) -> Response:
        user = _user(request)
        product = product_for_user(user=user, pk=pk)
        version = _version(product, request.query_params.get("version"))
        project = _project(user, product, request.query_params.get("project"))
        parameters, _listing = parameters_offered(version=version, project=project)
        prices = prices_for_region(region=product.aws_region)
        defaults = {p.key: p.default or "" for p in parameters}
        product.versions_list = versions_requestable(product=product)  # type: ignore[attr-defined]
        data = ProductListOutput(product).data | {
            "versions": VersionOutput(product.versions_list, many=True).data,  # type: ignore[attr-defined]
            "version": VersionOutput(version).data,
            "form": parameters_json_schema(parameters=parameters),
            "fixed_parameters": [p.key for p in parameters if p.hidden],
            "project": project.slug if project is not None else None,
            "lease": _lease(product, project),
            "estimate": _estimate(product, defaults, prices),
            "prices": {k: str(v) for k, v in prices.items()},
        }
        return Response(data)


def _project(user: Any, product: Product, slug: object) -> Project | None:
    try:
        return project_for_product(user=user, product=product, slug=slug)
    except ProjectIdInvalid as exc:
        raise serializers.ValidationError({"project": [str(exc)]}) from None
    except Http404:
        raise NotFound("No such project of yours for this product.") from None


def _lease(product: Product, project: Project | None) -> dict[str, Any]:
    terms = lease_terms(product=product, project=project)
    return {"default_days": terms.default_days, "max_days": terms.max_days,
            "max_reason": terms.cap_reason}


def _estimate(product: Product, values: dict[str, str], prices: Any = None) -> Any:
    estimate = cost_estimate(region=product.aws_region, parameters=values, prices=prices,
                             product=product)
    return CostEstimateOutput(estimate).data if estimate else None


class ProductParametersValidateView(APIView):
    schema_conflicts = False  # validation only: it changes nothing, so nothing can conflict
    @extend_schema(
        summary="Check parameter values against the version's effective specs",
        request=ParametersInput, responses={200: ParametersOutput},
    )
    def post(self, request: Request, pk: int) -> Response:
        product = product_for_user(user=_user(request), pk=pk)
        body = ParametersInput(data=request.data)
        body.is_valid(raise_exception=True)
        version = _version(product, body.validated_data.get("version"))
        project = _project(_user(request), product, body.validated_data.get("project"))
        parameters, _listing = parameters_offered(version=version, project=project)
        try:
            values = parameters_validate(version=version, values=body.validated_data["parameters"],
                                         parameters=parameters)
        except DjangoValidationError as exc:
            return Response({"parameters": exc.message_dict}, status=status.HTTP_400_BAD_REQUEST)
        secret = {p.key for p in parameters if p.no_echo}
        return Response(ParametersOutput({
            "version": version.pk,
            "parameters": {k: ("****" if k in secret else v) for k, v in values.items()},
            "estimate": cost_estimate(region=product.aws_region, parameters=values,
                                  product=product),
        }).data)


# --- Platform admins ----------------------------------------------------------------------------

class IsCatalogAdmin(BasePermission):
    message = "Only platform admins curate the catalog."

    def has_permission(self, request: Request, view: APIView) -> bool:
        return bool(request.user and request.user.is_authenticated
                    and request.user.is_catalog_admin)


class ProductCurationInput(StrictInput):
    published = serializers.BooleanField(required=False)
    kind = serializers.ChoiceField(choices=Product.Kind.choices, required=False)
    hide_deprecated = serializers.BooleanField(required=False)
    default_version = serializers.IntegerField(required=False, allow_null=True)
    visible_to_groups = serializers.ListField(child=serializers.CharField(), required=False,
                                              help_text="Group names; empty for everyone.")
    visible_to_projects = serializers.ListField(child=serializers.SlugField(), required=False,
                                                help_text="Project slugs; empty for every project.")
    output_mapping = serializers.DictField(child=serializers.CharField(allow_blank=True),
                                           required=False)


class ProductCurationOutput(ProductListOutput):
    visible_to_groups: serializers.Field[Any, Any, Any, Any] = serializers.SlugRelatedField(
        many=True, read_only=True, slug_field="name")
    visible_to_projects: serializers.Field[Any, Any, Any, Any] = serializers.SlugRelatedField(
        many=True, read_only=True, slug_field="slug")

    class Meta(ProductListOutput.Meta):
        fields = [*ProductListOutput.Meta.fields, "published", "hide_deprecated",
                  "default_version", "visible_to_groups", "visible_to_projects", "output_mapping",
                  "retired_at"]


def _django_errors(exc: DjangoValidationError) -> Response:
    return Response(exc.message_dict if hasattr(exc, "error_dict") else {"detail": exc.messages},
                    status=status.HTTP_400_BAD_REQUEST)


class AdminProductView(APIView):
    permission_classes = [IsCatalogAdmin]

    @extend_schema(summary="Curate a product (platform admins)", request=ProductCurationInput,
                   responses=ProductCurationOutput)
    def patch(self, request: Request, pk: int) -> Response:
        product = product_for_admin(user=_user(request), pk=pk)
        body = ProductCurationInput(data=request.data)
        body.is_valid(raise_exception=True)
        data: dict[str, Any] = dict(body.validated_data)
        # Every unknown name is reported in one answer (nothing is changed then).
        errors: dict[str, list[str]] = {}
        if "visible_to_groups" in data:
            names = data["visible_to_groups"]
            groups = list(Group.objects.filter(name__in=names))
            missing = sorted(set(names) - {g.name for g in groups})
            if missing:
                errors["visible_to_groups"] = [f"Unknown groups: {', '.join(missing)}"]
            data["visible_to_groups"] = groups
        if "visible_to_projects" in data:
            slugs = data["visible_to_projects"]
            projects = list(Project.objects.filter(slug__in=slugs))
            missing = sorted(set(slugs) - {p.slug for p in projects})
            if missing:
                errors["visible_to_projects"] = [f"Unknown projects: {', '.join(missing)}"]
            data["visible_to_projects"] = projects
        if "default_version" in data and data["default_version"] is not None:
            version = product.versions.filter(pk=data["default_version"]).first()
            if version is None:
                errors["default_version"] = ["Not a version of this product."]
            data["default_version"] = version
        if errors:
            return Response(errors, status=status.HTTP_400_BAD_REQUEST)
        try:
            product = product_update(product=product, actor=_user(request), request=request,
                                     **data)
        except DjangoValidationError as exc:
            return _django_errors(exc)
        return Response(ProductCurationOutput(product).data)


class ParameterOverrideInput(StrictInput):
    hidden = serializers.BooleanField(default=False)
    fixed_value = serializers.CharField(required=False, allow_blank=True, default="")
    default = serializers.CharField(required=False, allow_blank=True, allow_null=True,
                                    default=None)
    allowed_values = serializers.ListField(child=serializers.CharField(), required=False,
                                           allow_null=True, default=None,
                                           help_text="A subset of what AWS allows; null: all.")
    # Serializer fields named like Field attributes: fine at runtime, confusing for the stubs.
    label = serializers.CharField(  # type: ignore[assignment]
        required=False, allow_blank=True, default="", max_length=200)
    help_text = serializers.CharField(  # type: ignore[assignment]
        required=False, allow_blank=True, default="")
    on_change = serializers.ChoiceField(
        choices=["", "keep", "replace"], required=False, allow_blank=True, default="",
        help_text="In a change request: keep (names the resource, read-only), replace (may "
                  "change, flagged: replaces the resource, its data is lost), or empty.")


class AdminParameterOverrideView(APIView):
    permission_classes = [IsCatalogAdmin]

    @extend_schema(summary="Curate one parameter of a product (platform admins)",
                   request=ParameterOverrideInput, responses=ParameterOverrideInput)
    def put(self, request: Request, pk: int, key: str) -> Response:
        product = product_for_admin(user=_user(request), pk=pk)
        body = ParameterOverrideInput(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            override = parameter_override_set(product=product, key=key, actor=_user(request),
                                              request=request, **body.validated_data)
        except DjangoValidationError as exc:
            return _django_errors(exc)
        return Response(ParameterOverrideInput(override).data)


class SyncRunOutput(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    status = serializers.CharField()


class AdminSyncView(APIView):
    permission_classes = [IsCatalogAdmin]

    @extend_schema(summary="Queue a catalog sync (platform admins)", request=None,
                   responses={202: SyncRunOutput})
    def post(self, request: Request) -> Response:
        user = _user(request)
        if not user.is_catalog_admin:  # pragma: no cover - the permission class refuses first
            raise PermissionDenied()
        run = catalog_sync_request(actor=user, request=request)
        return Response(SyncRunOutput(run).data, status=status.HTTP_202_ACCEPTED)
