"""Lease terms (product and project, admin-curated and audited) and the lease a request picks."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import ValidationError

from approvals.errors import RequestInvalid
from approvals.models import ApprovalPolicy, ApprovalRule, Request
from approvals.policies import rule_for_request
from approvals.services import request_create
from catalog.leases import lease_terms
from catalog.services import product_update
from portal.models import AuditEvent, User
from provisioning.models import Environment

pytestmark = pytest.mark.django_db


def new_request(user: User, product: Any, **extra: Any) -> Request:
    return request_create(requester=user, project_slug="fraud", product_id=product.pk,
                          parameters={},
                          justification="Experiments", **extra)


def test_the_shorter_of_product_and_project_applies(project: Any, notebook: Any,
                                                    settings: Any) -> None:
    product, _ = notebook
    settings.PORTAL_LEASE_DEFAULT_DAYS, settings.PORTAL_LEASE_MAX_DAYS = 30, 90
    settings.PORTAL_LEASE_GRACE_DAYS = 7
    assert lease_terms(product=product, project=project).__dict__ == {
        "default_days": 30, "max_days": 90, "grace_days": 7, "cap_reason": ""}
    product.lease_max_days, project.lease_max_days = 20, 60
    project.lease_default_days, project.lease_grace_days = 45, 2
    assert lease_terms(product=product, project=project).__dict__ == {
        # the default capped at the maximum
        "default_days": 20, "max_days": 20, "grace_days": 2, "cap_reason": ""}


def test_a_request_gets_the_default_lease_or_the_one_picked_within_the_maximum(
        scientist: User, project: Any, notebook: Any) -> None:
    product, _ = notebook
    product.lease_max_days = 14
    product.save()
    assert new_request(scientist, product).lease_days == 14  # default 30 capped at 14
    assert new_request(scientist, product, lease_days="7").lease_days == 7
    assert new_request(scientist, product, lease_days="14").lease_days == 14  # the maximum
    assert new_request(scientist, product, lease_days="  ").lease_days == 14  # blank: default
    for bad, message in (("15", "Between 1 and 14 days."), ("0", "Between 1 and 14 days."),
                         ("a week", "A whole number of days.")):
        with pytest.raises(RequestInvalid) as refused:
            new_request(scientist, product, lease_days=bad)
        assert refused.value.errors["lease_days"] == [message]
    assert Request.objects.count() == 4


def test_an_extend_request_names_its_days_and_the_owners_environment(
        scientist: User, colleague: User, available: Environment) -> None:
    def extend(user: User, **extra: Any) -> Request:
        return request_create(requester=user, project_slug="fraud",
                              product_id=available.product_id, parameters={},
                              justification="More time", action="extend",
                              environment_ref=str(available.pk), **extra)

    with pytest.raises(RequestInvalid) as missing:
        extend(scientist)
    assert missing.value.errors["lease_days"] == ["Say by how many days to extend the lease."]
    with pytest.raises(RequestInvalid) as not_theirs:
        extend(colleague, lease_days=3)
    assert "environment_ref" in not_theirs.value.errors
    created = extend(scientist, lease_days=3)
    assert created.action == "extend" and created.lease_days == 3 and created.parameters == {}


def test_a_rule_can_match_short_extensions_only(scientist: User, project: Any,
                                                notebook: Any) -> None:
    product, version = notebook
    policy = ApprovalPolicy.objects.create(name="Leases")
    rule = ApprovalRule.objects.create(policy=policy, name="Short", actions=["extend"],
                                       lease_days_at_most=7, auto_approve=True)
    short = Request(requester=scientist, project=project, product=product, version=version,
                    action="extend", lease_days=7)
    assert rule_for_request(request=short) == rule
    short.lease_days = 8
    assert rule_for_request(request=short) is None


def test_a_platform_admin_curates_a_products_lease_terms_audited(
        platform_admin: User, notebook: Any) -> None:
    product, _ = notebook
    product_update(product=product, actor=platform_admin, lease_default_days=5,
                   lease_max_days=10)
    product.refresh_from_db()
    assert (product.lease_default_days, product.lease_max_days) == (5, 10)
    event = AuditEvent.objects.get(action="catalog.product_updated")
    assert event.data["changes"]["lease_max_days"] == {"before": None, "after": 10}
    with pytest.raises(ValidationError):
        product_update(product=product, actor=platform_admin, lease_default_days=20)
    product.refresh_from_db()
    assert product.lease_default_days == 5


def test_the_same_key_with_another_lease_is_a_reused_key(scientist: User, project: Any,
                                                         notebook: Any) -> None:
    from approvals.services import IdempotencyKeyReused, request_submit

    product, _ = notebook

    def submit(days: str) -> Any:
        return request_submit(requester=scientist, project_slug="fraud", product_id=product.pk,
                              parameters={}, justification="Experiments", lease_days=days,
                              idempotency_key="key-1")

    assert submit("7").created
    assert not submit("7").created  # a replay
    with pytest.raises(IdempotencyKeyReused):
        submit("8")
    assert Request.objects.count() == 1
