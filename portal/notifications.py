"""The portal's one email sender: the apps bring their own wording and link."""

from __future__ import annotations

import logging
from collections.abc import Iterable

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db import transaction

from portal.metrics import email_failed
from portal.models import User

logger = logging.getLogger(__name__)


def _send(messages: list[EmailMessage], *, what: str) -> None:
    try:
        get_connection().send_messages(messages)
    except Exception:  # a mail outage must not undo or break the committed change
        logger.exception("Could not send %d %s notification(s)", len(messages), what)
        email_failed(kind=what, count=len(messages))


def email_notify(*, recipients: Iterable[User], subject: str, lines: list[str], link_label: str,
                 link: str, what: str) -> None:
    """One email per active recipient with an address, ending with ``link_label: link``.

    Sent once the current transaction commits, so a rolled-back change mails nobody; ``what``
    names the kind of notification in the log line of a failed send.
    """
    addresses = sorted({u.email for u in recipients if u.email and u.is_active})
    if not addresses:
        return
    body = "\n".join([*lines, "", f"{link_label}: {link}", "", "— ML environment portal"])
    messages = [
        EmailMessage(subject=f"[ML portal] {subject}", body=body,
                     from_email=settings.DEFAULT_FROM_EMAIL, to=[address])
        for address in addresses
    ]
    transaction.on_commit(lambda: _send(messages, what=what))
