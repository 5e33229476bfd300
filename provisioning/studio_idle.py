"""A Studio user profile's idle shutdown as SageMaker has it, kept on the environment.

The environment page shows the JupyterLab idle settings in force (what DescribeUserProfile
answers, not what was asked for). Asking AWS on every page view cost a DescribeUserProfile per
view (issue 16), so they are read when the profile is provisioned or changed (the follow-up's
"done") and at each reconcile, outside any row lock, and kept in ``Environment.studio_idle``
with the time they were read. A failed read keeps what was read before.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.utils import timezone

from catalog.models import Product
from provisioning.backends import BackendError, ProvisioningBackend, backend_for
from provisioning.models import Environment


@dataclass(frozen=True)
class IdleRead:
    """One DescribeUserProfile answer: the IdleSettings ({}: none set) and when it was read."""

    settings: dict[str, Any]
    at: datetime


def studio_idle_profile(environment: Environment, *, domain_id: str = "",
                        user_profile_name: str = "") -> tuple[str, str] | None:
    """(domain, profile) when the environment is a Studio user profile with both known."""
    if environment.product.kind != Product.Kind.STUDIO_USER_PROFILE:
        return None
    domain = domain_id or environment.domain_id
    profile = user_profile_name or environment.user_profile_name
    return (domain, profile) if domain and profile else None


def studio_idle_read(environment: Environment, *, domain_id: str = "",
                     user_profile_name: str = "",
                     backend: ProvisioningBackend | None = None) -> IdleRead | None:
    """Read the profile's idle settings from SageMaker (the portal's own session); None for
    another kind, a profile not known yet, or when AWS cannot be read (kept as it was)."""
    profile = studio_idle_profile(environment, domain_id=domain_id,
                                  user_profile_name=user_profile_name)
    if profile is None:
        return None
    try:
        settings = (backend or backend_for(environment.project)).studio_idle_settings(
            domain_id=profile[0], user_profile_name=profile[1])
    except BackendError:
        return None
    return IdleRead(settings=settings, at=timezone.now())


def studio_idle_apply(environment: Environment, read: IdleRead | None) -> list[str]:
    """Put a read on the (locked) environment; the fields to save (none without a read)."""
    if read is None:
        return []
    environment.studio_idle = read.settings
    environment.studio_idle_read_at = read.at
    return ["studio_idle", "studio_idle_read_at"]


def studio_idle_in_force(environment: Environment) -> dict[str, Any] | None:
    """What the page shows of a live Studio profile's idle shutdown: the kept settings, or
    ``{"unread": True}`` before a first read; None for other kinds and when not live. No AWS
    call."""
    live = environment.status in (Environment.Status.AVAILABLE, Environment.Status.UPDATING)
    if not live or studio_idle_profile(environment) is None:
        return None
    if environment.studio_idle is None:
        return {"unread": True}
    return {**environment.studio_idle, "read_at": environment.studio_idle_read_at}


# What the reconcile reads of each settled row for ``studio_idle_refresh``.
RECONCILE_COLUMNS = ("product__kind", "domain_id", "user_profile_name", "studio_idle")


def studio_idle_refresh(row: dict[str, Any], backend: ProvisioningBackend) -> bool:
    """At reconcile: read an available Studio profile's idle settings again and keep them when
    they changed (set in Studio or outside the portal); True when they were written."""
    if row["product__kind"] != Product.Kind.STUDIO_USER_PROFILE \
            or row["status"] != Environment.Status.AVAILABLE \
            or not (row["domain_id"] and row["user_profile_name"]):
        return False
    try:
        settings = backend.studio_idle_settings(domain_id=row["domain_id"],
                                                user_profile_name=row["user_profile_name"])
    except BackendError:  # kept as it was; the next reconcile asks again
        return False
    if settings == row["studio_idle"]:
        return False
    return bool(Environment.objects.filter(pk=row["pk"]).update(
        studio_idle=settings, studio_idle_read_at=timezone.now()))
