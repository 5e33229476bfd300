"""When a request is approved the requester is told, in a message that names the product and
says the request went on to provisioning."""

from __future__ import annotations

from typing import Any

import pytest
from django.core import mail

from approvals.services import request_create
from catalog.models import Product
from portal.models import Project, User
from tests.approvals.conftest import notebook_values

pytestmark = pytest.mark.django_db


def test_the_requester_is_told_of_the_approval(
        scientist: User, project: Project, notebook: Product, settings: Any,
        django_capture_on_commit_callbacks: Any) -> None:
    settings.PORTAL_APPROVAL_DEFAULT = "auto"
    with django_capture_on_commit_callbacks(execute=True):
        request_create(
            requester=scientist, project_slug=project.slug, product_id=notebook.pk,
            parameters=notebook_values(), tag_choices={"data-classification": "internal"},
            justification="Feature engineering for the fraud model.")
    [approved] = [m for m in mail.outbox if "approved" in m.subject]
    assert approved.to == [scientist.email]
    assert approved.subject.endswith(f"Request approved: {notebook}")
    assert "The request was approved and handed to provisioning." in approved.body.splitlines()
