"""The environment page's reads (provisioning.environment_read) give what the selectors they
replace give: the environment under the same scoping with its related rows, its requests and its
timeline, each in one statement."""

from __future__ import annotations

import uuid
from decimal import Decimal

import pytest
from django.db import connection
from django.http import Http404
from django.test.utils import CaptureQueriesContext

from approvals.models import Request
from catalog.estimates import price_tables_for_regions
from catalog.models import InstancePrice, StoragePrice
from portal.models import User
from provisioning import selectors
from provisioning.environment_read import (
    TIMELINE_LENGTH,
    environment_read_for_user,
    environment_requests_read,
    environment_timeline_read,
)
from provisioning.models import Environment, EnvironmentEvent

pytestmark = pytest.mark.django_db

RELATED = ("product", "project", "owner", "version", "origin_request")


def _columns(instance: object) -> dict[str, object]:
    return {f.attname: getattr(instance, f.attname)
            for f in type(instance)._meta.concrete_fields}  # type: ignore[attr-defined]


@pytest.mark.parametrize("who", ["scientist", "platform_admin"])
def test_it_reads_the_environment_and_its_related_rows_as_the_selector_does(
        request: pytest.FixtureRequest, available: Environment, who: str) -> None:
    user: User = request.getfixturevalue(who)
    with CaptureQueriesContext(connection) as queries:
        found = environment_read_for_user(user=user, pk=available.pk)
        related = {name: getattr(found, name) for name in RELATED}
    assert len(queries) == 1
    expected = selectors.environment_for_user(user=user, pk=available.pk)
    assert _columns(found) == _columns(expected)
    for name in RELATED:
        assert _columns(related[name]) == _columns(getattr(expected, name)), name
    assert found.origin_request.provisioned_environment is found
    # As a model read from the database: saving it updates its row.
    found.status_message = "Read back"
    found.save(update_fields=["status_message"])
    assert Environment.objects.get(pk=available.pk).status_message == "Read back"


@pytest.mark.parametrize("who", ["colleague", "outsider"])
def test_someone_elses_environment_is_a_404(request: pytest.FixtureRequest,
                                             available: Environment, who: str) -> None:
    with pytest.raises(Http404):
        environment_read_for_user(user=request.getfixturevalue(who), pk=available.pk)


def test_an_inactive_owner_or_admin_sees_nothing(available: Environment, scientist: User,
                                                 platform_admin: User) -> None:
    for user in (scientist, platform_admin):
        user.is_active = False
        with pytest.raises(Http404):
            environment_read_for_user(user=user, pk=available.pk)


@pytest.mark.parametrize(
    "pk", [uuid.UUID(int=7), "not-a-uuid", "3e0e4918-761b-49d2-b69a-7f7b4407f3fb"])
def test_an_id_that_names_no_environment_is_a_404(scientist: User, pk: object) -> None:
    with pytest.raises(Http404):
        environment_read_for_user(user=scientist, pk=pk)


def test_the_requests_are_the_selectors(available: Environment, scientist: User) -> None:
    for i in range(2):
        Request.objects.create(
            requester=scientist, project=available.project, product=available.product,
            version=available.version, action=Request.Action.UPDATE,
            environment_ref=str(available.pk), name=available.name,
            parameters={"InstanceType": "ml.m5.xlarge"}, justification=f"Change {i}")
    with CaptureQueriesContext(connection) as queries:
        found = environment_requests_read(environment=available)
        shown = [(r.pk, r.reference, r.get_action_display(), r.get_status_display(),
                  r.created_at, r.requester.display_name) for r in found]
    assert len(queries) == 1
    expected = selectors.environment_requests(environment=available)
    assert shown == [(r.pk, r.reference, r.get_action_display(), r.get_status_display(),
                      r.created_at, r.requester.display_name) for r in expected]
    assert [r.action for r in found] == ["create", "update", "update"]
    assert found[0].pk == available.origin_request_id


def test_the_timeline_is_the_newest_events_newest_first(available: Environment) -> None:
    EnvironmentEvent.objects.bulk_create(
        EnvironmentEvent(environment=available, kind=EnvironmentEvent.Kind.PROGRESS,
                         message=f"Event {i}") for i in range(TIMELINE_LENGTH + 5))
    found = environment_timeline_read(environment=available)
    expected = list(selectors.environment_timeline(environment=available)[:TIMELINE_LENGTH])
    assert len(found) == TIMELINE_LENGTH
    assert [(e.pk, e.at, e.kind, e.message) for e in found] == [
        (e.pk, e.at, e.kind, e.message) for e in expected]


def test_one_regions_price_tables_are_that_regions_only() -> None:
    """``price_tables_for_regions`` of one region (the page's; a statement compiled once)."""
    for region, hourly, per_gb in (("eu-west-1", "0.05", "0.12"), ("us-east-1", "0.04", "0.1")):
        InstancePrice.objects.create(instance_type="ml.t3.medium", region=region,
                                     usd_per_hour=Decimal(hourly))
        StoragePrice.objects.create(region=region, usd_per_gb_month=Decimal(per_gb))
    assert price_tables_for_regions(regions=["eu-west-1"]) == (
        {"eu-west-1": {"ml.t3.medium": Decimal("0.05")}}, {"eu-west-1": Decimal("0.12")})
    assert price_tables_for_regions(regions=["eu-west-1", "us-east-1"])[1] == {
        "eu-west-1": Decimal("0.12"), "us-east-1": Decimal("0.1")}
    assert price_tables_for_regions(regions=["ap-south-1"]) == ({}, {})


@pytest.mark.parametrize("who", ["scientist", "colleague", "outsider", "manager",
                                 "platform_admin", "auditor"])
def test_it_scopes_every_role_of_the_cast_as_the_selector_does(
        request: pytest.FixtureRequest, available: Environment, who: str) -> None:
    """Its two statements are the selector's two branches: should the selector ever scope a
    role otherwise, this fails until the read follows."""
    user: User = request.getfixturevalue(who)
    try:
        expected: object = selectors.environment_for_user(user=user, pk=available.pk).pk
    except Http404:
        expected = Http404
    try:
        found: object = environment_read_for_user(user=user, pk=available.pk).pk
    except Http404:
        found = Http404
    assert found == expected
