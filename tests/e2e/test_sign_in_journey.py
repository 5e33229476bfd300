"""A person signs in through the dev IdP in a real browser and sees navigation for their role."""

from __future__ import annotations

from typing import Any

import pytest

from portal.models import AuditEvent, Membership, Project, User
from tests.e2e.conftest import sign_in_through_idp

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def nav_names(page: Any) -> set[str]:
    return set(page.eval_on_selector_all("nav.nav a", "els => els.map(e => e.dataset.nav)"))


def test_a_data_scientist_signs_in_and_sees_their_projects_only(
    page: Any, live_server: Any, live_idp: Any
) -> None:
    fraud = Project.objects.create(slug="fraud-detection", name="Fraud detection",
                                   cost_center="CC-1001", environment="dev",
                                   aws_account_id="111111111111", aws_region="eu-west-1")
    Project.objects.create(slug="credit-risk", name="Credit risk modelling", cost_center="CC-2",
                           environment="uat", aws_account_id="222222222222",
                           aws_region="eu-west-1")
    dana = User.objects.create(username="dana.scientist")
    Membership.objects.create(user=dana, project=fraud)

    sign_in_through_idp(page, live_server.url, "dana.scientist")

    assert page.inner_text("h1") == "Welcome, Dana"
    assert "Fraud detection" in page.inner_text("#my-projects")
    assert "Credit risk" not in page.content()
    names = nav_names(page)
    assert "dashboard" in names and "api_docs" in names
    assert "audit_event_list" not in names
    assert "admin:portal_project_changelist" not in names
    assert page.locator(".whoami .badge").count() == 0
    signed_in = AuditEvent.objects.filter(action="auth.sign_in", actor__username="dana.scientist")
    assert signed_in.exists()


def test_a_platform_admin_sees_admin_navigation_and_can_sign_out(
    page: Any, live_server: Any, live_idp: Any
) -> None:
    sign_in_through_idp(page, live_server.url, "pat.admin")

    names = nav_names(page)
    assert {"dashboard", "audit_event_list", "admin:portal_project_changelist"} <= names
    assert page.inner_text(".whoami .badge") == "Platform admin"

    page.click("text=Sign out")
    page.wait_for_url(f"{live_server.url}/accounts/login/")
    assert "You are signed out." in page.content()
    page.goto(f"{live_server.url}/audit/")
    assert page.url.startswith(f"{live_server.url}/accounts/login/")


def test_an_auditor_reads_the_audit_trail_of_the_sign_ins(
    page: Any, live_server: Any, live_idp: Any
) -> None:
    sign_in_through_idp(page, live_server.url, "audrey.auditor")

    names = nav_names(page)
    assert "audit_event_list" in names
    assert "admin:portal_project_changelist" not in names
    page.click("nav.nav a[data-nav=audit_event_list]")
    assert "auth.sign_in" in page.inner_text("#audit-events")


def test_a_wrong_password_at_the_idp_keeps_the_person_out(
    page: Any, live_server: Any, live_idp: Any
) -> None:
    page.goto(f"{live_server.url}/accounts/login/")
    page.click("#sso-sign-in")
    page.fill("#username", "dana.scientist")
    page.fill("#password", "wrong")
    page.click("#idp-sign-in")

    assert "Unknown user or wrong password." in page.content()
    page.goto(f"{live_server.url}/")
    assert page.url.startswith(f"{live_server.url}/accounts/login/")
