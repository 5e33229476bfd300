"""Live regions of the approvals pages (portal/live.py): the request page and the inbox."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from approvals.chain import request_chain
from approvals.inbox_rows import inbox_context
from approvals.models import Request
from approvals.selectors import (
    inbox_page,
    inbox_tasks,
    request_audit_events,
    request_for_user,
    request_tasks,
)
from portal.http import request_user
from portal.live import live_fragment, poll_context

INBOX_PAGE_SIZE = 50  # as the inbox page (approvals.views.PAGE_SIZE), so a polled page is that page


def request_settled(request: Request) -> bool:
    """Nothing more will change on the request page: decided, cancelled or expired, and an
    approved request already handed to provisioning."""
    if request.is_pending:
        return False
    return request.status != Request.Status.APPROVED or request.handed_off_at is not None


@live_fragment
def request_live(request: HttpRequest, pk: str) -> HttpResponse:
    """The request page's timeline, with its state line (and, once the viewer has nothing left
    to decide or cancel, the removal of those forms) out of band."""
    user = request_user(request)
    approval = request_for_user(user=user, pk=pk)
    tasks = request_tasks(request=approval)
    return render(request, "approvals/_request_live.html", {
        "req": approval,
        "tasks": tasks,
        "chain": request_chain(request=approval, tasks=tasks),
        "events": request_audit_events(request=approval),
        "may_decide": approval.is_pending and inbox_tasks(user=user).filter(
            request=approval).exists(),
        "can_cancel": approval.requester_id == user.pk and approval.is_pending,
        **poll_context(live=not request_settled(approval)),
    })


@live_fragment
def inbox_live(request: HttpRequest) -> HttpResponse:
    """The inbox's table (the page of it the person looks at), for new and gone tasks."""
    tasks = inbox_page(user=request_user(request), number=request.GET.get("page"),
                       per_page=INBOX_PAGE_SIZE)
    return render(request, "approvals/_inbox_live.html",
                  {**inbox_context(tasks), **poll_context(live=True, idle=True)})
