"""The portal's one notifier: an in-app notice and an e-mail; the apps bring wording and link.

`notify` is the entry point for every app: one `Notification` per recipient (the menu count and
`/notifications/`), written in the transaction of the change it tells about, and, when an
``email_subject`` is given, the e-mail below.

The message is written in the request (names and links only: never a presigned URL or a NoEcho
value) and handed, once the transaction commits, to a Celery task per recipient
(`portal.tasks.email_send_task`), so a slow or hung relay never holds a web request. The task
talks SMTP with ``EMAIL_TIMEOUT``, retries what may pass later (network errors, timeouts, 4xx
replies) with a growing delay, and records a `FailedEmail` when the relay refuses the message
(5xx) or the last retry fails; platform admins see those on their dashboard.
"""

from __future__ import annotations

import logging
import random
import smtplib
from collections.abc import Iterable, Sequence

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db import transaction
from django.dispatch import Signal
from django.http import HttpRequest
from django.utils import timezone

from portal.logs import request_id_var
from portal.models import FailedEmail, Notification, User
from portal.services import audit_record

logger = logging.getLogger(__name__)

RETRY_CAP_SECONDS = 600

# Sent with ``kind`` and ``attempts`` when a notification is given up on (a FailedEmail row was
# written): the hook for metrics and alerting, which live elsewhere.
email_failure_recorded = Signal()


class EmailTransient(Exception):
    """The relay could not take the message now (unreachable, timed out, 4xx): try again."""


class EmailRefused(Exception):
    """The relay refused the message for good (5xx: unknown recipient, rejected sender)."""


def notify(*, recipients: Iterable[User], kind: str, text: str, link: str,
           email_subject: str | None = None, email_lines: Sequence[str] = (),
           link_label: str = "Open in the portal") -> list[Notification]:
    """Tell people something in the portal and, with ``email_subject``, by e-mail too.

    ``kind`` names what it is about (``request``, ``environment``, ``lease`` …), ``text`` is the
    one line the menu's list shows, ``link`` a path inside the portal (``/requests/<id>/``; the
    e-mail makes it absolute with ``PORTAL_BASE_URL``). The e-mail body is ``email_lines``, or
    ``text`` when none are given. Each active recipient gets one notice (duplicates dropped);
    nothing is written for inactive ones. Call it inside the change's transaction: a rollback
    takes the notices with it and sends no e-mail.
    """
    if not link.startswith("/") or link.startswith("//"):
        raise ValueError(f"A notification links to a portal path, not {link!r}.")
    people = list({u.pk: u for u in recipients if u.is_active}.values())
    notices = Notification.objects.bulk_create(
        [Notification(recipient=u, kind=kind[:40], text=text[:300], link=link[:500])
         for u in people])
    if email_subject is not None:
        email_notify(recipients=people, subject=email_subject, lines=list(email_lines or [text]),
                     link_label=link_label, link=settings.PORTAL_BASE_URL.rstrip("/") + link,
                     what=kind)
    return notices


def notifications_mark_read(*, user: User, pks: Sequence[int] | None = None,
                            http_request: HttpRequest | None = None) -> int:
    """Mark the user's unread notices read: those with ``pks`` (others' ids are ignored), or
    all of them. Returns how many changed; an audit event when any did."""
    unread = Notification.objects.filter(recipient=user, read_at__isnull=True)
    if pks is not None:
        unread = unread.filter(pk__in=list(pks))
    with transaction.atomic():
        changed = unread.update(read_at=timezone.now())
        if changed:
            audit_record(action="notification.read", actor=user, request=http_request,
                         obj=user, data={"count": changed, "all": pks is None})
    return changed


def email_notify(*, recipients: Iterable[User], subject: str, lines: list[str], link_label: str,
                 link: str, what: str) -> None:
    """One email per active recipient with an address, ending with ``link_label: link``.

    Queued once the current transaction commits, so a rolled-back change mails nobody; ``what``
    names the kind of notification (in a failed send's record and log line).
    """
    addresses = sorted({u.email for u in recipients if u.email and u.is_active})
    if not addresses:
        return
    body = "\n".join([*lines, "", f"{link_label}: {link}", "", "— ML environment portal"])
    messages = [{"kind": what, "subject": f"[ML portal] {subject}", "body": body, "to": address}
                for address in addresses]
    transaction.on_commit(lambda: email_enqueue(messages=messages), robust=True)


def email_enqueue(*, messages: list[dict[str, str]]) -> None:
    """Hand each message to the mail task; one the broker does not take is a failed send."""
    from portal.tasks import email_send_task

    for message in messages:
        try:
            email_send_task.delay(message)
        except Exception as exc:  # a broker outage must not break the committed change
            logger.exception("Could not queue a %s notification", message["kind"])
            email_failed(message=message, attempts=0, error=f"not queued: {exc!r}")


def email_deliver(*, message: dict[str, str]) -> None:
    """Send one message through ``EMAIL_BACKEND`` (SMTP: with ``EMAIL_TIMEOUT``), or raise
    `EmailTransient` / `EmailRefused`."""
    email = EmailMessage(subject=message["subject"], body=message["body"],
                         from_email=settings.DEFAULT_FROM_EMAIL, to=[message["to"]])
    try:
        # Django's SMTP backend passes EMAIL_TIMEOUT to smtplib.SMTP(timeout=...), a socket
        # timeout on the connect and every read; fail_silently=False so failures reach us.
        get_connection(fail_silently=False).send_messages([email])
    except (smtplib.SMTPRecipientsRefused, smtplib.SMTPSenderRefused) as exc:
        raise EmailRefused(_short(exc)) from exc
    except smtplib.SMTPResponseException as exc:
        if 500 <= exc.smtp_code < 600:
            raise EmailRefused(_short(exc)) from exc
        raise EmailTransient(_short(exc)) from exc
    except OSError as exc:  # smtplib.SMTPException, socket timeouts and refusals are OSErrors
        raise EmailTransient(_short(exc)) from exc


def email_retry_delay(retries: int) -> float:
    """Seconds before retry ``retries + 1``: PORTAL_EMAIL_RETRY_SECONDS doubling, capped, with
    jitter so a relay coming back is not met by every queued message at once."""
    first = settings.PORTAL_EMAIL_RETRY_SECONDS
    base = min(float(RETRY_CAP_SECONDS), first * 2.0 ** min(retries, 12))
    return base * random.uniform(1.0, 1.2)


def email_failed(*, message: dict[str, str], attempts: int, error: str) -> FailedEmail:
    """Record a notification given up on (with an audit event), for the admins' dashboard."""
    failure = FailedEmail.objects.create(
        kind=message["kind"][:40], recipient=message["to"][:254],
        subject=message["subject"][:300], attempts=attempts, error=error[:500],
        request_id=request_id_var.get() or "")
    audit_record(action="notification.failed", obj=failure,
                 data={"kind": failure.kind, "attempts": attempts, "error": failure.error})
    logger.error("Gave up on a %s notification after %d attempt(s): %s", failure.kind, attempts,
                 failure.error)
    email_failure_recorded.send(sender=FailedEmail, kind=failure.kind, attempts=attempts)
    return failure


def _short(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"[:500]
