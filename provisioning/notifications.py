"""Emails to an environment's owner, sent once the transaction that caused them commits."""

from __future__ import annotations

from django.conf import settings
from django.urls import reverse

from portal.notifications import email_notify
from provisioning.models import Environment


def environment_url(*, environment: Environment) -> str:
    return settings.PORTAL_BASE_URL.rstrip("/") + reverse(
        "provisioning:environment_detail", kwargs={"pk": environment.pk}
    )


def owner_notify(*, environment: Environment, subject: str, lines: list[str]) -> None:
    email_notify(recipients=[environment.owner], subject=subject, lines=lines,
                 link_label="Open the environment",
                 link=environment_url(environment=environment), what="environment")
