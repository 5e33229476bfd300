"""STS: AssumeRole and GetCallerIdentity.

Facts (STS API reference, AssumeRole): RoleSessionName 2-64 chars ``[\\w+=,.@-]*``;
DurationSeconds 900 up to the role's MaxSessionDuration (default 3600), else ValidationError;
a trust policy that does not match answers 403 AccessDenied "User: <caller arn> is not authorized
to perform: sts:AssumeRole on resource: <role arn>"; SourceIdentity 2-64 chars; session Tags at
most 50. The credentials' Expiration is ISO 8601 in the XML answer.
"""

from __future__ import annotations

import re
import secrets
import string
from datetime import timedelta
from typing import Any

from fakeaws import clock
from fakeaws.baseline import baseline_ensure
from fakeaws.identity import Caller, portal_account, role_id, session_secret, token_hash
from fakeaws.models import StsSession
from fakeaws.owner import admin_role_arn
from fakeaws.protocol import AwsError
from fakeaws.services.registry import operation

_SESSION_NAME = re.compile(r"^[\w+=,.@-]{2,64}$")
_ROLE_ARN = re.compile(r"^arn:aws:iam::(\d{12}):role/([\w+=,.@/-]+)$")
MAX_SESSION_SECONDS = 3600  # the role's MaxSessionDuration (IAM default)


def _invalid(message: str) -> AwsError:
    return AwsError("ValidationError", message)


def _random(alphabet: str, length: int) -> str:
    return "".join(secrets.choice(alphabet) for _ in range(length))


@operation("sts", "AssumeRole")
def assume_role(*, caller: Caller, region: str, params: dict[str, Any]) -> dict[str, Any]:
    role_arn = str(params.get("RoleArn", ""))
    session_name = str(params.get("RoleSessionName", ""))
    if not _SESSION_NAME.match(session_name):
        raise _invalid("1 validation error detected: Value at 'roleSessionName' failed to "
                       "satisfy constraint: Member must satisfy regular expression pattern: "
                       "[\\w+=,.@-]*")
    duration = int(params.get("DurationSeconds", MAX_SESSION_SECONDS))
    if duration > MAX_SESSION_SECONDS:
        raise _invalid("The requested DurationSeconds exceeds the MaxSessionDuration set for "
                       "this role.")
    if duration < 900:
        raise _invalid("1 validation error detected: Value at 'durationSeconds' failed to "
                       "satisfy constraint: Member must have value greater than or equal to 900")
    source_identity = str(params.get("SourceIdentity", ""))
    if caller.source_identity and source_identity and source_identity != caller.source_identity:
        # A source identity, once set, cannot change down a role chain (STS docs).
        raise AwsError("AccessDenied", "SourceIdentity cannot be changed in a role chain.", 403)
    source_identity = source_identity or caller.source_identity
    match = _ROLE_ARN.match(role_arn)
    denied = AwsError("AccessDenied", f"User: {caller.arn} is not authorized to perform: "
                      f"sts:AssumeRole on resource: {role_arn}", 403)
    if not match:
        raise denied
    account = match.group(1)
    base = baseline_ensure(account=account, region=region)
    # The project role (and the admin role, when configured) trusts the portal's account only,
    # with the ExternalId of the baseline.
    trusted = caller.account == portal_account()
    known = role_arn in (base.project_role_arn, admin_role_arn(account) or base.project_role_arn)
    if (not known or not trusted
            or params.get("ExternalId", "") != base.project_role_external_id):
        raise denied
    tags = {t["Key"]: t["Value"] for t in params.get("Tags", []) if isinstance(t, dict)}
    if len(tags) > 50:
        raise _invalid("Session tags: at most 50.")
    access_key = "ASIA" + _random(string.ascii_uppercase + string.digits, 16)
    secret = session_secret(access_key)
    token = "FwoGZXIvYXdzE" + _random(string.ascii_letters + string.digits, 300)
    now = clock.now()
    expires = now + timedelta(seconds=duration)
    rid = role_id(role_arn)
    StsSession.objects.create(
        access_key_id=access_key, token_sha256=token_hash(token), account=account,
        role_arn=role_arn, role_id=rid, session_name=session_name,
        source_identity=source_identity, tags=tags, issued_by=caller.arn, issued_at=now,
        expires_at=expires)
    role_name = match.group(2).rsplit("/", 1)[-1]
    answer: dict[str, Any] = {
        "Credentials": {"AccessKeyId": access_key, "SecretAccessKey": secret,
                        "SessionToken": token, "Expiration": expires},
        "AssumedRoleUser": {"AssumedRoleId": f"{rid}:{session_name}",
                            "Arn": f"arn:aws:sts::{account}:assumed-role/{role_name}/"
                                   f"{session_name}"},
        "PackedPolicySize": 6 if tags else 0,
    }
    if source_identity:
        answer["SourceIdentity"] = source_identity
    return answer


@operation("sts", "GetCallerIdentity")
def get_caller_identity(*, caller: Caller, region: str, params: dict[str, Any]
                        ) -> dict[str, Any]:
    return {"UserId": caller.user_id, "Account": caller.account, "Arn": caller.arn}
