"""Emails about requests, sent after the transaction that caused them commits."""

from __future__ import annotations

import logging
from collections.abc import Iterable

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db import transaction
from django.urls import reverse

from approvals.models import Request
from portal.models import User

logger = logging.getLogger(__name__)


def request_url(*, request: Request) -> str:
    return settings.PORTAL_BASE_URL.rstrip("/") + reverse(
        "approvals:request_detail", kwargs={"pk": request.pk}
    )


def _send(messages: list[EmailMessage]) -> None:
    try:
        get_connection().send_messages(messages)
    except Exception:  # a mail outage must not undo or break a committed decision
        logger.exception("Could not send %d approval notification(s)", len(messages))


def notify(*, request: Request, recipients: Iterable[User], subject: str, lines: list[str]) -> None:
    """One email per recipient with a link to the request, sent once the transaction commits."""
    addresses = sorted({u.email for u in recipients if u.email and u.is_active})
    if not addresses:
        return
    body = "\n".join([*lines, "", f"Open the request: {request_url(request=request)}", "",
                      "— ML environment portal"])
    full_subject = f"[ML portal] {subject}"
    messages = [
        EmailMessage(subject=full_subject, body=body, from_email=settings.DEFAULT_FROM_EMAIL,
                     to=[address])
        for address in addresses
    ]
    transaction.on_commit(lambda: _send(messages))


def describe(request: Request) -> str:
    cost = request.estimated_monthly_cost
    cost_text = f"${cost}/month (estimated)" if cost is not None else "cost unknown"
    return (f"{request.get_action_display()}: {request.product.name} in project "
            f"{request.project.name}, requested by {request.requester.display_name}; {cost_text}.")
