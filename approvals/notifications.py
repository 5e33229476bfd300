"""Notices about requests: in the portal at once, by e-mail after the transaction commits."""

from __future__ import annotations

from collections.abc import Iterable

from django.conf import settings
from django.urls import reverse

from approvals.models import Request
from portal.models import User
from portal.notifications import notify as portal_notify
from portal.reversing import reverse_key


def request_url(*, request: Request) -> str:
    return settings.PORTAL_BASE_URL.rstrip("/") + reverse_key("approvals:request_detail",
                                                               request.pk)


def notify(*, request: Request, recipients: Iterable[User], subject: str, lines: list[str]) -> None:
    """One in-app notice and one e-mail per recipient, both linking to the request (the e-mail
    is sent once the transaction commits).

    Both start with the request's reference (``REQ-1042: Approval needed: …``), so a mailbox
    threads and finds a request's e-mails by the number people quote."""
    text = f"{request.reference}: {subject}"
    portal_notify(recipients=recipients, kind="approval", text=text,
                  link=reverse("approvals:request_detail", kwargs={"pk": request.pk}),
                  email_subject=text, email_lines=lines, link_label="Open the request")


def describe(request: Request) -> str:
    cost = request.estimated_monthly_cost
    cost_text = f"${cost}/month (estimated)" if cost is not None else "cost unknown"
    named = f" “{request.name}”" if request.name else ""
    return (f"{request.reference}{named}: {request.get_action_display()} "
            f"({request.product.name}) in project "
            f"{request.project.name}, requested by {request.requester.display_name}; {cost_text}.")
