"""Real boto3 clients on the fake AWS, and helpers to check answers against botocore's models."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.validate import ParamValidator

from fakeaws import clock
from fakeaws.baseline import baseline_for
from fakeaws.hook import FAKE_CREDENTIALS, attach

PROJECT_ACCOUNT = "111111111111"
REGION = "eu-west-1"


@pytest.fixture(autouse=True)
def _instant_fake(settings: Any) -> Iterator[None]:
    settings.FAKEAWS_OPERATION_SECONDS = 0
    settings.FAKEAWS_CONSISTENCY_SECONDS = 0
    settings.FAKEAWS_PORTAL_ACCOUNT = "999999999999"
    settings.FAKEAWS_BASE_URL = "https://portal.bank.example"
    clock.reset()
    yield
    clock.reset()


def client(service: str, *, credentials: dict[str, str] | None = None,
           max_attempts: int = 3, region: str = REGION) -> Any:
    config = Config(region_name=region, retries={"mode": "standard", "max_attempts": max_attempts})
    return attach(boto3.client(service, config=config, **(credentials or FAKE_CREDENTIALS)))


def session_credentials(*, account: str = PROJECT_ACCOUNT, session_name: str = "dana.scientist",
                        source_identity: str = "dana.scientist",
                        tags: dict[str, str] | None = None) -> dict[str, str]:
    base = baseline_for(account=account, region=REGION)
    extra: dict[str, Any] = {"Tags": [{"Key": k, "Value": v} for k, v in (tags or {}).items()]}
    answer = client("sts").assume_role(
        RoleArn=base.project_role_arn, RoleSessionName=session_name,
        ExternalId=base.project_role_external_id, SourceIdentity=source_identity, **extra)
    c = answer["Credentials"]
    return {"aws_access_key_id": c["AccessKeyId"], "aws_secret_access_key": c["SecretAccessKey"],
            "aws_session_token": c["SessionToken"]}


@pytest.fixture
def project_client(db: None) -> Callable[..., Any]:
    """A client in the project account, through an assumed-role session."""
    def make(service: str, **kwargs: Any) -> Any:
        return client(service, credentials=session_credentials(**kwargs))
    return make


def assert_valid_output(service_client: Any, operation: str, answer: dict[str, Any]) -> None:
    """The answer fits the operation's output shape in botocore's service model."""
    model = service_client.meta.service_model.operation_model(operation)
    body = {k: v for k, v in answer.items() if k != "ResponseMetadata"}
    report = ParamValidator().validate(body, model.output_shape)
    assert not report.has_errors(), report.generate_report()


TEST_CATALOG = __import__("pathlib").Path(__file__).resolve().parent / "catalog" / "catalog.yaml"


@pytest.fixture
def test_catalog(settings: Any) -> None:
    settings.FAKEAWS_CATALOG_FILE = str(TEST_CATALOG)


def provision(sc: Any, name: str = "nb-dana", *, notebook: str = "dana-nb", **extra: Any
              ) -> dict[str, Any]:
    params = [{"Key": "NotebookInstanceName", "Value": notebook}]
    return sc.provision_product(
        ProductId="prod-testnotebook1", ProvisioningArtifactId="pa-testnotebook1v1",
        PathId="lpv3-testnotebook1", ProvisionedProductName=name,
        ProvisioningParameters=params + extra.pop("more", []),
        Tags=[{"Key": "portal-environment", "Value": "env-1"}], **extra)
