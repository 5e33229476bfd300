"""The guardrails' maximum lease as a lease cap: the version in force is read once per
computation of lease terms (one page, one sweep batch), not once per product and project."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from catalog.leases import lease_terms, lease_terms_reading
from catalog.models import Product
from leases.models import Lease
from leases.sweep import leases_open_missing
from portal.models import Project, User
from provisioning.models import Environment
from tests.approvals.conftest import make_environment, studio  # noqa: F401  (fixture)
from tests.guardrails.conftest import put_in_force

pytestmark = pytest.mark.django_db
TABLE = "guardrails_guardrailversion"


def guardrail_reads(queries: CaptureQueriesContext) -> int:
    return sum(TABLE in query["sql"] for query in queries.captured_queries)


def test_one_computation_reads_the_version_once_for_every_product_and_project(
        platform_admin: User, project: Project, other_project: Project, notebook: Product,
        studio: Product, settings: Any) -> None:  # noqa: F811
    settings.PORTAL_LEASE_MAX_DAYS = 90
    put_in_force(platform_admin, max_lease_days=10)
    put_in_force(platform_admin, reason="Tighter", max_lease_days=7)
    with CaptureQueriesContext(connection) as made:
        terms_of = lease_terms_reading()
    assert guardrail_reads(made) == 1
    with CaptureQueriesContext(connection) as used:
        terms = [terms_of(product=product, project=where)
                 for product in (notebook, studio) for where in (project, other_project, None)]
    assert used.captured_queries == []
    assert {(t.max_days, t.cap_reason) for t in terms} == {
        (7, "guardrail “maximum lease” (version 2)")}
    # A single computation reads it too: a new version applies at once.
    put_in_force(platform_admin, reason="Looser", max_lease_days=30)
    with CaptureQueriesContext(connection) as single:
        alone = lease_terms(product=notebook, project=project)
    assert guardrail_reads(single) == 1
    assert (alone.max_days, alone.cap_reason) == (30, "guardrail “maximum lease” (version 3)")


def test_without_a_maximum_lease_rule_nothing_is_capped(
        platform_admin: User, project: Project, notebook: Product, settings: Any) -> None:
    settings.PORTAL_LEASE_MAX_DAYS, settings.PORTAL_LEASE_DEFAULT_DAYS = 60, 30
    assert lease_terms_reading().caps == []  # no version yet
    put_in_force(platform_admin, volume_max_gb=50)  # a version, but no lease rule
    terms_of = lease_terms_reading()
    assert terms_of.caps == []
    assert terms_of(product=notebook, project=project).__dict__ == {
        "default_days": 30, "max_days": 60, "grace_days": settings.PORTAL_LEASE_GRACE_DAYS,
        "cap_reason": ""}


def test_a_sweep_batch_over_many_products_and_projects_reads_the_version_once(
        platform_admin: User, scientist: User, outsider: User, project: Project,
        other_project: Project, notebook: Product, studio: Product,  # noqa: F811
        settings: Any) -> None:
    settings.PORTAL_LEASE_DEFAULT_DAYS = 30
    put_in_force(platform_admin, max_lease_days=5)
    made = [make_environment(owner, where, product)
            for owner, where in ((scientist, project), (outsider, other_project))
            for product in (notebook, studio)]
    with CaptureQueriesContext(connection) as swept:
        assert leases_open_missing(now=made[0].created_at, batch=50) == 4
    assert guardrail_reads(swept) == 1
    assert Lease.objects.filter(environment__in=made).count() == 4
    # Each lease is the default capped by the guardrail: 5 days, not 30.
    for environment in Environment.objects.filter(pk__in=[e.pk for e in made]):
        assert (environment.expires_at - made[0].created_at).days == 5
