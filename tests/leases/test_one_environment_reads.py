"""The environment page's lease line and auto-stop card read that environment's rows only (each
a statement compiled once for one environment: leases.services, leases.schedules)."""

from __future__ import annotations

from datetime import time

import pytest
from django.utils import timezone

from leases.models import Lease
from leases.schedules import policies_read
from leases.services import lease_page_notes
from portal.models import Project, User
from provisioning.models import Environment
from tests.catalog.factories import product_make
from tests.leases.autostop_support import notebooks, policy

pytestmark = pytest.mark.django_db


def test_the_lease_line_is_the_environments_own(available: Environment,
                                                scientist: User) -> None:
    Lease.objects.filter(pk=available.pk).delete()
    others: list[Environment] = []
    while not any(other.pk > available.pk for other in others):  # one sorts after it
        others += notebooks(1, owner=scientist, project=available.project,
                            notebook=(available.product, available.version),
                            at=timezone.now(), expires_at=timezone.now())
    for other in others:
        Lease.objects.create(environment=other, paused=True, paused_reason="someone else's")
    assert [n.text for n in lease_page_notes(available, scientist)] == ["No lease yet."]
    Lease.objects.create(environment=available, paused=True, paused_reason="its own")
    assert [n.text for n in lease_page_notes(available, scientist)] == [
        "Enforcement paused: its own"]


def test_one_projects_and_one_products_policies_are_theirs_only(
        available: Environment, other_project: Project) -> None:
    other_product = product_make(project=other_project, product_id="prod-other0000001")
    assert other_project.pk > available.project_id and other_product.pk > available.product_id
    own = policy(project=available.project, stop_at=time(19, 0))
    policy(project=other_project)
    policy(product=other_product)
    index = policies_read(project_ids=[available.project_id], product_ids=[available.product_id])
    assert index.by_project == {available.project_id: own} and index.by_product == {}
    theirs = policy(product=available.product, stop_at=time(21, 0))
    index = policies_read(project_ids=[available.project_id], product_ids=[available.product_id])
    assert index.by_product == {available.product_id: theirs}
