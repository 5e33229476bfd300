"""The fake STS through a real boto3 client: AssumeRole, GetCallerIdentity and their refusals."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from fakeaws import clock
from fakeaws.baseline import baseline_for
from fakeaws.models import CallLog, StsSession
from tests.fakeaws.conftest import PROJECT_ACCOUNT, REGION, assert_valid_output, client

pytestmark = pytest.mark.django_db
BASE = baseline_for(account=PROJECT_ACCOUNT, region=REGION)


def _assume(**overrides: object) -> dict:
    sts = client("sts")
    kwargs = {"RoleArn": BASE.project_role_arn, "RoleSessionName": "dana.scientist",
              "ExternalId": BASE.project_role_external_id, "SourceIdentity": "dana.scientist",
              "Tags": [{"Key": "owner", "Value": "AROAEXAMPLE:dana.scientist"}]}
    kwargs.update(overrides)
    answer = sts.assume_role(**kwargs)
    assert_valid_output(sts, "AssumeRole", answer)
    return answer


def test_base_credentials_are_the_portal_account() -> None:
    sts = client("sts")
    answer = sts.get_caller_identity()
    assert_valid_output(sts, "GetCallerIdentity", answer)
    assert answer["Account"] == "999999999999"
    assert answer["Arn"] == "arn:aws:iam::999999999999:user/ml-portal"


def test_assume_role_returns_session_credentials_that_identify_the_session() -> None:
    answer = _assume()
    creds = answer["Credentials"]
    assert creds["AccessKeyId"].startswith("ASIA")
    assert answer["SourceIdentity"] == "dana.scientist"
    assert answer["AssumedRoleUser"]["Arn"] == (
        f"arn:aws:sts::{PROJECT_ACCOUNT}:assumed-role/ml-portal-provisioning/dana.scientist")
    sts = client("sts", credentials={"aws_access_key_id": creds["AccessKeyId"],
                                     "aws_secret_access_key": creds["SecretAccessKey"],
                                     "aws_session_token": creds["SessionToken"]})
    me = sts.get_caller_identity()
    assert me["Account"] == PROJECT_ACCOUNT
    assert me["UserId"].endswith(":dana.scientist") and me["UserId"].startswith("AROA")
    session = StsSession.objects.get(access_key_id=creds["AccessKeyId"])
    assert session.tags == {"owner": "AROAEXAMPLE:dana.scientist"}
    assert creds["SessionToken"] not in session.token_sha256  # only a hash is kept
    log = CallLog.objects.filter(operation="GetCallerIdentity", account=PROJECT_ACCOUNT).get()
    assert (log.session_name, log.source_identity) == ("dana.scientist", "dana.scientist")


@pytest.mark.parametrize("override", [
    {"ExternalId": "wrong"},
    {"RoleArn": f"arn:aws:iam::{PROJECT_ACCOUNT}:role/SomeoneElsesRole"},
])
def test_assume_role_is_denied_without_the_trusted_role_and_external_id(override: dict) -> None:
    with pytest.raises(ClientError) as caught:
        _assume(**override)
    error = caught.value.response["Error"]
    assert error["Code"] == "AccessDenied"
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
    assert "is not authorized to perform: sts:AssumeRole on resource" in error["Message"]
    assert not StsSession.objects.exists()


def test_a_session_cannot_last_longer_than_the_role_allows() -> None:
    with pytest.raises(ClientError) as caught:
        _assume(DurationSeconds=7200)
    assert caught.value.response["Error"]["Code"] == "ValidationError"


def test_expired_and_forged_session_credentials_are_refused() -> None:
    creds = _assume()["Credentials"]
    session = {"aws_access_key_id": creds["AccessKeyId"],
               "aws_secret_access_key": creds["SecretAccessKey"]}
    forged = client("sts", credentials={**session, "aws_session_token": "forged"})
    with pytest.raises(ClientError) as caught:
        forged.get_caller_identity()
    assert caught.value.response["Error"]["Code"] == "InvalidClientTokenId"
    clock.advance(3601)
    expired = client("sts", credentials={**session, "aws_session_token": creds["SessionToken"]})
    with pytest.raises(ClientError) as caught:
        expired.get_caller_identity()
    assert caught.value.response["Error"]["Code"] == "ExpiredToken"


def test_unknown_access_keys_are_refused() -> None:
    stranger = client("sts", credentials={"aws_access_key_id": "AKIASTRANGER00000001",
                                          "aws_secret_access_key": "x" * 40})
    with pytest.raises(ClientError) as caught:
        stranger.get_caller_identity()
    assert caught.value.response["Error"]["Code"] == "InvalidClientTokenId"


def test_a_wrong_secret_key_fails_the_signature_check() -> None:
    wrong = client("sts", credentials={"aws_access_key_id": "AKIAFAKEPORTAL000001",
                                       "aws_secret_access_key": "not-the-secret"})
    with pytest.raises(ClientError) as caught:
        wrong.get_caller_identity()
    assert caught.value.response["Error"]["Code"] == "SignatureDoesNotMatch"
    creds = _assume()["Credentials"]
    forged = client("sts", credentials={"aws_access_key_id": creds["AccessKeyId"],
                                        "aws_secret_access_key": "x" * 40,
                                        "aws_session_token": creds["SessionToken"]})
    with pytest.raises(ClientError) as caught:
        forged.get_caller_identity()
    assert caught.value.response["Error"]["Code"] == "SignatureDoesNotMatch"
