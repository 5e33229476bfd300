"""A Studio profile's environment page shows the idle settings in force without calling AWS:
they are read when the profile is provisioned and at each reconcile, and kept (issue 16)."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.client import BaseClient
from django.test import Client
from django.urls import reverse

from catalog.models import Product
from fakeaws.baseline import Baseline
from fakeaws.models import UserProfile
from portal.models import Project, User
from provisioning.backends import AccessDenied
from provisioning.backends.aws import AwsBackend
from provisioning.models import Environment
from provisioning.reconcile import environments_reconcile
from tests.provisioning import fake_portal
from tests.provisioning.test_studio_idle_settings import STUDIO, provision

pytestmark = pytest.mark.django_db
fake_aws = fake_portal.fake_aws
shapes_catalog = fake_portal.shapes_catalog
__all__ = ["fake_aws", "shapes_catalog"]  # fixtures used by name


@pytest.fixture
def profile(fake_aws: Baseline, shapes_catalog: dict[str, Product], project: Project,
            scientist: User) -> Environment:
    environment = provision(project, shapes_catalog[STUDIO], scientist, fake_aws,
                            IdleTimeoutInMinutes="90", MaxIdleTimeoutInMinutes="240")
    assert environment.status == Environment.Status.AVAILABLE, environment.status_message
    return environment


def aws_calls(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every AWS API call botocore makes from now on, by operation name."""
    calls: list[str] = []
    real = BaseClient._make_api_call

    def recorded(self: BaseClient, operation: str, params: Any) -> Any:
        calls.append(operation)
        return real(self, operation, params)

    monkeypatch.setattr(BaseClient, "_make_api_call", recorded)
    return calls


def page(client: Client, user: User, environment: Environment) -> str:
    client.force_login(user)
    response = client.get(reverse("provisioning:environment_detail", args=[environment.pk]))
    assert response.status_code == 200
    return response.content.decode()


def test_the_settings_are_kept_when_the_profile_is_provisioned(profile: Environment) -> None:
    assert profile.studio_idle == {"LifecycleManagement": "ENABLED", "IdleTimeoutInMinutes": 90,
                                   "MinIdleTimeoutInMinutes": 60,
                                   "MaxIdleTimeoutInMinutes": 240}
    assert profile.studio_idle_read_at is not None


def test_a_page_view_makes_no_aws_call(profile: Environment, scientist: User, client: Client,
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    calls = aws_calls(monkeypatch)
    text = page(client, scientist, profile)
    assert calls == []
    assert "shut down after <strong>90</strong> idle minutes" in text
    assert "you may set 60 to 240 minutes" in text
    assert 'id="idle-read-at"' in text


def test_the_reconcile_keeps_settings_changed_in_studio(
        profile: Environment, scientist: User, client: Client) -> None:
    UserProfile.objects.filter(name=profile.user_profile_name).update(
        idle_settings={"LifecycleManagement": "DISABLED"})
    assert environments_reconcile() == {"unchanged": 1}
    profile.refresh_from_db()
    assert profile.studio_idle == {"LifecycleManagement": "DISABLED"}
    assert 'id="idle-off"' in page(client, scientist, profile)


def test_a_failed_read_at_reconcile_keeps_what_was_read(
        profile: Environment, monkeypatch: pytest.MonkeyPatch) -> None:
    def refused(self: AwsBackend, **kwargs: Any) -> dict[str, Any]:
        raise AccessDenied(operation="DescribeUserProfile", code="AccessDeniedException",
                           message="not allowed")

    monkeypatch.setattr(AwsBackend, "studio_idle_settings", refused)
    environments_reconcile()
    profile.refresh_from_db()
    assert profile.studio_idle is not None and profile.studio_idle["IdleTimeoutInMinutes"] == 90


def test_a_profile_never_read_says_so_without_asking_aws(
        profile: Environment, scientist: User, client: Client,
        monkeypatch: pytest.MonkeyPatch) -> None:
    Environment.objects.filter(pk=profile.pk).update(studio_idle=None, studio_idle_read_at=None)
    calls = aws_calls(monkeypatch)
    text = page(client, scientist, profile)
    assert calls == [] and 'id="idle-unknown"' in text
