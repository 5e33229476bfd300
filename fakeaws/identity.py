"""Who is calling: the portal's base credentials or a session the fake STS issued.

Facts (IAM/STS docs): access keys of IAM users start with ``AKIA``, temporary ones with ``ASIA``;
a call with temporary credentials must carry their session token (``X-Amz-Security-Token``), else
AWS answers ``InvalidClientTokenId``/``UnrecognizedClientException``; after expiry
``ExpiredToken``/``ExpiredTokenException``. ``aws:userid`` of an assumed-role session is
``<RoleId>:<RoleSessionName>``; its ARN ``arn:aws:sts::<acct>:assumed-role/<role>/<session>``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from dataclasses import dataclass, field
from typing import Any

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from django.conf import settings

from fakeaws import clock
from fakeaws.credentials import FAKE_ACCESS_KEY_ID, FAKE_CREDENTIALS
from fakeaws.models import StsSession
from fakeaws.protocol import AwsError

PORTAL_USER_NAME = "ml-portal"
_SIGNATURE = re.compile(r"SignedHeaders=([a-z0-9;-]+), Signature=([0-9a-f]{64})")
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


def session_secret(access_key_id: str) -> str:
    """The secret key of a session, derived (never stored) so any process can check signatures."""
    digest = hmac.new(settings.SECRET_KEY.encode(), f"fakeaws-sts:{access_key_id}".encode(),
                      hashlib.sha256).digest()
    return base64.b64encode(digest).decode()[:40]


def signature_verify(*, request: Any, signed: Signed, secret_key: str) -> None:
    """Recompute the SigV4 signature over the headers the client signed; AWS refuses a mismatch
    with 403 SignatureDoesNotMatch (SigV4 docs: "Authenticating requests")."""
    match = _SIGNATURE.search(_header(request.headers, "Authorization"))
    mismatch = AwsError("SignatureDoesNotMatch", "The request signature we calculated does not "
                        "match the signature you provided. Check your AWS Secret Access Key and "
                        "signing method.", 403)
    if not match:
        raise mismatch
    names = set(match.group(1).split(";"))
    headers = {k: v.decode() if isinstance(v, bytes) else str(v)
               for k, v in request.headers.items() if k.lower() in names}
    copy = AWSRequest(method=request.method, url=request.url, headers=headers,
                      data=request.body)
    copy.context["timestamp"] = _header(request.headers, "X-Amz-Date")
    token = _header(request.headers, "X-Amz-Security-Token") or None
    auth = SigV4Auth(Credentials(signed.access_key_id, secret_key, token), signed.service,
                     signed.region)
    expected = auth.signature(auth.string_to_sign(copy, auth.canonical_request(copy)), copy)
    if not hmac.compare_digest(expected, match.group(2)):
        raise mismatch


def caller_identify(*, signed: Signed, headers: Any, query: bool, request: Any = None
                    ) -> Caller:
    """The principal behind a signed request; AWS's refusal for unknown or expired keys."""
    invalid = ("InvalidClientTokenId" if query else "UnrecognizedClientException",
               "The security token included in the request is invalid.")
    if signed.access_key_id == FAKE_ACCESS_KEY_ID:
        if request is not None:
            signature_verify(request=request, signed=signed,
                             secret_key=FAKE_CREDENTIALS["aws_secret_access_key"])
        account = portal_account()
        return Caller(account=account, arn=f"arn:aws:iam::{account}:user/{PORTAL_USER_NAME}",
                      user_id="AIDAFAKEPORTALUSER01")
    if not signed.access_key_id.startswith("ASIA"):
        raise AwsError(invalid[0], invalid[1], 403)
    session = StsSession.objects.filter(access_key_id=signed.access_key_id).first()
    token = _header(headers, "X-Amz-Security-Token")
    if session is None or token_hash(token) != session.token_sha256:
        raise AwsError(invalid[0], invalid[1], 403)
    if request is not None:
        signature_verify(request=request, signed=signed,
                         secret_key=session_secret(signed.access_key_id))
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
