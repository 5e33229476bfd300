"""The lease terms a request is made within: the product's and the project's, else the settings.

Where both the product and the project set a default or a maximum, the shorter applies (the
stricter of the two curators wins); neither: ``PORTAL_LEASE_DEFAULT_DAYS`` /
``PORTAL_LEASE_MAX_DAYS``. The grace before termination is the project's, else
``PORTAL_LEASE_GRACE_DAYS``.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings

from catalog.models import Product
from portal.models import Project


@dataclass(frozen=True)
class LeaseTerms:
    default_days: int
    max_days: int
    grace_days: int


def _shortest(*values: int | None) -> int | None:
    chosen = [v for v in values if v is not None]
    return min(chosen) if chosen else None


def lease_terms(*, product: Product, project: Project | None) -> LeaseTerms:
    """The effective terms for an environment of ``product`` in ``project``."""
    project_max = project.lease_max_days if project is not None else None
    project_default = project.lease_default_days if project is not None else None
    max_days = _shortest(product.lease_max_days, project_max) or settings.PORTAL_LEASE_MAX_DAYS
    default_days = _shortest(product.lease_default_days, project_default) \
        or settings.PORTAL_LEASE_DEFAULT_DAYS
    grace = project.lease_grace_days if project is not None else None
    return LeaseTerms(default_days=min(default_days, max_days), max_days=max_days,
                      grace_days=settings.PORTAL_LEASE_GRACE_DAYS if grace is None else grace)
