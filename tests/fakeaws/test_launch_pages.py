"""Presigned URLs and the pages they open: valid token 200, expired or forged 403, never logged."""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import Client

from fakeaws import clock
from fakeaws.baseline import baseline_for
from fakeaws.models import CallLog
from tests.fakeaws.conftest import PROJECT_ACCOUNT, REGION, assert_valid_output, provision

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("test_catalog")]


@pytest.fixture
def sm(project_client: Any) -> Any:
    provision(project_client("servicecatalog"))
    return project_client("sagemaker")


def _path(url: str) -> str:
    parts = urlsplit(url)
    assert parts.scheme == "https" and parts.netloc == "portal.bank.example"
    return f"{parts.path}?{parts.query}"


def test_a_presigned_notebook_url_opens_its_notebook(sm: Any, caplog: Any) -> None:
    # botocore itself logs response bodies at DEBUG, as it would with AWS; the fake and Django
    # must not log the token.
    for name in ("fakeaws", "django"):
        caplog.set_level(logging.DEBUG, logger=name)
    answer = sm.create_presigned_notebook_instance_url(NotebookInstanceName="dana-nb",
                                                       SessionExpirationDurationInSeconds=3600)
    assert_valid_output(sm, "CreatePresignedNotebookInstanceUrl", answer)
    url = answer["AuthorizedUrl"]
    assert urlsplit(url).path == f"/fakeaws/notebook/{REGION}/dana-nb/"
    response = Client().get(_path(url))
    assert response.status_code == 200
    assert b"dana-nb" in response.content and b"InService" in response.content
    assert response["Cache-Control"] == "no-store"
    token = parse_qs(urlsplit(url).query)["authToken"][0]
    assert token not in caplog.text
    assert not CallLog.objects.filter(principal__contains=token).exists()


def test_a_notebook_url_expires_after_five_minutes(sm: Any) -> None:
    url = sm.create_presigned_notebook_instance_url(NotebookInstanceName="dana-nb")[
        "AuthorizedUrl"]
    clock.advance(301)
    assert Client().get(_path(url)).status_code == 403


def test_a_forged_or_reused_token_is_refused(sm: Any) -> None:
    url = sm.create_presigned_notebook_instance_url(NotebookInstanceName="dana-nb")[
        "AuthorizedUrl"]
    path = _path(url)
    assert Client().get(path[:-3] + "xyz").status_code == 403
    other = path.replace("/dana-nb/", "/someone-else/")
    assert Client().get(other).status_code == 403
    assert Client().get(f"/fakeaws/notebook/{REGION}/dana-nb/").status_code == 403


def test_a_studio_url_lasts_expires_in_seconds(project_client: Any) -> None:
    sc = project_client("servicecatalog")
    sc.provision_product(
        ProductId="prod-testprofile01", ProvisioningArtifactId="pa-testprofile01v1",
        ProvisionedProductName="studio-dana",
        ProvisioningParameters=[{"Key": "UserProfileName", "Value": "dana"}])
    sm = project_client("sagemaker")
    domain_id = baseline_for(account=PROJECT_ACCOUNT, region=REGION).domain_id
    answer = sm.create_presigned_domain_url(DomainId=domain_id, UserProfileName="dana",
                                            ExpiresInSeconds=30)
    assert_valid_output(sm, "CreatePresignedDomainUrl", answer)
    path = _path(answer["AuthorizedUrl"])
    assert Client().get(path).status_code == 200
    clock.advance(31)
    assert Client().get(path).status_code == 403
