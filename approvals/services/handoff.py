"""The hand-off of approved requests to the app that acts on them (provisioning).

approvals sits below provisioning in the dependency chain, so it never imports it: the receiver
registers a handler here from its ``AppConfig.ready()``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db import transaction
from django.utils import timezone

from approvals.models import Request
from portal.registry import Registry
from portal.services import audit_record

HandOff = Callable[..., Any]
_handlers: Registry[HandOff] = Registry("hand-off handlers")


class HandOffMissing(Exception):
    """No app receives approved requests: the provisioning app is not installed."""


def hand_off_register(handler: HandOff) -> None:
    """Register what receives approved requests; registering the same handler twice keeps one."""
    _handlers.register(handler)


def hand_off_handlers() -> list[HandOff]:
    """The registered handlers, in registration order (a copy)."""
    return list(_handlers)


def request_hand_off(*, request: Request) -> None:
    """Give an approved request to provisioning, once. Runs on commit of the approval."""
    with transaction.atomic():
        locked = (Request.objects.select_for_update(of=("self",)).select_related("project")
                  .get(pk=request.pk))
        if locked.status != Request.Status.APPROVED or locked.handed_off_at is not None:
            return
        if not _handlers:
            raise HandOffMissing("No handler is registered for approved requests.")
        for handler in _handlers:
            handler(request=locked)
        locked.handed_off_at = timezone.now()
        locked.save(update_fields=["handed_off_at", "updated_at"])
        audit_record(action="request.handed_off", obj=locked, project=locked.project,
                     data={"handlers": [f"{h.__module__}.{h.__qualname__}" for h in _handlers]})
    request.handed_off_at = locked.handed_off_at
