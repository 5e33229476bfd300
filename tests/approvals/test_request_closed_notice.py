"""Closing a request (here the requester's cancel) is audited with its reason, and the people
involved are told in a message that names the outcome and the product."""

from __future__ import annotations

from typing import Any

import pytest
from django.core import mail

from approvals.services import request_cancel, request_create
from catalog.models import Product
from portal.models import AuditEvent, Project, User
from tests.approvals.conftest import notebook_values

pytestmark = pytest.mark.django_db


def test_a_cancelled_request_is_audited_with_its_reason_and_announced(
        scientist: User, project: Project, notebook: Product, settings: Any,
        django_capture_on_commit_callbacks: Any) -> None:
    settings.PORTAL_APPROVAL_DEFAULT = "group:ml-platform-admins"
    request = request_create(
        requester=scientist, project_slug=project.slug, product_id=notebook.pk,
        parameters=notebook_values(), tag_choices={"data-classification": "internal"},
        justification="Feature engineering for the fraud model.")
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        request_cancel(request=request, user=scientist)
    event = AuditEvent.objects.get(action="request.cancelled")
    assert event.data == {"reason": "Cancelled by the requester."}
    [notice] = [m for m in mail.outbox if scientist.email in m.to]
    assert notice.subject.endswith(f"Request cancelled: {notebook}")
    assert "Reason: Cancelled by the requester." in notice.body.splitlines()
