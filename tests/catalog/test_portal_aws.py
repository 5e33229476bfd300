"""portal.aws: clients for a project's account and region, assuming its role when it has one."""

from __future__ import annotations

import re
import threading
import time
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest
from botocore.awsrequest import AWSResponse
from botocore.exceptions import ClientError
from botocore.stub import Stubber
from moto import mock_aws

from portal.aws import (
    SYSTEM_SESSION_NAME,
    AwsSession,
    CredentialCache,
    aws_client,
    aws_config,
    credential_cache,
    session_name_for,
)
from portal.aws_errors import aws_failure_classify
from portal.models import Project

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_credentials(settings: Any) -> None:
    credential_cache.clear()
    # These tests look at boto3 itself (moto, Stubber): no fake AWS hook, the credential chain.
    settings.PORTAL_AWS_CLIENT_HOOK = ""
    settings.PORTAL_AWS_STATIC_CREDENTIALS = None


@mock_aws
def test_without_a_role_the_client_uses_the_portals_own_identity_in_the_projects_region(
    project: Project, settings: Any,
) -> None:
    settings.PORTAL_AWS_MAX_ATTEMPTS = 5
    project.aws_role_arn = project.aws_external_id = ""
    client = aws_client("servicecatalog", project=project)
    assert client.meta.region_name == "eu-west-1"
    # botocore counts max_attempts as retries: the first call plus 5 retries.
    assert client.meta.config.retries == {"mode": "adaptive", "total_max_attempts": 6}
    identity = aws_client("sts", project=project).get_caller_identity()
    assert ":assumed-role/" not in identity["Arn"]


@mock_aws
def test_with_a_role_the_client_uses_the_assumed_roles_temporary_credentials(
    project: Project,
) -> None:
    iam = boto3.client("iam", region_name="us-east-1")
    iam.create_role(RoleName="PortalCatalogReader", AssumeRolePolicyDocument="{}")
    project.aws_role_arn = "arn:aws:iam::123456789012:role/PortalCatalogReader"
    project.aws_external_id = "bank-ml-portal"

    client = aws_client("sts", project=project,
                        session=AwsSession(name="dana.scientist", tags=(("owner", "dana"),)))

    identity = client.get_caller_identity()
    assert identity["Arn"].endswith(":assumed-role/PortalCatalogReader/dana.scientist")


@pytest.mark.parametrize(("username", "expected"), [
    ("dana.scientist", "dana.scientist"),
    ("dana@bank.example", "dana@bank.example"),
    ("Dana Example/ops:x", "Dana-Example-ops-x"),
    ("a", "a-"),
    ("x" * 80, "x" * 64),
    ("", SYSTEM_SESSION_NAME),
    (None, SYSTEM_SESSION_NAME),
])
def test_session_names_keep_to_the_characters_and_length_sts_allows(
        username: str | None, expected: str) -> None:
    name = session_name_for(username)
    assert name == expected
    assert re.fullmatch(r"[\w+=,.@-]{2,64}", name, re.ASCII)


RECORDED: list[Any] = []


def record_client(client: Any) -> None:
    """A client hook for the tests: answers AssumeRole itself, records every client."""
    RECORDED.append(client)
    if client.meta.service_model.service_name == "sts":
        stubber = Stubber(client)
        stubber.add_response("assume_role", {"Credentials": {
            "AccessKeyId": "ASIAHOOKED000000001", "SecretAccessKey": "s", "SessionToken": "t",
            "Expiration": datetime(2099, 1, 1, tzinfo=UTC)}})
        stubber.activate()


def test_the_client_hook_sees_every_client_including_sts_and_static_credentials_are_used(
        project: Project, settings: Any) -> None:
    settings.PORTAL_AWS_CLIENT_HOOK = "tests.catalog.test_portal_aws.record_client"
    RECORDED.clear()
    settings.PORTAL_AWS_STATIC_CREDENTIALS = ("AKIASTATIC000000001", "static-secret")
    project.aws_role_arn = "arn:aws:iam::123456789012:role/PortalCatalogReader"

    client = aws_client("servicecatalog", project=project)

    services = [c.meta.service_model.service_name for c in RECORDED]
    assert services == ["sts", "servicecatalog"]
    sts_credentials = RECORDED[0]._request_signer._credentials
    assert sts_credentials.access_key == "AKIASTATIC000000001"  # no credential chain searched
    assert client._request_signer._credentials.access_key == "ASIAHOOKED000000001"


def test_credentials_are_assumed_once_for_many_threads_and_reused(project: Project) -> None:
    calls: list[int] = []
    cache = CredentialCache()

    def assume() -> dict[str, Any]:
        calls.append(1)
        time.sleep(0.05)  # a slow STS: other threads arrive meanwhile
        return {"AccessKeyId": "A", "SecretAccessKey": "S", "SessionToken": "T",
                "Expiration": datetime(2099, 1, 1)}

    threads = [threading.Thread(target=cache.get, args=(("role", "x"), assume))
               for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(calls) == 1
    cache.get(("role", "other-session"), assume)
    assert len(calls) == 2


def _answering(status: int, code: str) -> tuple[Any, list[int]]:
    """A client whose HTTP layer answers every request with this error (before-send)."""
    sent: list[int] = []
    client = boto3.client("servicecatalog", config=aws_config(region="eu-west-1"),
                          aws_access_key_id="A", aws_secret_access_key="S")

    def answer(request: Any, **_: Any) -> AWSResponse:
        sent.append(1)
        body = f'{{"__type": "{code}", "message": "no"}}'.encode()
        raw = type("Raw", (), {"stream": lambda self, **kw: iter([body])})()
        return AWSResponse(request.url, status, {"Content-Type": "application/x-amz-json-1.1"},
                           raw)

    client.meta.events.register("before-send", answer)
    return client, sent


@pytest.mark.parametrize(("status", "code", "attempts"), [
    (400, "ThrottlingException", 3),  # retried by botocore's adaptive mode
    (503, "ServiceUnavailable", 3),   # real unavailability: retried
    (400, "ValidationException", 1),  # the caller's mistake: not retried
    (400, "AccessDeniedException", 1),
])
def test_botocore_retries_only_throttling_and_unavailability(
        settings: Any, monkeypatch: pytest.MonkeyPatch, status: int, code: str,
        attempts: int) -> None:
    settings.PORTAL_AWS_MAX_ATTEMPTS = 2  # botocore's legacy key counts retries: 3 attempts
    monkeypatch.setattr("botocore.retries.standard.ExponentialBackoff.delay_amount",
                        lambda self, context: 0)
    client, sent = _answering(status, code)
    with pytest.raises(ClientError) as raised:
        client.list_portfolios()
    assert len(sent) == attempts
    failure = aws_failure_classify(operation="ListPortfolios", exc=raised.value)
    assert failure.retryable is (attempts > 1)
