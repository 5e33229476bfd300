"""Writes of the catalog: curation by platform admins, prices, and starting a sync.

Every change is checked first (a bad value changes nothing) and written with an audit event.
The sync itself lives in ``catalog.sync``.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import replace
from datetime import timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from catalog.idle import idle_parameters_clean
from catalog.models import (
    InstancePrice,
    ParameterOverride,
    ParameterSpec,
    Product,
    ProductVersion,
    StoragePrice,
    SyncRun,
)
from catalog.parameters import (
    ON_CHANGE_KEEP,
    ON_CHANGE_REPLACE,
    SAGEMAKER_PROJECT_PARAMETERS,
    parameter_effective,
    parameter_value_errors,
)
from catalog.sync import sync_run_start
from portal.models import Project, User
from portal.services import audit_record
from portal.tasking import task_enqueue_on_commit

logger = logging.getLogger(__name__)


def _require_admin(actor: User) -> None:
    if not (actor.is_authenticated and actor.is_catalog_admin):
        raise PermissionDenied("Only platform admins curate the catalog.")


def _names(objects: Iterable[Any], attr: str) -> list[str]:
    return sorted(str(getattr(o, attr)) for o in objects)


@transaction.atomic
def product_update(
    *,
    product: Product,
    actor: User,
    request: HttpRequest | None = None,
    published: bool | None = None,
    kind: str | None = None,
    visible_to_groups: Iterable[Group] | None = None,
    visible_to_projects: Iterable[Project] | None = None,
    default_version: ProductVersion | None | bool = False,
    hide_deprecated: bool | None = None,
    output_mapping: Mapping[str, str] | None = None,
    idle_parameters: Mapping[str, str] | None = None,
    lease_default_days: int | None | bool = False,
    lease_max_days: int | None | bool = False,
) -> Product:
    """Change a product's curation; arguments left out stay as they are.

    ``lease_default_days``/``lease_max_days``: days, or None to use the settings (``False``,
    the default, leaves them alone); a default over the maximum is refused.

    ``default_version=None`` clears the choice (``False``, the default, leaves it alone).
    """
    _require_admin(actor)
    product = Product.objects.select_for_update().get(pk=product.pk)
    changes: dict[str, dict[str, Any]] = {}
    fields: list[str] = []

    def change(name: str, before: Any, after: Any) -> None:
        if before != after:
            changes[name] = {"before": before, "after": after}

    if published is not None:
        if published and product.retired_at is not None:
            raise ValidationError({"published": "A retired product cannot be published."})
        change("published", product.published, published)
        product.published = published
        fields.append("published")
    if kind is not None:
        if kind not in Product.Kind.values:
            raise ValidationError({"kind": f"Unknown kind {kind!r}."})
        change("kind", product.kind, kind)
        product.kind = kind
        fields.append("kind")
    if default_version is not False:
        if default_version is not None and (
            not isinstance(default_version, ProductVersion)
            or default_version.product_id != product.pk
            or not default_version.requestable
        ):
            raise ValidationError(
                {"default_version": "Choose an active version of this product."}
            )
        before = product.default_version.name if product.default_version else None
        change("default_version", before, default_version.name if default_version else None)
        product.default_version = default_version or None
        fields.append("default_version")
    if hide_deprecated is not None:
        change("hide_deprecated", product.hide_deprecated, hide_deprecated)
        product.hide_deprecated = hide_deprecated
        fields.append("hide_deprecated")
    if output_mapping is not None:
        cleaned = {str(k): str(v).strip() for k, v in output_mapping.items() if str(v).strip()}
        change("output_mapping", product.output_mapping, cleaned)
        product.output_mapping = cleaned
        fields.append("output_mapping")
    if idle_parameters is not None:
        idle = idle_parameters_clean(product=product, mapping=idle_parameters)
        change("idle_parameters", product.idle_parameters, idle)
        product.idle_parameters = idle
        fields.append("idle_parameters")
    for name, value in (("lease_default_days", lease_default_days),
                        ("lease_max_days", lease_max_days)):
        if value is False:
            continue
        if value is not None and (isinstance(value, bool) or not 1 <= int(value) <= 3650):
            raise ValidationError({name: "A number of days from 1 to 3650, or empty."})
        change(name, getattr(product, name), value)
        setattr(product, name, value)
        fields.append(name)
    if product.lease_default_days and product.lease_max_days \
            and product.lease_default_days > product.lease_max_days:
        raise ValidationError({"lease_default_days": "The default lease cannot be longer than "
                                                     "the maximum."})
    if visible_to_groups is not None:
        groups = list(visible_to_groups)
        change("visible_to_groups", _names(product.visible_to_groups.all(), "name"),
               _names(groups, "name"))
        product.visible_to_groups.set(groups)
    if visible_to_projects is not None:
        projects = list(visible_to_projects)
        change("visible_to_projects", _names(product.visible_to_projects.all(), "slug"),
               _names(projects, "slug"))
        product.visible_to_projects.set(projects)
    if not changes:
        return product
    product.save(update_fields=[*fields, "updated_at"])
    audit_record(action="catalog.product_updated", actor=actor, request=request, obj=product,
                 data={"product_id": product.product_id, "changes": changes})
    return product


def _override_errors(
    *, spec: ParameterSpec, override: ParameterOverride, version: ProductVersion
) -> dict[str, list[str]]:
    """Check an override against one version's AWS spec."""
    errors: dict[str, list[str]] = {}
    where = f" (version {version.name})"
    aws_allowed = list(spec.allowed_values or [])
    if override.allowed_values is not None:
        if not override.allowed_values:
            errors.setdefault("allowed_values", []).append("Keep at least one allowed value.")
        if aws_allowed:
            extra = [v for v in override.allowed_values if v not in aws_allowed]
            if extra:
                errors.setdefault("allowed_values", []).append(
                    f"AWS does not allow {', '.join(extra)}{where}; narrow to a subset of "
                    f"{', '.join(aws_allowed)}."
                )
        else:
            plain = replace(parameter_effective(spec=spec, override=None), hidden=False)
            for value in override.allowed_values:
                for message in parameter_value_errors(plain, value):
                    errors.setdefault("allowed_values", []).append(f"{value}: {message}{where}")
    if errors:
        return errors
    effective = replace(parameter_effective(spec=spec, override=override), hidden=False,
                        default=None)
    if override.hidden:
        if not override.fixed_value:
            errors["fixed_value"] = ["A hidden parameter needs its fixed value."]
        else:
            messages = parameter_value_errors(effective, override.fixed_value)
            if messages:
                errors["fixed_value"] = [m + where for m in messages]
    if override.default not in (None, ""):
        messages = parameter_value_errors(effective, str(override.default))
        if messages:
            errors["default"] = [m + where for m in messages]
    return errors


@transaction.atomic
def parameter_override_set(
    *,
    product: Product,
    key: str,
    actor: User,
    request: HttpRequest | None = None,
    hidden: bool = False,
    fixed_value: str = "",
    default: str | None = None,
    allowed_values: list[str] | None = None,
    label: str = "",
    help_text: str = "",
    on_change: str = "",
) -> ParameterOverride:
    """Curate one parameter of a product for all its versions; refuse anything AWS would not."""
    _require_admin(actor)
    specs = list(
        ParameterSpec.objects.filter(
            version__product=product, version__retired_at__isnull=True, key=key,
            retired_at__isnull=True,
        ).select_related("version")
    )
    if not specs:
        raise ValidationError({"key": f"The product has no parameter {key!r}."})
    if product.kind == Product.Kind.SAGEMAKER_PROJECT and key in SAGEMAKER_PROJECT_PARAMETERS:
        raise ValidationError({"key": f"SageMaker fills {key} itself for a project: it is never "
                                      "a form field and cannot be curated."})
    existing = (
        ParameterOverride.objects.select_for_update().filter(product=product, key=key).first()
    )
    override = existing or ParameterOverride(product=product, key=key)
    before = _override_data(override) if existing else None
    override.hidden = hidden
    override.fixed_value = fixed_value.strip() if hidden else ""
    override.default = None if default is None or default.strip() == "" else default.strip()
    override.allowed_values = (
        None if allowed_values is None else list(dict.fromkeys(v.strip() for v in allowed_values
                                                               if v.strip()))
    )
    override.label = label.strip()
    override.help_text = help_text.strip()
    override.on_change = on_change
    errors: dict[str, list[str]] = {}
    if on_change not in ("", ON_CHANGE_KEEP, ON_CHANGE_REPLACE):
        errors["on_change"] = [f"Choose one of: {ON_CHANGE_KEEP}, {ON_CHANGE_REPLACE}, or empty."]
    for spec in specs:
        for name, messages in _override_errors(spec=spec, override=override,
                                               version=spec.version).items():
            errors.setdefault(name, []).extend(m for m in messages if m not in errors.get(name, []))
    if errors:
        raise ValidationError(errors)
    after = _override_data(override)
    if before == after:
        return override
    override.save()
    audit_record(action="catalog.parameter_override_set", actor=actor, request=request,
                 obj=product, data={"key": key, "before": before, "after": after})
    return override


def _override_data(override: ParameterOverride) -> dict[str, Any]:
    return {"hidden": override.hidden, "fixed_value": override.fixed_value,
            "default": override.default, "allowed_values": override.allowed_values,
            "label": override.label, "help_text": override.help_text,
            "on_change": override.on_change}


@transaction.atomic
def parameter_override_clear(
    *, product: Product, key: str, actor: User, request: HttpRequest | None = None
) -> None:
    """Go back to the AWS spec for one parameter."""
    _require_admin(actor)
    override = ParameterOverride.objects.filter(product=product, key=key).first()
    if override is None:
        return
    before = _override_data(override)
    override.delete()
    audit_record(action="catalog.parameter_override_cleared", actor=actor, request=request,
                 obj=product, data={"key": key, "before": before})


@transaction.atomic
def instance_price_set(
    *, instance_type: str, region: str, usd_per_hour: Decimal, actor: User,
    request: HttpRequest | None = None,
) -> InstancePrice:
    """Create or change the hourly price of an instance type in a region."""
    _require_admin(actor)
    price = InstancePrice.objects.select_for_update().filter(
        instance_type=instance_type, region=region
    ).first()
    before = str(price.usd_per_hour) if price else None
    price = price or InstancePrice(instance_type=instance_type, region=region)
    price.usd_per_hour = usd_per_hour
    price.full_clean()
    if before is not None and Decimal(before) == usd_per_hour:
        return price
    price.save()
    audit_record(action="catalog.price_set", actor=actor, request=request, obj=price,
                 data={"instance_type": instance_type, "region": region, "before": before,
                       "after": str(usd_per_hour)})
    return price


def catalog_sync_request(*, actor: User, request: HttpRequest | None = None) -> SyncRun:
    """The "Sync now" button: record a queued run and hand it to a worker after commit.

    The run is queued whatever the broker does: with the broker down it stays queued (not sent)
    and ``sync_runs_sweep`` sends it once the broker is back.
    """
    _require_admin(actor)
    with transaction.atomic():
        run = sync_run_start(trigger=SyncRun.Trigger.BUTTON, requested_by=actor)
        audit_record(action="catalog.sync_requested", actor=actor, request=request, obj=run)
        sync_run_dispatch(run)
    return run


def sync_run_dispatch(run: SyncRun) -> None:
    """Send a queued run's task after commit; ``dispatched_at`` notes that the broker took it."""
    from catalog.tasks import catalog_sync_task

    run_id = run.pk

    def sent() -> None:
        SyncRun.objects.filter(pk=run_id).update(dispatched_at=timezone.now())

    task_enqueue_on_commit(catalog_sync_task, run_id, sent=sent)


def sync_runs_sweep() -> int:
    """Send again the "Sync now" runs still queued: never sent (broker down when asked), or sent
    more than PORTAL_STALLED_AFTER_SECONDS ago (the message was lost). Returns how many.

    A run found queued twice is harmless: the task skips a finished run, and the sync is
    idempotent. Runs of the command and the schedule run in their own process, never queued.
    """
    stalled = timezone.now() - timedelta(seconds=settings.PORTAL_STALLED_AFTER_SECONDS)
    lost = SyncRun.objects.filter(status=SyncRun.Status.QUEUED, trigger=SyncRun.Trigger.BUTTON)
    # Not sent yet: give the request's own on-commit send a moment before sending it twice.
    lost = lost.filter(dispatched_at__isnull=True, created_at__lt=stalled) | lost.filter(
        dispatched_at__lt=stalled)
    count = 0
    for run in lost:
        sync_run_dispatch(run)
        count += 1
    if count:
        logger.info("Catalog sync sweep: sent %s queued run(s) again", count)
    return count


@transaction.atomic
def product_estimate_set(
    *, product: Product, actor: User, flat_monthly_usd: Decimal | None,
    estimate_instance_types: list[str], request: HttpRequest | None = None,
) -> Product:
    """Set what a product's cost estimate is made of (``catalog.estimates``): a flat monthly
    figure, or the instance types it runs by default. Audited with before and after."""
    _require_admin(actor)
    locked = Product.objects.select_for_update().get(pk=product.pk)
    before = {"flat_monthly_usd": _money_text(locked.flat_monthly_usd),
              "estimate_instance_types": list(locked.estimate_instance_types or [])}
    locked.flat_monthly_usd = flat_monthly_usd
    locked.estimate_instance_types = list(estimate_instance_types)
    locked.full_clean(exclude=["default_version"])
    after = {"flat_monthly_usd": _money_text(flat_monthly_usd),
             "estimate_instance_types": list(estimate_instance_types)}
    if after == before:
        return locked
    locked.save(update_fields=["flat_monthly_usd", "estimate_instance_types", "updated_at"])
    audit_record(action="catalog.product_estimate_set", actor=actor, request=request,
                 obj=locked, data={"before": before, "after": after})
    return locked


@transaction.atomic
def storage_price_set(*, region: str, usd_per_gb_month: Decimal, actor: User,
                      request: HttpRequest | None = None) -> StoragePrice:
    """Create or change the price of ML storage (per GB-month) in a region."""
    _require_admin(actor)
    price = StoragePrice.objects.select_for_update().filter(region=region).first()
    before = _money_text(price.usd_per_gb_month) if price else None
    price = price or StoragePrice(region=region)
    price.usd_per_gb_month = usd_per_gb_month
    price.full_clean()
    if before is not None and Decimal(before) == usd_per_gb_month:
        return price
    price.save()
    audit_record(action="catalog.storage_price_set", actor=actor, request=request, obj=price,
                 data={"region": region, "before": before, "after": str(usd_per_gb_month)})
    return price


def _money_text(value: Decimal | None) -> str | None:
    return None if value is None else str(value)
