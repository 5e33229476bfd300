"""Opening an environment: checks, then a presigned URL made for this click only.

The URL is handed straight back to the caller: it is never stored, logged or put in an audit
event. Every launch and every refused launch is audited with the caller's address.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.http import HttpRequest

from portal.middleware import client_ip
from portal.models import User
from portal.services import audit_record
from provisioning.backends import AccessDenied, BackendError, Transient, backend_for
from provisioning.models import Environment
from provisioning.services import Kind, Status, _follow_start, _locked, event_add


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
                  environment_ref: str = "") -> LaunchRefused:
    """Audit a refused launch (and note it on the timeline); return the error to raise."""
    audit_record(action="environment.launch_refused", actor=user, request=http_request,
                 obj=environment, project=environment.project if environment else None,
                 data={"reason": reason, "environment": environment_ref or
                       (str(environment.pk) if environment else "")})
    if environment is not None:
        event_add(environment=environment, kind=Kind.LAUNCH_REFUSED,
                  message=f"Open refused for {user.display_name} from "
                          f"{client_ip(http_request) or 'an unknown address'}: {message}")
    return LaunchRefused(reason=reason, message=message, status=status)


def environment_launch(*, environment: Environment, user: User,
                       http_request: HttpRequest) -> Launch:
    """Owner check → address check → start a stopped notebook (wait) → presign."""
    def refuse(reason: str, message: str, status: int = 403) -> LaunchRefused:
        return launch_refuse(environment=environment, user=user, http_request=http_request,
                             reason=reason, message=message, status=status)

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
        _start_for_launch(environment, user=user, http_request=http_request)
        return Launch(waiting=True)
    if environment.status != Status.AVAILABLE:
        raise refuse("not_available",
                     f"The environment is {environment.get_status_display().lower()}; it can be "
                     "opened when it is available.", 409)

    backend = backend_for(environment.project)
    try:
        if environment.notebook_instance_name:
            live = backend.notebook_status(notebook_name=environment.notebook_instance_name)
            if live in ("Stopped", "Pending"):
                _start_for_launch(environment, user=user, http_request=http_request)
                return Launch(waiting=True)
            if live != "InService":
                raise refuse("not_available", f"The notebook is {live} in AWS.", 409)
            session = settings.PORTAL_NOTEBOOK_SESSION_SECONDS
            url = backend.notebook_presigned_url(
                notebook_name=environment.notebook_instance_name, session_seconds=session,
                owner_id=environment.owner.owner_id)
        else:
            session = settings.PORTAL_STUDIO_SESSION_SECONDS
            url = backend.studio_presigned_url(
                domain_id=environment.domain_id, user_profile_name=environment.user_profile_name,
                expires_seconds=settings.PORTAL_STUDIO_URL_EXPIRES_SECONDS,
                session_seconds=session, owner_id=environment.owner.owner_id)
    except AccessDenied as exc:
        raise refuse("aws_denied", f"AWS refused to open it ({exc.code}).") from None
    except Transient as exc:
        raise refuse("aws_busy", f"AWS is busy ({exc.code}); try again in a minute.", 503) \
            from None
    except BackendError as exc:
        raise refuse("aws_error", f"AWS could not open it ({exc.code}).", 502) from None

    audit_record(action="environment.launch", actor=user, request=http_request, obj=environment,
                 project=environment.project,
                 data={"kind": environment.product.kind, "session_seconds": session,
                       "resource": environment.notebook_instance_name
                       or f"{environment.domain_id}/{environment.user_profile_name}"})
    event_add(environment=environment, kind=Kind.LAUNCH,
              message=f"Opened by {user.display_name} from {ip or 'an unknown address'}.")
    return Launch(url=url)


def _start_for_launch(environment: Environment, *, user: User, http_request: HttpRequest) -> None:
    with transaction.atomic():
        locked = _locked(environment.pk)
        if locked.status not in (Status.STOPPED, Status.AVAILABLE):
            return
        locked.status = Status.STARTING
        locked.save()
        event_add(environment=locked, kind=Kind.START,
                  message=f"Starting the notebook to open it for {user.display_name}.")
        audit_record(action="environment.start", actor=user, request=http_request, obj=locked,
                     project=locked.project, data={"for": "launch"})
        _follow_start(locked)
    environment.status = Status.STARTING
