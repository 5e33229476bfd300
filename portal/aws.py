"""boto3 clients for a project's AWS target, shared by the catalog sync and provisioning.

Credentials come from boto3's standard chain (instance profile, environment, SSO profile) or, when
``PORTAL_AWS_STATIC_CREDENTIALS`` is set, from that fixed pair. When the project names a role the
portal assumes it in a session that names who acts: ``RoleSessionName`` and ``SourceIdentity`` are
the person's sanitised username (system work runs as ``SYSTEM_SESSION_NAME``), so CloudTrail in the
project account tells people apart. Session tags (``sts:TagSession``) carry the acting person's
owner id, which the owner-tag condition in the project role's policy compares with the resource's
``owner`` tag. Assumed-role credentials are cached per (role, external id, session name, source
identity, tags) and reused until ``REFRESH_MARGIN`` before they expire.

Retries use botocore's adaptive mode; they are the only retries below the Celery tasks (see
``portal.aws_errors`` for what botocore retries).
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
from botocore.config import Config
from django.conf import settings
from django.utils.module_loading import import_string

from portal.metrics import aws_client_instrument
from portal.models import Project

# RoleSessionName and SourceIdentity: 2-64 characters of [\w+=,.@-] (botocore's STS model, the
# AssumeRole input shape); SourceIdentity may not start with "aws:" (IAM user guide).
SESSION_NAME_CHARS = re.compile(r"[^\w+=,.@-]", re.ASCII)
SESSION_NAME_MAX = 64
SYSTEM_SESSION_NAME = "ml-portal-system"
# Reuse credentials until this long before they expire, so no call starts with a dying token.
REFRESH_MARGIN = timedelta(minutes=5)


def session_name_for(username: str | None) -> str:
    """The STS session name (and source identity) of a person; ``None`` is the portal itself.

    Characters STS refuses become ``-``; a name too short is padded, one too long keeps its first
    64 characters (usernames are e-mail-like: the start identifies the person).
    """
    if not username:
        return SYSTEM_SESSION_NAME
    # ":" is not an allowed character, so the result can never start with "aws:".
    name = SESSION_NAME_CHARS.sub("-", username)[:SESSION_NAME_MAX]
    return name if len(name) >= 2 else f"{name}-"


@dataclass(frozen=True)
class AwsSession:
    """Who an AWS call acts for: the session name, and the session tags to carry."""

    name: str = SYSTEM_SESSION_NAME
    tags: tuple[tuple[str, str], ...] = ()
    role_arn: str = ""  # overrides the project's role (the configured admin role)


@dataclass(frozen=True)
class _Credentials:
    access_key_id: str
    secret_access_key: str
    session_token: str
    expires_at: datetime


class CredentialCache:
    """Assumed-role credentials shared by the threads of one process, reused until near expiry."""

    def __init__(self, clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._entries: dict[tuple[Any, ...], _Credentials] = {}

    def get(self, key: tuple[Any, ...], assume: Callable[[], Mapping[str, Any]]) -> _Credentials:
        # One lock for the whole lookup: two threads needing the same role call AssumeRole once.
        with self._lock:
            found = self._entries.get(key)
            if found is not None and found.expires_at - REFRESH_MARGIN > self._clock():
                return found
            raw = assume()
            expiration = raw["Expiration"]
            if expiration.tzinfo is None:
                expiration = expiration.replace(tzinfo=UTC)
            fresh = _Credentials(raw["AccessKeyId"], raw["SecretAccessKey"], raw["SessionToken"],
                                 expiration)
            self._entries[key] = fresh
            return fresh

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


credential_cache = CredentialCache()


def aws_config(*, region: str) -> Config:
    return Config(
        region_name=region,
        retries={"mode": "adaptive", "max_attempts": settings.PORTAL_AWS_MAX_ATTEMPTS},
    )


def _base_credentials() -> dict[str, str]:
    static = settings.PORTAL_AWS_STATIC_CREDENTIALS
    if not static:
        return {}
    return {"aws_access_key_id": static[0], "aws_secret_access_key": static[1]}


def _client_make(service_name: str, *, config: Config, **credentials: str) -> Any:
    """Every client the portal makes goes through here, so the configured hook sees them all."""
    client = boto3.client(service_name, config=config, **credentials)
    aws_client_instrument(client)
    hook_path = settings.PORTAL_AWS_CLIENT_HOOK
    if hook_path:
        hook: Callable[[Any], None] = import_string(hook_path)
        hook(client)
    return client


def aws_portal_client(service_name: str, *, region: str) -> Any:
    """A boto3 client in the portal's own account (its base credentials, no role assumed), for
    what the portal itself owns, such as its events queue."""
    return _client_make(service_name, config=aws_config(region=region), **_base_credentials())


def admin_role_arn(project: Project) -> str:
    """The configured admin role in the project's account, or "" when none is configured."""
    name = settings.PORTAL_AWS_ADMIN_ROLE_NAME
    if not name:
        return ""
    partition = project.aws_role_arn.split(":")[1] if project.aws_role_arn else "aws"
    return f"arn:{partition}:iam::{project.aws_account_id}:role/{name}"


def aws_client(
    service_name: str,
    *,
    project: Project,
    session: AwsSession | None = None,
) -> Any:
    """A boto3 client for ``service_name`` in the project's account and region.

    Raises botocore's errors (an AssumeRole refusal is a ``ClientError`` of ``AssumeRole``).
    """
    session = session or AwsSession()
    config = aws_config(region=project.aws_region)
    role_arn = session.role_arn or project.aws_role_arn
    if not role_arn:
        return _client_make(service_name, config=config, **_base_credentials())
    assume: dict[str, Any] = {
        "RoleArn": role_arn, "RoleSessionName": session.name, "SourceIdentity": session.name,
        "DurationSeconds": settings.PORTAL_AWS_SESSION_SECONDS,
    }
    if project.aws_external_id:
        assume["ExternalId"] = project.aws_external_id
    if session.tags:
        assume["Tags"] = [{"Key": k, "Value": v} for k, v in session.tags]
    key = (role_arn, project.aws_external_id, session.name, session.tags,
           settings.PORTAL_AWS_CLIENT_HOOK, settings.PORTAL_AWS_STATIC_CREDENTIALS)

    def assume_role() -> Mapping[str, Any]:
        sts = _client_make("sts", config=config, **_base_credentials())
        credentials: Mapping[str, Any] = sts.assume_role(**assume)["Credentials"]
        return credentials

    credentials = credential_cache.get(key, assume_role)
    return _client_make(
        service_name, config=config,
        aws_access_key_id=credentials.access_key_id,
        aws_secret_access_key=credentials.secret_access_key,
        aws_session_token=credentials.session_token,
    )
