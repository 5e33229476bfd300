"""Opening an environment: checks, then a presigned URL made for this click only.

The URL is handed straight back to the caller: it is never stored, logged or put in an audit
event. Every launch and every refused launch is audited with the caller's address.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from portal.middleware import client_ip
from portal.models import User
from portal.services import audit_record
from provisioning.backends import (
    AccessDenied,
    BackendError,
    RoleUnavailable,
    Transient,
    aws_session_for,
    backend_for,
)
from provisioning.guards import PHASE_START, EnvironmentRefused, environment_refuse_unless_allowed
from provisioning.models import Environment
from provisioning.services import (
    Kind,
    Status,
    activity_bump,
    environment_aws_unreachable,
    environment_locked,
    event_add,
    follow_start,
)
from provisioning.states import environment_status_set


class LaunchRefused(Exception):
    """The launch was refused and audited; ``message`` is safe to show, ``status`` is HTTP."""

    def __init__(self, *, reason: str, message: str, status: int = 403) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message
        self.status = status


@dataclass(frozen=True)
class Launch:
    """Either a URL to redirect to now, or ``waiting``: the notebook is starting."""

    url: str = ""
    waiting: bool = False

    def __repr__(self) -> str:  # never let the URL reach a log line or a traceback
        return f"Launch(url={'<hidden>' if self.url else ''!r}, waiting={self.waiting})"


def address_allowed(ip: str | None) -> bool:
    networks = settings.PORTAL_LAUNCH_ALLOWED_CIDRS
    if not networks:
        return True
    if not ip:
        return False
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return False
    return any(address in ipaddress.ip_network(cidr, strict=False) for cidr in networks)


def may_launch(*, environment: Environment, user: User) -> bool:
    if environment.owner_id == user.pk:
        return True
    return bool(user.is_catalog_admin and settings.PORTAL_ADMIN_CAN_LAUNCH_ANY)


def launch_refuse(*, environment: Environment | None, user: User, http_request: HttpRequest,
                  reason: str, message: str, status: int = 403,
                  environment_ref: str = "", detail: str = "") -> LaunchRefused:
    """Audit a refused launch (and note it on the timeline); return the error to raise.

    ``message`` is shown to the user; ``detail`` (AWS's own text, which may name roles and
    accounts) goes to the audit event only.
    """
    data = {"reason": reason, "environment": environment_ref or
            (str(environment.pk) if environment else "")}
    if detail:
        data["detail"] = detail[:1000]
    audit_record(action="environment.launch_refused", actor=user, request=http_request,
                 obj=environment, project=environment.project if environment else None,
                 data=data)
    if environment is not None:
        event_add(environment=environment, kind=Kind.LAUNCH_REFUSED,
                  message=f"Open refused for {user.display_name} from "
                          f"{client_ip(http_request) or 'an unknown address'}: {message}")
    return LaunchRefused(reason=reason, message=message, status=status)


Refuse = Callable[..., LaunchRefused]


def environment_launch(*, environment: Environment, user: User,
                       http_request: HttpRequest) -> Launch:
    """Owner check → address check → start a stopped notebook (wait) → presign."""
    def refuse(reason: str, message: str, status: int = 403, detail: str = "") -> LaunchRefused:
        return launch_refuse(environment=environment, user=user, http_request=http_request,
                             reason=reason, message=message, status=status, detail=detail)

    waiting = _launch_gate(environment, user=user, http_request=http_request, refuse=refuse)
    if waiting is not None:
        return waiting
    try:
        presigned = _presign(environment, user=user, http_request=http_request, refuse=refuse)
    except RoleUnavailable as exc:
        with transaction.atomic():
            environment_aws_unreachable(environment_locked(environment.pk), error=exc)
        raise refuse("aws_unreachable", "The portal cannot reach this environment's AWS account "
                     "right now; a platform admin has the details.", 503, exc.detail) from None
    except AccessDenied as exc:
        raise refuse("aws_denied", f"AWS refused to open it ({exc.code}).", 403,
                     exc.detail) from None
    except Transient as exc:
        raise refuse("aws_busy", f"AWS is busy ({exc.code}); try again in a minute.", 503,
                     exc.detail) from None
    except BackendError as exc:
        raise refuse("aws_error", f"AWS could not open it ({exc.code}).", 502,
                     exc.detail) from None
    if isinstance(presigned, Launch):
        return presigned
    url, session = presigned
    audit_record(action="environment.launch", actor=user, request=http_request, obj=environment,
                 project=environment.project,
                 data={"kind": environment.product.kind, "session_seconds": session,
                       "resource": environment.notebook_instance_name
                       or f"{environment.domain_id}/{environment.user_profile_name}"})
    ip = client_ip(http_request)
    event_add(environment=environment, kind=Kind.LAUNCH,
              message=f"Opened by {user.display_name} from {ip or 'an unknown address'}.")
    activity_bump(environment)
    return Launch(url=url)


def _launch_gate(environment: Environment, *, user: User, http_request: HttpRequest,
                 refuse: Refuse) -> Launch | None:
    """The portal's checks before AWS is asked: the owner, the address, something to open, and
    its state; a stopped notebook is started (the page waits). None: go on and presign."""
    if not may_launch(environment=environment, user=user):
        raise refuse("not_owner", "Only the environment's owner can open it.")
    ip = client_ip(http_request)
    if not address_allowed(ip):
        raise refuse("address_not_allowed",
                     f"Environments cannot be opened from your address ({ip or 'unknown'}).")
    if not environment.launchable:
        raise refuse("not_launchable", "This kind of environment has nothing to open.", 409)
    if environment.status == Status.STARTING:
        return Launch(waiting=True)
    if environment.status == Status.STOPPED and environment.notebook_instance_name:
        try:
            _start_for_launch(environment, user=user, http_request=http_request)
        except EnvironmentRefused as exc:
            raise refuse("start_refused", str(exc), 409) from None
        return Launch(waiting=True)
    if environment.status != Status.AVAILABLE:
        raise refuse("not_available",
                     f"The environment is {environment.get_status_display().lower()}; it can be "
                     "opened when it is available.", 409)
    return None


def _presign(environment: Environment, *, user: User, http_request: HttpRequest,
             refuse: Refuse) -> tuple[str, int] | Launch:
    """The presigned URL and its session's seconds, from AWS in the clicking person's session;
    a notebook AWS shows stopped or pending is waited for instead (``Launch(waiting=True)``).
    Raises the backend's errors."""
    # The presign call runs in the clicking person's session (their name, their owner tag), so
    # the owner-tag condition in the project role decides in AWS too.
    backend = backend_for(environment.project, actor=user, resource_owner=environment.owner)
    # Who the session speaks for; boto3 sends none of it (the owner tag travels in the session).
    session_owner = _session_owner_id(environment, user=user)
    if not environment.notebook_instance_name:
        session = settings.PORTAL_STUDIO_SESSION_SECONDS
        return backend.studio_presigned_url(
            domain_id=environment.domain_id, user_profile_name=environment.user_profile_name,
            expires_seconds=settings.PORTAL_STUDIO_URL_EXPIRES_SECONDS,
            session_seconds=session, owner_id=session_owner), session
    live = backend.notebook_status(notebook_name=environment.notebook_instance_name)
    if live == "Stopped":
        try:
            _stopped_outside(environment, user=user, http_request=http_request)
        except EnvironmentRefused as exc:
            raise refuse("start_refused", str(exc), 409) from None
        return Launch(waiting=True)
    if live == "Pending":
        _pending_outside(environment)
        return Launch(waiting=True)
    if live != "InService":
        raise refuse("not_available", f"The notebook is {live} in AWS.", 409)
    session = settings.PORTAL_NOTEBOOK_SESSION_SECONDS
    return backend.notebook_presigned_url(
        notebook_name=environment.notebook_instance_name, session_seconds=session,
        owner_id=session_owner), session


def _session_owner_id(environment: Environment, *, user: User) -> str:
    """The owner id the presign session carries: the clicking person's, unless an admin acts
    through the configured admin role (whose policy, not the owner tag, decides)."""
    session = aws_session_for(project=environment.project, actor=user,
                              resource_owner=environment.owner)
    return environment.owner.owner_id if session.role_arn else user.owner_id


def _start_for_launch(environment: Environment, *, user: User, http_request: HttpRequest) -> None:
    """Open a stopped notebook: start it (STOPPED → STARTING) and let the follow-up wait."""
    with transaction.atomic():
        locked = environment_locked(environment.pk)
        if locked.status != Status.STOPPED:
            return  # someone else moved it meanwhile; the page shows what it is now
        environment_refuse_unless_allowed(locked, phase=PHASE_START)  # a quota may refuse
        environment_status_set(locked, to=Status.STARTING)
        locked.acting_user = user
        locked.last_activity_at = timezone.now()  # the idle auto-stop counts from here
        locked.save()
        event_add(environment=locked, kind=Kind.START,
                  message=f"Starting the notebook to open it for {user.display_name}.")
        audit_record(action="environment.start", actor=user, request=http_request, obj=locked,
                     project=locked.project, data={"for": "launch"})
        follow_start(locked)
    environment.refresh_from_db(fields=["status"])


def _stopped_outside(environment: Environment, *, user: User, http_request: HttpRequest) -> None:
    """The portal thought it available, AWS says Stopped: record the stop made outside the
    portal (AVAILABLE → STOPPED), then start it for this launch (STOPPED → STARTING)."""
    with transaction.atomic():
        locked = environment_locked(environment.pk)
        if locked.status != Status.AVAILABLE:
            return
        environment_status_set(locked, to=Status.STOPPED)
        locked.save()
        message = "The notebook was stopped outside the portal."
        event_add(environment=locked, kind=Kind.OUT_OF_BAND, message=message)
        audit_record(action="environment.out_of_band", obj=locked, project=locked.project,
                     data={"message": message, "status": str(Status.STOPPED)})
    _start_for_launch(environment, user=user, http_request=http_request)


def _pending_outside(environment: Environment) -> None:
    """AWS shows the notebook Pending (started outside the portal): follow it until InService."""
    with transaction.atomic():
        locked = environment_locked(environment.pk)
        if locked.status != Status.AVAILABLE:
            return
        environment_status_set(locked, to=Status.STARTING)
        locked.acting_user = None
        locked.save()
        message = "The notebook is starting in AWS (started outside the portal)."
        event_add(environment=locked, kind=Kind.OUT_OF_BAND, message=message)
        audit_record(action="environment.out_of_band", obj=locked, project=locked.project,
                     data={"message": message, "status": str(Status.STARTING)})
        follow_start(locked)
    environment.refresh_from_db(fields=["status"])
