"""Opening an environment: POST → checks → presign → 302, never stored, logged or cached."""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.test import Client

from fakeaws.models import NotebookInstance, Tag
from portal.models import AuditEvent, User
from provisioning.follow import environment_follow_run
from provisioning.models import Environment, EnvironmentEvent
from tests.provisioning.conftest import PresignSpy, console_client

pytestmark = pytest.mark.django_db


def open_url(environment: Environment) -> str:
    return f"/environments/{environment.pk}/open"


def refusals(reason: str) -> list[AuditEvent]:
    return [e for e in AuditEvent.objects.filter(action="environment.launch_refused")
            if e.data.get("reason") == reason]


def assert_url_kept_nowhere(url: str, caplog: pytest.LogCaptureFixture) -> None:
    token = url.split("authToken=")[1]
    assert token not in caplog.text
    for event in AuditEvent.objects.all():
        assert token not in str(event.data) and token not in event.object_repr
    for entry in EnvironmentEvent.objects.all():
        assert token not in entry.message
    assert not any(token in str(e.outputs) + str(e.tags) for e in Environment.objects.all())


def test_the_owner_is_redirected_to_a_fresh_presigned_url(
        client: Client, scientist: User, available: Environment, presign: PresignSpy,
        caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    client.force_login(scientist)
    response = client.post(open_url(available), REMOTE_ADDR="10.20.30.40")
    assert response.status_code == 302 and presign.calls == 1
    assert response["Cache-Control"] == "no-store"
    assert response["Referrer-Policy"] == "no-referrer"
    url = response["Location"]
    name = available.notebook_instance_name
    # The fake's stand-in for Jupyter, on the portal's host (FAKEAWS_BASE_URL: PORTAL_BASE_URL).
    assert urlsplit(url).path == f"/fakeaws/notebook/eu-west-1/{name}/"
    launch = AuditEvent.objects.get(action="environment.launch")
    assert launch.source_ip == "10.20.30.40" and launch.actor == scientist
    assert available.events.filter(kind="launch", message__contains="10.20.30.40").exists()
    assert_url_kept_nowhere(url, caplog)
    parts = urlsplit(url)
    landed = Client().get(parts.path + "?" + parts.query)
    assert landed.status_code == 200


def test_a_colleague_gets_a_404_audited_and_nothing_generated(
        client: Client, colleague: User, available: Environment, presign: PresignSpy) -> None:
    client.force_login(colleague)
    response = client.post(open_url(available), REMOTE_ADDR="10.0.0.7")
    assert response.status_code == 404 and presign.calls == 0
    [refused] = refusals("not_owner")
    assert refused.actor == colleague and refused.source_ip == "10.0.0.7"
    assert refused.data["environment"] == str(available.pk)


def test_a_platform_admin_may_not_open_someone_elses_environment_unless_configured(
        client: Client, platform_admin: User, available: Environment, presign: PresignSpy,
        settings: Any) -> None:
    client.force_login(platform_admin)
    response = client.post(open_url(available))
    assert response.status_code == 403 and presign.calls == 0
    assert "owner" in response.content.decode()
    assert refusals("not_owner")[0].actor == platform_admin
    settings.PORTAL_ADMIN_CAN_LAUNCH_ANY = True
    assert client.post(open_url(available)).status_code == 302 and presign.calls == 1


def test_an_environment_that_is_not_available_is_refused_and_audited(
        client: Client, scientist: User, queued: Environment, presign: PresignSpy) -> None:
    Environment.objects.filter(pk=queued.pk).update(notebook_instance_name="nb-1")
    client.force_login(scientist)
    response = client.post(open_url(queued))
    assert response.status_code == 409 and presign.calls == 0
    assert "queued" in response.content.decode()
    assert refusals("not_available")


def test_a_disallowed_address_is_refused_and_audited(
        client: Client, scientist: User, available: Environment, presign: PresignSpy,
        settings: Any) -> None:
    settings.PORTAL_LAUNCH_ALLOWED_CIDRS = ["10.0.0.0/8", "192.168.1.0/24"]
    client.force_login(scientist)
    response = client.post(open_url(available), REMOTE_ADDR="203.0.113.9")
    assert response.status_code == 403 and presign.calls == 0
    [refused] = refusals("address_not_allowed")
    assert refused.source_ip == "203.0.113.9"
    assert client.post(open_url(available), REMOTE_ADDR="10.9.8.7").status_code == 302


def test_the_address_comes_from_the_trusted_proxy_header(
        client: Client, scientist: User, available: Environment, settings: Any) -> None:
    settings.PORTAL_LAUNCH_ALLOWED_CIDRS = ["10.0.0.0/8"]
    settings.PORTAL_TRUSTED_PROXY_COUNT = 1
    client.force_login(scientist)
    response = client.post(open_url(available), REMOTE_ADDR="172.16.0.2",
                           HTTP_X_FORWARDED_FOR="198.51.100.1")
    assert response.status_code == 403


def test_open_is_a_csrf_protected_post(scientist: User, available: Environment,
                                       presign: PresignSpy) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(scientist)
    assert client.get(open_url(available)).status_code == 405
    assert client.post(open_url(available)).status_code == 403
    assert presign.calls == 0


def test_anonymous_callers_are_sent_to_sign_in(client: Client, available: Environment) -> None:
    response = client.post(open_url(available))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_a_stopped_notebook_is_started_and_a_self_updating_page_shown(
        client: Client, scientist: User, available: Environment, presign: PresignSpy,
        django_capture_on_commit_callbacks: Any) -> None:
    sagemaker = console_client("sagemaker", available.project)
    sagemaker.stop_notebook_instance(NotebookInstanceName=available.notebook_instance_name)
    sagemaker.describe_notebook_instance(NotebookInstanceName=available.notebook_instance_name)
    assert NotebookInstance.objects.get().status == "Stopped"
    Environment.objects.filter(pk=available.pk).update(status="stopped")
    client.force_login(scientist)
    response = client.post(open_url(available))
    assert response.status_code == 200 and presign.calls == 0
    assert "data-open-when-ready" in response.content.decode()
    assert response["Cache-Control"] == "no-store"
    available.refresh_from_db()
    assert available.status == "starting"
    for _ in range(3):
        available.refresh_from_db()
        environment_follow_run(environment_id=available.pk, attempt=available.follow_attempt)
    available.refresh_from_db()
    assert available.status == "available"
    assert client.post(open_url(available)).status_code == 302


def test_session_tags_that_do_not_match_the_owner_tag_are_refused_by_aws(
        client: Client, scientist: User, available: Environment, settings: Any) -> None:
    settings.PORTAL_LAUNCH_SESSION_TAGS = True
    # The project role's policy: sagemaker:ResourceTag/owner == ${aws:PrincipalTag/owner}.
    settings.FAKEAWS_OWNER_CONDITION = {"111111111111": ["owner", "principal-tag"]}
    Tag.objects.filter(key="owner").update(value="AROA:somebody-else")
    client.force_login(scientist)
    response = client.post(open_url(available))
    assert response.status_code == 403
    assert refusals("aws_denied")


def test_the_api_returns_the_url_in_json_without_caching(
        client: Client, scientist: User, available: Environment, presign: PresignSpy) -> None:
    client.force_login(scientist)
    response = client.post(f"/api/v1/environments/{available.pk}/launch")
    assert response.status_code == 200 and presign.calls == 1
    assert response.json()["url"].startswith("http://testserver/fakeaws/notebook/")
    assert response["Cache-Control"] == "no-store"
    assert AuditEvent.objects.filter(action="environment.launch").count() == 1


def test_the_api_refuses_outsiders_with_a_404_and_audits_it(
        client: Client, outsider: User, available: Environment, presign: PresignSpy) -> None:
    client.force_login(outsider)
    response = client.post(f"/api/v1/environments/{available.pk}/launch")
    assert response.status_code == 404 and presign.calls == 0
    assert refusals("not_owner")[0].actor == outsider


def test_the_api_refuses_a_disallowed_address(client: Client, scientist: User,
                                              available: Environment, presign: PresignSpy,
                                              settings: Any) -> None:
    settings.PORTAL_LAUNCH_ALLOWED_CIDRS = ["10.0.0.0/8"]
    client.force_login(scientist)
    response = client.post(f"/api/v1/environments/{available.pk}/launch")
    assert response.status_code == 403 and presign.calls == 0
    assert response.json()["reason"] == "address_not_allowed"
    assert "url" not in response.json()
