"""Studio idle shutdown through the user profile: which template parameters of a Studio
product carry the portal's idle-shutdown settings (``Product.idle_parameters``, curated by a
platform admin), and the values they get (``PORTAL_STUDIO_IDLE_MINUTES``).

The template passes them to ``UserSettings.JupyterLabAppSettings.AppLifecycleManagement.
IdleSettings`` of its AWS::SageMaker::UserProfile. Facts (SageMaker API reference,
IdleSettings): ``LifecycleManagement`` is ENABLED or DISABLED; ``IdleTimeoutInMinutes``,
``MinIdleTimeoutInMinutes`` and ``MaxIdleTimeoutInMinutes`` are 60 to 525600 minutes each (the
settings check the bounds, so a configured value never fails a stack).
"""

from __future__ import annotations

from collections.abc import Mapping

from django.conf import settings
from django.core.exceptions import ValidationError

from catalog.models import Product

# The IdleSettings fields a product may map, with the labels the curation form shows.
IDLE_FIELDS: dict[str, str] = {
    "LifecycleManagement": "idle shutdown (ENABLED/DISABLED)",
    "IdleTimeoutInMinutes": "idle timeout (minutes)",
    "MinIdleTimeoutInMinutes": "shortest idle timeout a user may set (minutes)",
    "MaxIdleTimeoutInMinutes": "longest idle timeout a user may set (minutes)",
}


def idle_values() -> dict[str, str]:
    """What the mapped parameters receive: the configured minutes, shutdown ENABLED; {} when
    ``PORTAL_STUDIO_IDLE_MINUTES`` is empty (the portal leaves idle shutdown alone)."""
    configured = settings.PORTAL_STUDIO_IDLE_MINUTES
    if not configured:
        return {}
    timeout, lowest, highest = configured
    return {"LifecycleManagement": "ENABLED", "IdleTimeoutInMinutes": str(timeout),
            "MinIdleTimeoutInMinutes": str(lowest), "MaxIdleTimeoutInMinutes": str(highest)}


def idle_parameters_clean(*, product: Product, mapping: Mapping[str, str]) -> dict[str, str]:
    """The mapping kept (empty entries dropped); a parameter the product's live versions do not
    have, or a mapping on a product that is not a Studio profile, is refused."""
    kept = {field: key.strip() for field, key in mapping.items()
            if field in IDLE_FIELDS and key and key.strip()}
    if not kept:
        return {}
    if product.kind != Product.Kind.STUDIO_USER_PROFILE:
        raise ValidationError({"idle_parameters": "Idle shutdown applies to Studio user "
                                                  "profiles only."})
    known = set(product.versions.filter(retired_at__isnull=True)
                .values_list("parameters__key", flat=True))
    unknown = sorted(key for key in kept.values() if key not in known)
    if unknown:
        raise ValidationError({"idle_parameters": f"The product has no parameter "
                                                  f"{', '.join(unknown)}."})
    return kept


def idle_parameters_fill(product: Product, parameters: dict[str, str]) -> dict[str, str]:
    """``parameters`` with the product's mapped idle parameters set to the portal's values
    (they win over what a requester sent); unchanged for a product without a mapping."""
    mapping = product.idle_parameters or {}
    values = idle_values()
    if product.kind != Product.Kind.STUDIO_USER_PROFILE or not mapping or not values:
        return parameters
    return {**parameters, **{key: values[field] for field, key in mapping.items()
                             if field in values}}
