"""Requests get a short human reference (REQ-1042) used in pages, e-mails, the API and the audit.

The number is sequential and assigned when the request is stored; the lookup by reference is
scoped like every other (out of scope: 404).
"""

from __future__ import annotations

import importlib
import re
from typing import Any

import pytest
from django.apps import apps
from django.core import mail
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from approvals.models import Request, RequestNumber, reference_number
from catalog.models import Product
from portal.models import AuditEvent, Project, User
from tests.approvals.conftest import request_notebook

pytestmark = pytest.mark.django_db


def _login(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _api(user: User) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_references_are_sequential_from_creation(
    scientist: User, project: Project, notebook: Product
) -> None:
    first = request_notebook(scientist, project, notebook)
    second = request_notebook(scientist, project, notebook)

    assert re.fullmatch(r"REQ-\d{4,}", first.reference), first.reference
    assert second.number == first.number + 1
    assert first.reference == f"REQ-{first.number}"
    assert RequestNumber.objects.get(name="request").last == second.number


def test_a_flushed_counter_restarts_after_the_highest_number_in_use(
    scientist: User, project: Project, notebook: Product
) -> None:
    first = request_notebook(scientist, project, notebook)
    RequestNumber.objects.all().delete()  # as a flushed test database leaves it

    second = request_notebook(scientist, project, notebook)

    assert second.number == first.number + 1


@pytest.mark.parametrize(("typed", "number"), [
    ("REQ-1042", 1042), ("req-1042", 1042), (" 1042 ", 1042), ("REQ-", None),
    ("REQ-10x", None), ("REQ-²", None), ("REQ-1234567890123", None), ("", None),
])
def test_a_reference_is_read_as_people_type_it(typed: str, number: int | None) -> None:
    assert reference_number(typed) == number


def test_the_reference_page_opens_the_request_for_whoever_may_see_it(
    gpu_request: Request, scientist: User, manager: User, outsider: User
) -> None:
    url = f"/requests/{gpu_request.reference}/"
    for user in (scientist, manager):
        response = _login(user).get(url)
        assert response.status_code == 302
        assert response["Location"] == f"/requests/{gpu_request.pk}/"
    assert _login(scientist).get(url.lower()).status_code == 302
    assert _login(outsider).get(url).status_code == 404
    assert _login(scientist).get("/requests/REQ-999999/").status_code == 404
    anonymous = Client().get(url)
    assert anonymous.status_code == 302
    assert anonymous["Location"].startswith(reverse("account_login"))


def test_the_api_serves_a_request_by_its_reference_in_scope_only(
    gpu_request: Request, scientist: User, outsider: User
) -> None:
    response = _api(scientist).get(f"/api/v1/requests/{gpu_request.reference}")
    assert response.status_code == 200
    body = response.json()
    assert body["id"] == str(gpu_request.pk) and body["reference"] == gpu_request.reference
    assert _api(outsider).get(f"/api/v1/requests/{gpu_request.reference}").status_code == 404
    listing = _api(scientist).get("/api/v1/requests").json()["results"]
    assert [r["reference"] for r in listing] == [gpu_request.reference]


def test_pages_show_the_reference(gpu_request: Request, scientist: User, manager: User) -> None:
    reference = gpu_request.reference
    detail = _login(manager).get(f"/requests/{gpu_request.pk}/").content.decode()
    assert f'id="request-reference">{reference}<' in detail
    inbox = _login(manager).get("/requests/inbox/").content.decode()
    assert f'data-reference="{reference}"' in inbox and f">{reference}</a>" in inbox
    mine = _login(scientist).get("/requests/").content.decode()
    assert f">{reference}</a>" in mine


@pytest.mark.usefixtures("demo_policies", "platform_admin")
def test_e_mails_name_the_request_by_its_reference(
    scientist: User, manager: User, project: Project, notebook: Product,
    django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        gpu_request = request_notebook(scientist, project, notebook, "ml.p3.2xlarge")
    asked = [m for m in mail.outbox if manager.email in m.to]
    assert asked and asked[0].subject.startswith(f"[ML portal] {gpu_request.reference}: "), \
        [m.subject for m in mail.outbox]
    assert len(mail.outbox) >= 2  # the requester's receipt, the approver's request
    for message in mail.outbox:
        assert gpu_request.reference in message.subject, message.subject
        assert gpu_request.reference in message.body


def test_the_audit_trail_names_the_request_by_its_reference(
    gpu_request: Request, platform_admin: User
) -> None:
    events = AuditEvent.objects.filter(object_id=str(gpu_request.pk))
    assert events.exists()
    assert all(e.object_repr.startswith(f"{gpu_request.reference} ") for e in events)
    created = events.get(action="request.created")
    assert created.data["reference"] == gpu_request.reference

    page = _login(platform_admin).get("/audit/", {"object": gpu_request.reference})
    assert page.status_code == 200
    assert gpu_request.reference in page.content.decode()


def test_the_migration_numbers_existing_requests_in_creation_order(
    scientist: User, project: Project, notebook: Product
) -> None:
    made = [request_notebook(scientist, project, notebook) for _ in range(3)]
    # As they stood before the migration: no number yet (high values stand in for it: the
    # column is unique and not null now), and no name.
    for offset, request in enumerate(reversed(made)):
        Request.objects.filter(pk=request.pk).update(number=900_000 + offset, name="")
    migration: Any = importlib.import_module("approvals.migrations.0008_refs_request_reference")

    migration.backfill(apps, None)

    numbers = list(Request.objects.order_by("created_at", "pk").values_list("number", flat=True))
    assert numbers == [1001, 1002, 1003]
    assert RequestNumber.objects.get(name="request").last == 1003
    assert all(r.name.startswith("dana-nb-") for r in Request.objects.all())
    assert request_notebook(scientist, project, notebook).number == 1004
