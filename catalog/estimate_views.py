"""Platform admins' curation of cost estimates: a product's figure and the storage price."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from catalog.forms import ProductEstimateForm, StoragePriceForm
from catalog.selectors import product_for_admin
from catalog.services import product_estimate_set, storage_price_set
from portal.http import request_user
from portal.models import User


def _admin(request: HttpRequest) -> User:
    user = request_user(request)
    if not user.is_catalog_admin:
        raise PermissionDenied("Only platform admins manage the catalog.")
    return user


def _errors(form: ProductEstimateForm | StoragePriceForm) -> str:
    return " ".join(f"{form.fields[f].label if f in form.fields else ''}: "
                    f"{' '.join(str(m) for m in e)}".lstrip(": ")
                    for f, e in form.errors.items())


@login_required
@require_POST
def admin_product_estimate(request: HttpRequest, pk: int) -> HttpResponse:
    """Save the product's estimate inputs; a bad value is an error message and changes nothing."""
    user = _admin(request)
    product = product_for_admin(user=user, pk=pk)
    form = ProductEstimateForm(request.POST)
    if not form.is_valid():
        messages.error(request, f"Cost estimate not saved. {_errors(form)}")
    else:
        try:
            product_estimate_set(product=product, actor=user, request=request,
                                 **form.cleaned_data)
        except ValidationError as exc:
            messages.error(request, f"Cost estimate not saved. {' '.join(exc.messages)}")
        else:
            messages.success(request, "Cost estimate saved.")
    return redirect("catalog:admin_product_detail", pk=product.pk)


@login_required
@require_POST
def admin_storage_price(request: HttpRequest) -> HttpResponse:
    user = _admin(request)
    form = StoragePriceForm(request.POST)
    if not form.is_valid():
        messages.error(request, f"Storage price not saved. {_errors(form)}")
    else:
        storage_price_set(actor=user, request=request, **form.cleaned_data)
        messages.success(request, "Storage price saved.")
    return redirect("catalog:admin_prices")
