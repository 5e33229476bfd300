"""The request.created audit event records what was asked for, whole: product, version, action,
parameters (NoEcho masked), tag choices, cost estimate and the rule that matched."""

from __future__ import annotations

import pytest

from approvals.services import request_create
from catalog.models import Product
from portal.models import AuditEvent, Project, User
from tests.approvals.conftest import notebook_values

pytestmark = pytest.mark.django_db


def test_the_created_event_holds_the_whole_request(
        scientist: User, project: Project, notebook: Product) -> None:
    request = request_create(
        requester=scientist, project_slug=project.slug, product_id=notebook.pk,
        parameters=notebook_values("ml.m5.xlarge"),
        tag_choices={"data-classification": "internal"},
        justification="Feature engineering for the fraud model.")
    event = AuditEvent.objects.get(action="request.created", object_id=str(request.pk))
    assert event.data == {
        "reference": request.reference, "name": "dana-nb",
        "product": notebook.name, "version": "v1", "action": "create",
        "parameters": request.parameters, "tag_choices": {"data-classification": "internal"},
        "estimated_monthly_cost": "167.90", "rule": None,
        "lease_days": 30,  # the default lease (PORTAL_LEASE_DEFAULT_DAYS)
        "idempotency_key": "",  # none sent (a form or an Idempotency-Key header sends one)
    }
