"""The Django admin never prints a NoEcho parameter value (requests and environments)."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from catalog.models import ParameterSpec
from portal.models import Project, User
from tests.portal.test_security_headers import inline_code
from tests.provisioning.conftest import approved_request, make_notebook_product

SECRET = "s3cr3t-Pa55word-never-shown"
pytestmark = pytest.mark.django_db


@pytest.fixture
def secret_request(scientist: User, project: Project) -> Any:
    product, version = make_notebook_product(project)
    ParameterSpec.objects.create(version=version, key="InstanceType", position=0)
    ParameterSpec.objects.create(version=version, key="DbPassword", position=1, no_echo=True)
    return approved_request(requester=scientist, project=project, product=product,
                            version=version,
                            parameters={"InstanceType": "ml.t3.medium", "DbPassword": SECRET})


@pytest.fixture
def secret_environment(secret_request: Any) -> Any:
    from provisioning.models import Environment

    return Environment.objects.create(
        origin_request=secret_request, owner=secret_request.requester,
        project=secret_request.project, product=secret_request.product,
        version=secret_request.version, parameters=dict(secret_request.parameters),
        provisioned_product_name="fraud-dana-nb-1",
    )


def _admin(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_request_pages_mask_the_secret_and_show_the_rest(
        platform_admin: User, secret_request: Any) -> None:
    client = _admin(platform_admin)
    change = client.get(f"/admin/approvals/request/{secret_request.pk}/change/")
    listing = client.get("/admin/approvals/request/", {"q": "dana"})

    assert change.status_code == 200 and listing.status_code == 200
    for response in (change, listing):
        assert SECRET.encode() not in response.content
    assert b"ml.t3.medium" in change.content
    assert b"****" in change.content
    assert inline_code(change.content.decode()) == []  # the CSP holds on admin pages too


def test_the_environment_pages_mask_the_secret_and_show_the_rest(
        platform_admin: User, secret_environment: Any) -> None:
    client = _admin(platform_admin)
    change = client.get(f"/admin/provisioning/environment/{secret_environment.pk}/change/")
    listing = client.get("/admin/provisioning/environment/", {"q": "fraud"})

    assert change.status_code == 200 and listing.status_code == 200
    for response in (change, listing):
        assert SECRET.encode() not in response.content
    assert b"ml.t3.medium" in change.content
    assert b"****" in change.content
    assert inline_code(change.content.decode()) == []  # the CSP holds on admin pages too
