"""Notices to an environment's owner: in the portal at once, by e-mail once the transaction
commits."""

from __future__ import annotations

from django.conf import settings
from django.urls import reverse

from portal.notifications import notify
from provisioning.models import Environment


def environment_url(*, environment: Environment) -> str:
    return settings.PORTAL_BASE_URL.rstrip("/") + reverse(
        "provisioning:environment_detail", kwargs={"pk": environment.pk}
    )


def owner_notify(*, environment: Environment, subject: str, lines: list[str]) -> None:
    notify(recipients=[environment.owner], kind="environment", text=subject,
           link=reverse("provisioning:environment_detail", kwargs={"pk": environment.pk}),
           email_subject=subject, email_lines=lines, link_label="Open the environment")
