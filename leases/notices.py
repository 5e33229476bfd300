"""What the owner is told about their lease: in the portal at once (the menu's count and
/notifications/), by e-mail once the transaction commits, both through the portal's one sender
(``portal.notifications.notify``), each linking to the lease page and its one-click extension.
"""

from __future__ import annotations

from django.conf import settings
from django.urls import reverse

from portal.notifications import notify
from provisioning.models import Environment


def lease_url(*, environment: Environment) -> str:
    return settings.PORTAL_BASE_URL.rstrip("/") + reverse(
        "leases:lease_detail", kwargs={"pk": environment.pk})


def lease_notify(*, environment: Environment, subject: str, lines: list[str]) -> None:
    """Tell the owner by e-mail (with the one-click extension link) and in the app."""
    path = reverse("leases:lease_detail", kwargs={"pk": environment.pk})
    notify(recipients=[environment.owner], kind="lease", text=subject, link=path,
           email_subject=subject, link_label="Open the lease",
           email_lines=[*lines, "", f"Request an extension: {lease_url(environment=environment)}"])
