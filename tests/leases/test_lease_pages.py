"""The lease on the pages and the API: the request form, the request page, the environment
pages, the lease page (one-click extension, pause), for the owner, the outsider (404), the
wrong role (403) and anonymous."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from approvals.models import Request
from leases.models import Lease
from portal.models import AuditEvent, User
from provisioning.models import Environment

pytestmark = pytest.mark.django_db


def signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_request_form_offers_the_lease_within_the_terms(
        scientist: User, project: Any, notebook: Any) -> None:
    product, _ = notebook
    project.lease_max_days, project.lease_default_days = 14, 10
    project.save()
    page = signed_in(scientist).get(f"/requests/new?product={product.pk}&project=fraud")
    html = page.content.decode()
    assert page.status_code == 200
    assert 'name="req-lease_days"' in html and 'max="14"' in html and 'value="10"' in html


def test_the_lease_page_is_the_owners_and_admins(
        scientist: User, colleague: User, platform_admin: User, available: Environment) -> None:
    url = f"/leases/{available.pk}/"
    page = signed_in(scientist).get(url)
    assert page.status_code == 200
    assert 'id="request-extension"' in page.content.decode()
    assert signed_in(colleague).get(url).status_code == 404
    admin_page = signed_in(platform_admin).get(url).content.decode()
    assert 'id="pause"' in admin_page and 'id="request-extension"' not in admin_page
    anonymous = Client().get(url)
    assert anonymous.status_code == 302 and "/accounts/login/" in anonymous["Location"]


def test_one_click_requests_an_extension_through_the_workflow(
        scientist: User, available: Environment, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        answer = signed_in(scientist).post(f"/leases/{available.pk}/extend",
                                           {"days": "14", "justification": "Still training"})
    request = Request.objects.get(action="extend")
    assert answer.status_code == 302 and answer["Location"] == f"/requests/{request.pk}/"
    assert request.lease_days == 14 and request.environment_ref == str(available.pk)
    assert request.status == Request.Status.PENDING  # no auto-approve rule: the default review
    detail = signed_in(scientist).get(f"/requests/{request.pk}/").content.decode()
    assert "14 days more" in detail
    page = signed_in(scientist).get(f"/leases/{available.pk}/").content.decode()
    assert 'id="extension-pending"' in page


def test_a_bad_extension_is_refused_clearly_and_nothing_is_stored(
        scientist: User, available: Environment, platform_admin: User) -> None:
    client = signed_in(scientist)
    for days in ("0", "abc", "9999", ""):
        answer = client.post(f"/leases/{available.pk}/extend",
                             {"days": days, "justification": "x"})
        assert answer.status_code == 400
        assert 'id="extension-errors"' in answer.content.decode()
    assert not Request.objects.filter(action="extend").exists()
    refused = signed_in(platform_admin).post(f"/leases/{available.pk}/extend",
                                             {"days": "5", "justification": "x"})
    assert refused.status_code == 403
    assert not Request.objects.filter(action="extend").exists()


def test_an_admin_pauses_and_resumes_enforcement_with_a_reason(
        scientist: User, platform_admin: User, available: Environment) -> None:
    url = f"/leases/{available.pk}/pause"
    assert signed_in(scientist).post(url, {"reason": "mine"}).status_code == 403
    admin = signed_in(platform_admin)
    empty = admin.post(url, {"reason": " "})
    assert empty.status_code == 400 and 'id="pause-error"' in empty.content.decode()
    assert not Lease.objects.get(pk=available.pk).paused
    assert admin.post(url, {"reason": "Regulator's model review"}).status_code == 302
    assert Lease.objects.get(pk=available.pk).paused
    owner_page = signed_in(scientist).get(f"/environments/{available.pk}/").content.decode()
    assert "Enforcement paused: Regulator&#x27;s model review" in owner_page
    assert admin.post(url, {"resume": "1"}).status_code == 302
    assert not Lease.objects.get(pk=available.pk).paused
    assert AuditEvent.objects.filter(action__in=["lease.paused", "lease.resumed"],
                                     actor=platform_admin).count() == 2


def test_the_environment_pages_and_the_api_show_the_lease_end(
        scientist: User, available: Environment, django_assert_max_num_queries: Any) -> None:
    available.refresh_from_db()
    assert available.expires_at is not None
    client = signed_in(scientist)
    shown = f"{available.expires_at:%Y-%m-%d %H:%M}"
    detail = client.get(f"/environments/{available.pk}/").content.decode()
    assert 'id="lease-ends"' in detail and shown in detail
    assert f'href="/leases/{available.pk}/"' in detail
    with django_assert_max_num_queries(12):
        listing = client.get("/environments/").content.decode()
    assert shown in listing
    api = client.get(f"/api/v1/environments/{available.pk}").json()
    assert api["lease_ends_at"].startswith(available.expires_at.strftime("%Y-%m-%dT%H:%M"))
