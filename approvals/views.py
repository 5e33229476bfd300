"""Pages of the approval workflow: my requests, a request, the inbox (the request form is
``approvals.request_new_views``).

Thin: selectors find what the user may see (else 404), services do the work, and a refused
action re-renders the page with the reason and the service's 4xx status.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from approvals import request_rows
from approvals.chain import ChainStep, request_chain, waiting_step
from approvals.change_preview import change_preview_for
from approvals.errors import AlreadyDecided, ApprovalError
from approvals.forms import BulkApproveForm, DecisionForm
from approvals.inbox_count import inbox_count_keep
from approvals.inbox_rows import inbox_context
from approvals.links import EnvironmentLink, environment_links
from approvals.live_views import request_settled
from approvals.models import ApprovalTask, Decision, Request
from approvals.selectors import (
    REQUEST_RELATED,
    budget_share,
    decision_by,
    inbox_page,
    inbox_tasks,
    my_requests,
    request_audit_events,
    request_for_user,
    request_open_task_for,
    request_tasks,
    requester_history,
    task_for_user,
    waiting_tasks_prefetch,
)
from approvals.services import (
    request_approve,
    request_cancel,
    request_reject,
)
from approvals.services import tasks_approve as tasks_approve_service
from approvals.spend import project_spend_picture
from catalog.selectors import (
    products_for_user,
)
from portal.http import request_user as _user
from portal.live import poll_context
from portal.memo import memo_per_request
from portal.paging import CountLastPaginator

PAGE_SIZE = 50


@login_required
@require_GET
def request_list(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    listed = my_requests(user=user).select_related(None).select_related(
        *request_rows.REQUEST_LIST_RELATED).only(*request_rows.REQUEST_LIST_FIELDS)
    # The rows first: a list that ends on the page asked for needs no COUNT (issue 16).
    page = CountLastPaginator(listed, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = list(page.object_list)
    waiting_tasks_prefetch(rows)
    links = environment_links(requests=rows, user=user)
    shown = [RequestRow(request=r, waiting=waiting_step(request=r), environment=links.get(r.pk))
             for r in rows]
    return render(request, "approvals/request_list.html", {
        # The "Request an environment" list shows a name and a kind: nothing else is read.
        "page": page, "rows": shown, "table_rows": request_rows.request_rows(shown),
        "product_links": request_rows.product_links(
            products_for_user(user=user).only("pk", "name", "kind")[:50]),
    })


@dataclass(frozen=True)
class RequestRow:
    """One row of "My requests": the request, its waiting step (who decides next), and the
    environment it made or is about."""

    request: Request
    waiting: ChainStep | None
    environment: EnvironmentLink | None


@login_required
@require_GET
def request_by_reference(request: HttpRequest, reference: str) -> HttpResponse:
    """``/requests/REQ-1042/``: the request's page, for whoever may see it (else 404)."""
    found = request_for_user(user=_user(request), pk=reference)
    return redirect("approvals:request_detail", pk=found.pk)


def _detail(request: HttpRequest, approval: Request, *, status: int = 200,
            error: str = "", decision_form: DecisionForm | None = None) -> HttpResponse:
    user = _user(request)
    secret = set(approval.version.parameters.filter(no_echo=True).values_list("key", flat=True))
    tasks = request_tasks(request=approval)
    context = {
        "req": approval,
        "chain": request_chain(request=approval, tasks=tasks),
        "environment": environment_links(requests=[approval], user=user).get(approval.pk),
        "parameters": [(k, "****" if k in secret else v)
                       for k, v in (approval.parameters or {}).items()],
        "events": request_audit_events(request=approval),
        "open_task": request_open_task_for(request=approval, user=user),
        "history": requester_history(request=approval),
        "budget_share": budget_share(request=approval),
        "spend": project_spend_picture(request=approval),
        "preview": change_preview_for(request=approval),
        "can_cancel": approval.requester_id == user.pk and approval.is_pending,
        "decision_form": decision_form or DecisionForm(),
        "error": error,
        **poll_context(live=not request_settled(approval)),  # the timeline's live region
    }
    return render(request, "approvals/request_detail.html", context, status=status)


@login_required
@require_GET
def request_detail(request: HttpRequest, pk: str) -> HttpResponse:
    return _detail(request, request_for_user(user=_user(request), pk=pk))


@login_required
@require_POST
def request_cancel_view(request: HttpRequest, pk: str) -> HttpResponse:
    approval = request_for_user(user=_user(request), pk=pk)
    try:
        request_cancel(request=approval, user=_user(request), http_request=request)
    except ApprovalError as exc:
        return _detail(request, approval, status=exc.status_code, error=exc.message)
    messages.success(request, "Request cancelled.")
    return redirect("approvals:request_detail", pk=approval.pk)


@login_required
@require_POST
def task_decide(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    task = task_for_user(user=user, pk=pk)
    approval = task.request
    form = DecisionForm(request.POST)
    if not form.is_valid():
        return _detail(request, approval, status=400, error="Choose approve or reject.",
                       decision_form=form)
    comment = form.cleaned_data["comment"]
    try:
        if form.cleaned_data["verdict"] == Decision.Verdict.APPROVE:
            request_approve(task=task, approver=user, comment=comment, http_request=request)
        else:
            request_reject(task=task, approver=user, comment=comment, http_request=request)
    except AlreadyDecided as exc:
        recorded = decision_by(task=task, approver=user)
        if recorded is None:
            return _detail(request, approval, status=exc.status_code, error=exc.message,
                           decision_form=form)
        # A double-clicked Approve (or a resent POST): the first click's decision stands; show
        # it on the request page instead of an error. Nothing was decided twice.
        messages.info(request, f"Your decision on “{task.name}” was already recorded: "
                               f"{recorded.get_verdict_display().lower()} at "
                               f"{recorded.at:%Y-%m-%d %H:%M} UTC.")
        return redirect("approvals:request_detail", pk=approval.pk)
    except ApprovalError as exc:
        return _detail(request, approval, status=exc.status_code, error=exc.message,
                       decision_form=form)
    messages.success(request, "Decision recorded.")
    return redirect("approvals:inbox")


@login_required
@require_GET
@memo_per_request  # the menu badge reads the count the page made (approvals.inbox_count)
def inbox(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    tasks = inbox_page(user=user, number=request.GET.get("page"), per_page=PAGE_SIZE)
    inbox_count_keep(user=user, count=tasks.paginator.count)
    return render(request, "approvals/inbox.html",
                  {**inbox_context(tasks), **poll_context(live=True, idle=True)})


@login_required
@require_POST
@memo_per_request  # as the inbox: a refused form's page keeps its count for the badge
def inbox_bulk_approve(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    # The choices are the ids of the open tasks (one bare query), not the inbox page itself;
    # the chosen tasks are then read in one query and the page redirects once at the end.
    open_ids = list(inbox_tasks(user=user).values_list("pk", flat=True))
    form = BulkApproveForm(request.POST, task_ids=open_ids)
    if not form.is_valid():
        page = inbox_page(user=user, number=1, per_page=PAGE_SIZE)
        inbox_count_keep(user=user, count=page.paginator.count)
        return render(request, "approvals/inbox.html", {
                      **inbox_context(page, first_is_tasks=bool(form.errors)), "bulk_form": form,
                      **poll_context(live=True, idle=True)}, status=400)
    found = {task.pk: task for task in ApprovalTask.objects.filter(
        pk__in=form.cleaned_data["tasks"]).order_by().select_related(
            *(f"request__{name}" for name in REQUEST_RELATED))}
    chosen = [found[pk] for pk in dict.fromkeys(form.cleaned_data["tasks"]) if pk in found]
    results = tasks_approve_service(tasks=chosen, approver=user,
                                    comment=form.cleaned_data["comment"], http_request=request)
    approved = sum(1 for _, outcome in results if isinstance(outcome, Decision))
    if approved:
        messages.success(request, f"Approved {approved} request(s).")
    for task, outcome in results:
        if isinstance(outcome, ApprovalError):
            messages.error(request, f"{task.request.product.name} for "
                                    f"{task.request.requester.display_name}: {outcome.message}")
    return redirect("approvals:inbox")
