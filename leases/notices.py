"""What the owner is told about their lease: an e-mail now, an in-app notification once wired.

E-mail goes through the portal's one sender (``provisioning.notifications.owner_notify``: queued
on commit, a Celery task per recipient). ``lease_notice_in_app`` is the one place the in-app
notifications (``portal.notifications.notify``, being built elsewhere) are to be called from.
"""

from __future__ import annotations

from django.conf import settings
from django.urls import reverse

from provisioning.models import Environment
from provisioning.notifications import owner_notify


def lease_url(*, environment: Environment) -> str:
    return settings.PORTAL_BASE_URL.rstrip("/") + reverse(
        "leases:lease_detail", kwargs={"pk": environment.pk})


def lease_notice_in_app(*, environment: Environment, subject: str, link: str) -> None:
    """The in-app notification of a lease notice. Not connected yet: the in-app notifications
    app does not exist on this branch; the integrator connects it here (one call, same
    arguments), and the e-mail and the lease page carry the notice meanwhile."""


def lease_notify(*, environment: Environment, subject: str, lines: list[str]) -> None:
    """Tell the owner by e-mail (with the one-click extension link) and in the app."""
    link = lease_url(environment=environment)
    owner_notify(environment=environment, subject=subject,
                 lines=[*lines, "", f"Request an extension: {link}"])
    lease_notice_in_app(environment=environment, subject=subject, link=link)
