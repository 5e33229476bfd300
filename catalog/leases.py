"""The lease terms a request is made within: the product's and the project's, else the settings.

Where both the product and the project set a default or a maximum, the shorter applies (the
stricter of the two curators wins); neither: ``PORTAL_LEASE_DEFAULT_DAYS`` /
``PORTAL_LEASE_MAX_DAYS``. An app above catalog may cap the maximum further
(``lease_cap_register``): the shortest wins and its reason is kept. The grace before
termination is the project's, else ``PORTAL_LEASE_GRACE_DAYS``.

A cap may depend on what is in the database (the guardrails' version in force), so what an app
registers is a cap *reader*: it is called once per computation (``lease_terms_reading()``: one
page, one sweep batch of many environments) and returns the cap for that computation, which then
answers for every (product, project) without reading again.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from django.conf import settings

from catalog.models import Product
from portal.models import Project
from portal.registry import Registry


@dataclass(frozen=True)
class LeaseTerms:
    default_days: int
    max_days: int
    grace_days: int
    # Why the maximum is what it is, when a registered cap set it ("" otherwise).
    cap_reason: str = ""


class LeaseCap(Protocol):
    def __call__(self, product: Product, project: Project | None, /
                 ) -> tuple[int, str] | None: ...


# Called once per computation of terms: the cap for that computation (None: no cap now).
LeaseCapReader = Callable[[], LeaseCap | None]
_caps: Registry[LeaseCapReader] = Registry("lease cap readers")


def lease_cap_register(reader: LeaseCapReader) -> None:
    """Register a cap reader (its cap answers (days, reason) or None); twice keeps one."""
    _caps.register(reader)


def _shortest(*values: int | None) -> int | None:
    chosen = [v for v in values if v is not None]
    return min(chosen) if chosen else None


class LeaseTermsReading:
    """One computation of lease terms, for any number of (product, project): the registered
    caps are read once, when it is made."""

    def __init__(self) -> None:
        self.caps = [cap for cap in (read() for read in _caps) if cap is not None]

    def __call__(self, *, product: Product, project: Project | None) -> LeaseTerms:
        """The effective terms for an environment of ``product`` in ``project``."""
        project_max = project.lease_max_days if project is not None else None
        project_default = project.lease_default_days if project is not None else None
        max_days = _shortest(product.lease_max_days, project_max) \
            or settings.PORTAL_LEASE_MAX_DAYS
        default_days = _shortest(product.lease_default_days, project_default) \
            or settings.PORTAL_LEASE_DEFAULT_DAYS
        reason = ""
        for cap in self.caps:
            capped = cap(product, project)
            if capped is not None and capped[0] < max_days:
                max_days, reason = capped
        grace = project.lease_grace_days if project is not None else None
        return LeaseTerms(default_days=min(default_days, max_days), max_days=max_days,
                          grace_days=settings.PORTAL_LEASE_GRACE_DAYS if grace is None else grace,
                          cap_reason=reason)


def lease_terms_reading() -> LeaseTermsReading:
    """A computation of terms for many environments (the caps read once, now)."""
    return LeaseTermsReading()


def lease_terms(*, product: Product, project: Project | None) -> LeaseTerms:
    """The effective terms for an environment of ``product`` in ``project`` (one computation)."""
    return lease_terms_reading()(product=product, project=project)
