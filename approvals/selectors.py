"""Reads of requests and approval tasks, always scoped by the user asking (else 404).

A request is visible to its requester, to every approver any of its tasks named, and, read-only,
to auditors and platform admins. A task is visible to its approvers and to the requester (who may
look but never decide).
"""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, cast

from django.contrib.auth.models import Group
from django.core.paginator import Page, Paginator
from django.db.models import (
    Case,
    CharField,
    Count,
    Exists,
    F,
    Func,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
    prefetch_related_objects,
)
from django.http import Http404
from django.utils import timezone

from approvals.models import ApprovalDelegation, ApprovalTask, Decision, Request, reference_number
from approvals.services.delegations import delegations_in_range
from portal.models import AuditEvent, User
from portal.statements import MARKER_ID, Slot, Statement

REQUEST_RELATED = ("requester", "project", "product", "version")


def _named(user: User, **task_filter: Any) -> Q:
    """A task names the user: in person, or through a group the user is in now."""
    return (
        Exists(ApprovalTask.eligible_approvers.through.objects.filter(user=user, **task_filter))
        | Exists(ApprovalTask.eligible_groups.through.objects.filter(group__user=user,
                                                                     **task_filter))
    )


def delegators_on(*, user: User, day: datetime.date | None = None) -> QuerySet[Any]:
    """The ids of the people the user stands in for on ``day`` (today) as their delegate."""
    return delegations_in_range(on=day).filter(delegate=user).values_list("delegator_id",
                                                                          flat=True)


# ``delegators_on`` compiled once per process (portal.statements): the inbox page, the API's
# inbox and the frame's badge (config.navigation) ask it on every request (issue 16).
DELEGATORS_ON = Statement(
    lambda user, day: delegators_on(user=User(pk=user), day=day),
    user=Slot(User._meta.pk, MARKER_ID),
    day=Slot(ApprovalDelegation._meta.get_field("starts_on"), datetime.date(1901, 2, 3)))


def delegators_today(*, user: User) -> list[int]:
    """The people the user stands in for today as their delegate (one query; usually none)."""
    if user.pk is None:
        return list(delegators_on(user=user))
    return [row[0] for row in DELEGATORS_ON.rows(user=user.pk, day=timezone.localdate())]


def _on_behalf(user: User, *, delegators: Sequence[int] | None = None,
               **task_filter: Any) -> QuerySet[Any]:
    """Rows "task names X in person" where the user is X's delegate today and X could decide:
    X is not the requester, has not decided the task (nor had it decided for them), and under
    four eyes across steps decided no other step of the request (``task_delegator`` in SQL).
    ``delegators``: ``delegators_today`` already read (None: a subquery reads them)."""
    through = ApprovalTask.eligible_approvers.through
    by_them = Q(approver=OuterRef("user")) | Q(on_behalf_of=OuterRef("user"))
    decided = Decision.objects.filter(by_them, task=OuterRef("approvaltask"))
    earlier = Decision.objects.filter(by_them, task__request=OuterRef(
        "approvaltask__request")).exclude(task=OuterRef("approvaltask"))
    standing_in: Any = list(delegators) if delegators is not None else \
        delegations_in_range().filter(delegate=user).values("delegator")
    return (through.objects.filter(user__in=standing_in, **task_filter)
        .exclude(user=F("approvaltask__request__requester"))
        .exclude(Exists(decided))
        .exclude(Q(approvaltask__distinct_step_approvers=True) & Exists(earlier)))


def _named_or_delegated(user: User, *, delegators: Sequence[int] | None = None) -> Q:
    """The task (the outer query's row) names the user, or someone the user stands in for
    (``delegators`` known to be empty: the delegation branch is left out, not just false)."""
    named = Q(_named(user, approvaltask=OuterRef("pk")))
    if delegators is not None and not delegators:
        return named
    return named | Q(Exists(_on_behalf(user, delegators=delegators, approvaltask=OuterRef("pk"))))


def _named_task_ids(user: User, *, delegators: Sequence[int] | None = None) -> QuerySet[Any]:
    """The ids of the tasks that name the user (in person or through a group) or someone the
    user stands in for today, as one UNION of the link tables read by user (``delegators`` as
    in `_named_or_delegated`). ``id IN (<this>)`` lets PostgreSQL start from the person's few
    links (their index on user) instead of testing every open task against three correlated
    EXISTS, and keeps the query simple to plan: the inbox's count and page were a tenth of
    the time of the baseline's each at a bank's volume (issue 16)."""
    in_person = ApprovalTask.eligible_approvers.through.objects.filter(user=user).values(
        "approvaltask_id")
    by_group = ApprovalTask.eligible_groups.through.objects.filter(group__user=user).values(
        "approvaltask_id")
    if delegators is not None and not delegators:
        return in_person.union(by_group)
    return in_person.union(by_group, _on_behalf(user, delegators=delegators).values(
        "approvaltask_id"))


def may_approve(*, user: User) -> bool:
    """Whether the user can be an approver at all: by role (approver, platform admin), as a
    project lead, as someone's line manager, or named on a task (in person or by a group).
    The menu offers the approvals inbox only to them; one query."""
    if not user.is_authenticated or not user.is_active:
        return False
    if user.is_approver or user.is_catalog_admin:
        return True
    from portal.models import Membership

    leads = Membership.objects.filter(user=user, role=Membership.ProjectRole.LEAD)
    reports = User.objects.filter(manager=user, is_active=True)
    # Named on an open task only: a step decided long ago makes nobody an approver now, and
    # the check then looks at the pending tasks, not the whole history of group tasks.
    named = ApprovalTask.objects.filter(status=ApprovalTask.Status.PENDING).filter(
        _named(user, approvaltask=OuterRef("pk")))
    delegated = delegations_in_range().filter(delegate=user)
    return bool(User.objects.filter(pk=user.pk).filter(
        Exists(leads) | Exists(reports) | Exists(named) | Exists(delegated)).exists())


def requests_for_user(*, user: User) -> QuerySet[Request]:
    if not user.is_authenticated or not user.is_active:
        return Request.objects.none()
    queryset = Request.objects.select_related(*REQUEST_RELATED)
    if user.is_auditor or user.is_catalog_admin:
        return queryset
    # A delegate sees the requests of the tasks they stand in for, and keeps seeing those they
    # decided after the delegation ends.
    standing_in = ApprovalTask.eligible_approvers.through.objects.filter(
        approvaltask__request=OuterRef("pk"),
        user__in=delegations_in_range().filter(delegate=user).values("delegator"))
    decided = Decision.objects.filter(task__request=OuterRef("pk"), approver=user)
    return queryset.filter(Q(requester=user) | _named(user, approvaltask__request=OuterRef("pk"))
                           | Exists(standing_in) | Exists(decided))


def request_for_user(*, user: User, pk: object) -> Request:
    """The request with this id or reference (``REQ-1042``), in the user's scope; else 404."""
    try:
        found = Q(pk=uuid.UUID(str(pk)))
    except ValueError:
        number = reference_number(str(pk))
        if number is None:
            raise Http404("No such request.") from None
        found = Q(number=number)
    request = requests_for_user(user=user).filter(found).first()
    if request is None:
        raise Http404("No such request.")
    return request


def my_requests(*, user: User) -> QuerySet[Request]:
    """The user's own requests, newest first, with their related rows. A list of them reads
    the next approvers with ``waiting_tasks_prefetch`` on its page."""
    if not user.is_authenticated:
        return Request.objects.none()
    return (Request.objects.filter(requester=user).select_related(*REQUEST_RELATED)
            .order_by("-created_at", "pk"))


def waiting_tasks_prefetch(requests: Sequence[Request]) -> None:
    """``request.tasks`` (as ``tasks_queryset`` reads them) of the pending requests among these,
    for ``approvals.chain.waiting_step``: one query, and none for a page with nothing pending
    (a decided request has no waiting step; most of a person's requests are decided, and
    prefetching their tasks was a query of every "My requests" page, issue 16)."""
    pending = [r for r in requests if r.is_pending]
    if pending:
        prefetch_related_objects(pending, tasks_prefetch())


def tasks_queryset() -> QuerySet[ApprovalTask]:
    """Tasks with what the approval chain shows: the people and groups named (the groups'
    active members, as ``active_members``), and the decisions with their approvers."""
    groups = Group.objects.prefetch_related(Prefetch(
        "user_set", queryset=User.objects.filter(is_active=True).order_by("username"),
        to_attr="active_members"))
    return (ApprovalTask.objects.order_by("position", "pk")
            .prefetch_related("eligible_approvers", Prefetch("eligible_groups", groups),
                              Prefetch("decisions", Decision.objects.select_related(
                                  "approver", "on_behalf_of").order_by("at", "pk"))))


def tasks_prefetch() -> Prefetch[Any, Any, Any]:
    """``request.tasks`` as ``tasks_queryset`` reads them, for a list of requests."""
    return Prefetch("tasks", queryset=tasks_queryset())


def inbox_tasks(*, user: User, delegators: Sequence[int] | None = None
                ) -> QuerySet[ApprovalTask]:
    """Open tasks the user may decide and has not decided yet; never their own requests, nor
    a later step of a request they decided an earlier step of (when the task says so).
    Bare (no joins, no order): what the menu counts; the inbox page uses `inbox_for_user`.
    ``delegators``: ``delegators_today`` when already read (None: read inside the query, so
    the menu's count stays one statement)."""
    if not user.is_authenticated or not user.is_active:
        return ApprovalTask.objects.none()
    by_user = Q(approver=user) | Q(on_behalf_of=user)
    mine = Decision.objects.filter(by_user, task=OuterRef("pk"))
    # Four eyes across steps: a step is not in the inbox of whoever decided an earlier one
    # (or had it decided on their behalf).
    earlier = Decision.objects.filter(by_user, task__request=OuterRef("request")).exclude(
        task=OuterRef("pk"))
    return (
        ApprovalTask.objects.filter(
            status=ApprovalTask.Status.PENDING, request__status=Request.Status.PENDING,
        )
        .filter(pk__in=_named_task_ids(user, delegators=delegators))
        .exclude(request__requester=user)
        .exclude(Exists(mine))
        .exclude(Q(distinct_step_approvers=True) & Exists(earlier))
        .order_by()
    )


def inbox_for_user(*, user: User) -> QuerySet[ApprovalTask]:
    """The inbox (the API's list): `inbox_tasks` with the request's parts and the approvals so
    far, and ``on_behalf_of_username``/``on_behalf_of_name``: whom the user would decide for as
    their delegate (empty when the task names the user themselves).

    Whom the user stands in for is read first (one small query): for the many who stand in
    for nobody, the delegation subqueries (an EXISTS and three correlated subqueries, the most
    costly part of the page to build, issue 16) are left out altogether."""
    delegators = delegators_today(user=user)
    return _inbox_rows(inbox_tasks(user=user, delegators=delegators), user=user,
                       delegators=delegators).order_by("request__created_at", "pk")


# What a row of ``inbox_page`` is read with (``.only()``): what ``inbox_rows`` shows and what
# the change previews look up (the request's action, environment and project). The whole rows
# of the task, the request (parameters, tags) and its four parts cost a quarter of the rows
# query's CPU (issue 16).
INBOX_ROW_FIELDS = (
    "name", "required_approvals", "escalated", "request__number", "request__created_at",
    "request__name", "request__action", "request__environment_ref",
    "request__estimated_monthly_cost", "request__project_id", "request__requester__username",
    "request__requester__first_name", "request__requester__last_name",
    "request__project__name", "request__product__name", "request__version__name")


def _inbox_ids(tasks: QuerySet[ApprovalTask]) -> QuerySet[Any]:
    """The ids of ``tasks`` in inbox order (oldest request first)."""
    return tasks.order_by("request__created_at", "pk").values_list("pk", flat=True)


# The ids of an approver's open tasks for the many who stand in for nobody, compiled once per
# process (portal.statements): building the inbox's filter (a UNION, two EXISTS) was the larger
# part of the page's Python after its rows (issue 16). With delegators the SQL depends on them
# and is built per request.
_OPEN_TASK_IDS = Statement(
    lambda user: _inbox_ids(inbox_tasks(user=User(pk=user), delegators=[])),
    user=Slot(User._meta.pk, MARKER_ID))


def inbox_page(*, user: User, number: str | int | None, per_page: int) -> Page[ApprovalTask]:
    """A page of `inbox_for_user` in three small statements: whom the user stands in for,
    the ids of all open tasks in inbox order (their number is the pager's count), and the
    page's rows by id. One statement that filters, orders, joins the request's four parts and
    pages at once took PostgreSQL forty times longer to plan than to run (issue 16)."""
    delegators = delegators_today(user=user)
    if delegators or not (user.is_authenticated and user.is_active):
        ids = list(_inbox_ids(inbox_tasks(user=user, delegators=delegators)))
    else:  # the compiled statement of inbox_tasks(user=user, delegators=[])
        ids = [row[0] for row in _OPEN_TASK_IDS.rows(user=user.pk)]
    page: Any = Paginator(ids, per_page).get_page(number)
    rows = {task.pk: task for task in _inbox_rows(
        ApprovalTask.objects.filter(pk__in=list(page.object_list),
                                    status=ApprovalTask.Status.PENDING,
                                    request__status=Request.Status.PENDING),
        user=user, delegators=delegators).only(*INBOX_ROW_FIELDS)}
    # A task decided between the two reads drops out of the page (it left the inbox).
    page.object_list = [rows[pk] for pk in page.object_list if pk in rows]
    return cast("Page[ApprovalTask]", page)


def _inbox_rows(tasks: QuerySet[ApprovalTask], *, user: User, delegators: Sequence[int]
                ) -> QuerySet[ApprovalTask]:
    """``tasks`` with what an inbox row shows (see `inbox_for_user`)."""

    def delegator(field: str) -> Any:
        if not delegators:
            return Value("", output_field=CharField())
        return Case(When(_named(user, approvaltask=OuterRef("pk")), then=Value("")),
                    default=Subquery(_on_behalf(user, delegators=delegators,
                                                approvaltask=OuterRef("pk"))
                                     .order_by("user__username").values(field)[:1]),
                    output_field=CharField())

    return (
        tasks
        .annotate(on_behalf_of_username=delegator("user__username"),
                  on_behalf_of_name=delegator("user__first_name"),
                  on_behalf_of_last_name=delegator("user__last_name"))
        .select_related(*(f"request__{name}" for name in REQUEST_RELATED))
        # A correlated count per shown row, not a GROUP BY: the paginator's COUNT(*) then
        # counts the open tasks alone instead of grouping every matching task first.
        .annotate(approvals=Subquery(
            Decision.objects.filter(task=OuterRef("pk"), verdict=Decision.Verdict.APPROVE)
            .order_by().annotate(n=Func(F("pk"), function="COUNT")).values("n")))
    )


def task_for_user(*, user: User, pk: object) -> ApprovalTask:
    """A task its approvers (or the requester) may act on or look at; Http404 for anyone else."""
    try:
        key = int(str(pk))
    except ValueError:
        raise Http404("No such task.") from None
    if not user.is_authenticated:
        raise Http404("No such task.")
    task = (
        ApprovalTask.objects.filter(pk=key)
        .filter(Q(request__requester=user) | _named_or_delegated(user))
        .select_related(*(f"request__{name}" for name in REQUEST_RELATED))
        .first()
    )
    if task is None:
        raise Http404("No such task.")
    return task


def request_tasks(*, request: Request) -> list[ApprovalTask]:
    """The request's tasks with their approvers (groups with their active members) and
    decisions, in step order."""
    return list(tasks_queryset().filter(request=request))


def request_audit_events(*, request: Request) -> QuerySet[AuditEvent]:
    return AuditEvent.objects.filter(
        object_type=Request._meta.label_lower, object_id=str(request.pk)
    ).select_related("actor").order_by("at", "id")


def decision_by(*, task: ApprovalTask, approver: User) -> Decision | None:
    """The decision this approver recorded on the task, if any (``task`` comes from
    ``task_for_user``, so it is already in the user's scope)."""
    return Decision.objects.filter(task=task, approver=approver).first()


def request_open_task_for(*, request: Request, user: User) -> ApprovalTask | None:
    """The task of this request the user can decide now, if any."""
    return inbox_for_user(user=user).filter(request=request).first()


@dataclass(frozen=True)
class RequesterHistory:
    total: int
    by_status: dict[str, int]
    recent: list[Request]


def requester_history(*, request: Request) -> RequesterHistory:
    """The requester's other requests in the same project, for the approver's judgement."""
    others = Request.objects.filter(requester=request.requester_id,
                                    project=request.project_id).exclude(pk=request.pk)
    counts = {row["status"]: row["n"] for row in others.values("status").annotate(n=Count("pk"))}
    recent = list(others.select_related("product", "version").order_by("-created_at")[:10])
    return RequesterHistory(total=sum(counts.values()), by_status=counts, recent=recent)


def budget_share(*, request: Request) -> Decimal | None:
    """The estimated monthly cost as a percentage of the project's monthly budget."""
    cost, budget = request.estimated_monthly_cost, request.project.monthly_budget
    if cost is None or not budget:
        return None
    return (cost * 100 / budget).quantize(Decimal("0.1"))


def delegations_for_user(*, user: User) -> QuerySet[ApprovalDelegation]:
    """The delegations the user named (as the delegator), newest first."""
    if not user.is_authenticated:
        return ApprovalDelegation.objects.none()
    return ApprovalDelegation.objects.filter(delegator=user).select_related("delegate")


def delegations_to_user(*, user: User) -> QuerySet[ApprovalDelegation]:
    """The delegations naming the user as delegate that are in force or still to come."""
    if not user.is_authenticated:
        return ApprovalDelegation.objects.none()
    return ApprovalDelegation.objects.filter(
        delegate=user, ended_at__isnull=True, ends_on__gte=timezone.localdate(),
        delegator__is_active=True).select_related("delegator").order_by("starts_on", "pk")


def delegation_for_user(*, user: User, pk: object) -> ApprovalDelegation:
    """One of the user's own delegations; Http404 for anyone else's."""
    try:
        key = int(str(pk))
    except ValueError:
        raise Http404("No such delegation.") from None
    found = delegations_for_user(user=user).filter(pk=key).first()
    if found is None:
        raise Http404("No such delegation.")
    return found
