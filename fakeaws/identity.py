"""Who is calling: the portal's base credentials or a session the fake STS issued.

Facts (IAM/STS docs): access keys of IAM users start with ``AKIA``, temporary ones with ``ASIA``;
a call with temporary credentials must carry their session token (``X-Amz-Security-Token``), else
AWS answers ``InvalidClientTokenId``/``UnrecognizedClientException``; after expiry
``ExpiredToken``/``ExpiredTokenException``. ``aws:userid`` of an assumed-role session is
``<RoleId>:<RoleSessionName>``; its ARN ``arn:aws:sts::<acct>:assumed-role/<role>/<session>``.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings

from fakeaws import clock
from fakeaws.models import StsSession
from fakeaws.protocol import AwsError

# Static credentials the portal uses in fake mode, so boto3 never searches a credential chain or an
# instance metadata service. They are not secret: they open nothing but this fake.
FAKE_ACCESS_KEY_ID = "AKIAFAKEPORTAL000001"
FAKE_CREDENTIALS = {
    "aws_access_key_id": FAKE_ACCESS_KEY_ID,
    "aws_secret_access_key": "fake-secret-key-that-opens-only-the-fake-aws-0001",
}
PORTAL_USER_NAME = "ml-portal"
_CREDENTIAL = re.compile(r"Credential=([A-Z0-9]+)/(\d{8})/([a-z0-9-]+)/([a-z0-9-]+)/aws4_request")


@dataclass(frozen=True)
class Caller:
    account: str
    arn: str
    user_id: str
    session_name: str = ""
    source_identity: str = ""
    role_arn: str = ""
    tags: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Signed:
    access_key_id: str
    region: str
    service: str


def portal_account() -> str:
    return str(getattr(settings, "FAKEAWS_PORTAL_ACCOUNT", "999999999999"))


def signature_read(headers: Any) -> Signed:
    raw = headers.get("Authorization", b"")
    text = raw.decode() if isinstance(raw, bytes) else str(raw)
    match = _CREDENTIAL.search(text)
    if not match:
        raise AwsError("MissingAuthenticationTokenException", "Missing Authentication Token", 403)
    return Signed(access_key_id=match.group(1), region=match.group(3), service=match.group(4))


def _header(headers: Any, name: str) -> str:
    raw = headers.get(name, b"")
    return raw.decode() if isinstance(raw, bytes) else str(raw or "")


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def caller_identify(*, signed: Signed, headers: Any, query: bool) -> Caller:
    """The principal behind a signed request; AWS's refusal for unknown or expired keys."""
    invalid = ("InvalidClientTokenId" if query else "UnrecognizedClientException",
               "The security token included in the request is invalid.")
    if signed.access_key_id == FAKE_ACCESS_KEY_ID:
        account = portal_account()
        return Caller(account=account, arn=f"arn:aws:iam::{account}:user/{PORTAL_USER_NAME}",
                      user_id="AIDAFAKEPORTALUSER01")
    if not signed.access_key_id.startswith("ASIA"):
        raise AwsError(invalid[0], invalid[1], 403)
    session = StsSession.objects.filter(access_key_id=signed.access_key_id).first()
    token = _header(headers, "X-Amz-Security-Token")
    if session is None or token_hash(token) != session.token_sha256:
        raise AwsError(invalid[0], invalid[1], 403)
    if session.expires_at <= clock.now():
        code = "ExpiredToken" if query else "ExpiredTokenException"
        raise AwsError(code, "The security token included in the request is expired", 403)
    role_name = session.role_arn.rsplit("/", 1)[-1]
    return Caller(
        account=session.account, user_id=f"{session.role_id}:{session.session_name}",
        arn=f"arn:aws:sts::{session.account}:assumed-role/{role_name}/{session.session_name}",
        session_name=session.session_name, source_identity=session.source_identity,
        role_arn=session.role_arn, tags=dict(session.tags),
    )


def role_id(role_arn: str) -> str:
    """A stable role id (``AROA`` + 17 characters), as IAM gives every role one."""
    digest = hashlib.sha256(role_arn.encode()).hexdigest().upper()
    return "AROA" + "".join(c for c in digest if c.isalnum())[:17]
