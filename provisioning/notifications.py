"""Emails to an environment's owner, sent once the transaction that caused them commits."""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db import transaction
from django.urls import reverse

from provisioning.models import Environment

logger = logging.getLogger(__name__)


def environment_url(*, environment: Environment) -> str:
    return settings.PORTAL_BASE_URL.rstrip("/") + reverse(
        "provisioning:environment_detail", kwargs={"pk": environment.pk}
    )


def _send(message: EmailMessage) -> None:
    try:
        get_connection().send_messages([message])
    except Exception:  # a mail outage must not undo or break a committed state change
        logger.exception("Could not send an environment notification")


def owner_notify(*, environment: Environment, subject: str, lines: list[str]) -> None:
    owner = environment.owner
    if not owner.email or not owner.is_active:
        return
    link = environment_url(environment=environment)
    body = "\n".join([*lines, "", f"Open the environment: {link}", "", "— ML environment portal"])
    message = EmailMessage(subject=f"[ML portal] {subject}", body=body,
                           from_email=settings.DEFAULT_FROM_EMAIL, to=[owner.email])
    transaction.on_commit(lambda: _send(message))
