from __future__ import annotations

from dataclasses import dataclass
from html import escape
from typing import Any

from django.conf import settings
from django.db import connection
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.functional import SimpleLazyObject
from django.utils.safestring import SafeString

from approvals.inbox_count import inbox_count_kept
from approvals.selectors import DELEGATORS_ON, inbox_tasks
from portal.http import request_user
from portal.models import User
from portal.reversing import reverse_key_clear, reverse_plain, reverse_plain_each
from portal.selectors import notifications_unread
from portal.statements import MARKER_ID, Slot, Statement
from provisioning.menu_roles import menu_roles


def _capped_count(rows: QuerySet[Any]) -> tuple[str, list[Any]]:
    """``(SELECT COUNT(*) FROM (<rows' ids, at most BADGE_CAP + 1>))`` and its parameters."""
    sql, params = _capped(rows).query.sql_with_params()
    return _count_sql(sql), list(params)


# The badge counts at most this many of each (issue 16: every page of the frame counted every
# unread notice and open task of the person; an inbox or a mailbox left to grow made each page
# slower). Beyond it the badge says "99+", which stays true: the count is only ever cut short.
BADGE_CAP = 99


def badge_text(count: int) -> str:
    """``count`` as the badge shows it: exact up to ``BADGE_CAP``, then "99+"."""
    return f"{BADGE_CAP}+" if count > BADGE_CAP else str(count)


@dataclass(frozen=True)
class Waiting:
    """What waits for the signed-in person: approval tasks and unread notifications, each
    counted up to ``BADGE_CAP + 1`` (more than the cap reads "99+", see ``badge_text``)."""

    tasks: int
    unread: int
    inbox_url: str = ""

    @property
    def total(self) -> int:
        return self.tasks + self.unread

    @property
    def tasks_text(self) -> str:
        return badge_text(self.tasks)

    @property
    def unread_text(self) -> str:
        return badge_text(self.unread)

    @property
    def total_text(self) -> str:
        return badge_text(self.total)


def _capped(rows: QuerySet[Any]) -> QuerySet[Any]:
    """The ids of ``rows``, at most ``BADGE_CAP + 1`` (what a badge counts)."""
    return rows.order_by().values("pk")[:BADGE_CAP + 1]


# The two counts of the frame, compiled once (portal.statements): for everyone the unread
# notices, for an approver who stands in for nobody today the open tasks (the many; with
# delegators the task count is compiled per request, its SQL depends on them).
_UNREAD = Statement(lambda user: _capped(notifications_unread(user=User(pk=user))),
                    user=Slot(User._meta.pk, MARKER_ID))
_OPEN_TASKS = Statement(lambda user: _capped(inbox_tasks(user=User(pk=user), delegators=[])),
                        user=Slot(User._meta.pk, MARKER_ID))


def _count_sql(sql: str) -> str:
    return f"(SELECT COUNT(*) FROM ({sql}) _count)"


def waiting_for(*, user: User, approver: bool, tasks_counted: int | None = None) -> Waiting:
    """Both counts in one query (the tasks only when the person may approve at all;
    ``tasks_counted``: the open tasks already counted by this response, not asked again).
    Each count reads at most ``BADGE_CAP + 1`` rows (a LIMIT inside the COUNT), so the frame
    costs the same for someone with thousands of unread notices.

    For an approver the same statement asks whether they stand in for anyone today (an EXISTS
    of ``delegators_on``) beside the count of their own open tasks: for the many who stand in
    for nobody that count is the answer, one statement with no delegation branch (the count
    with it was twice the Python and the planning, issue 16; the question asked on its own was
    a second round trip on every page of every approver). Someone who does stand in for others
    has whom read, and their tasks counted with them, in two more statements. The statements
    are compiled once (``portal.statements``); only a count of tasks for someone standing in
    for others is compiled for the request."""
    tasks_sql = "0"
    params: list[Any] = []
    delegators_params: list[Any] = []
    stands_in = ""
    today = timezone.localdate() if approver else None
    if approver and tasks_counted is not None:
        tasks_sql = str(int(tasks_counted))
    elif approver:
        own_sql, params = _OPEN_TASKS.sql(user=user.pk)
        tasks_sql = _count_sql(own_sql)
        delegators_sql, delegators_params = DELEGATORS_ON.sql(user=user.pk, day=today)
        stands_in = f', EXISTS ({delegators_sql}) AS "waiting_stands_in"'
    unread_sql, unread_params = _UNREAD.sql(user=user.pk)
    # Both counts in one statement with no table of its own: the querysets (and so the
    # scoping) are the selectors', compiled as they are; no outer query to resolve them in.
    sql = (f'SELECT {tasks_sql} AS "waiting_tasks", {_count_sql(unread_sql)} AS "waiting_unread"'
           f"{stands_in}")
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, *unread_params, *delegators_params])
        found = cursor.fetchone()
    tasks_count, unread_count = found[0], found[1]
    if stands_in and found[2]:
        delegators = [row[0] for row in DELEGATORS_ON.rows(user=user.pk, day=today)]
        if delegators:  # (none if the delegation ended in between: the own count stands)
            count_sql, count_params = _capped_count(inbox_tasks(user=user, delegators=delegators))
            with connection.cursor() as cursor:
                cursor.execute(f"SELECT {count_sql}", count_params)
                tasks_count = cursor.fetchone()[0]
    return Waiting(tasks=tasks_count, unread=unread_count,
                   inbox_url=menu_url("approvals:inbox") if approver else "")


def menu_url(name: str) -> str:
    """``reverse(name)`` of an argument-free route, kept per script prefix and URLconf
    (``portal.reversing.reverse_plain``): the menu's routes take no argument, so each is
    reversed once per process rather than a dozen resolver walks on every page (issue 16)."""
    return reverse_plain(name)


FRAME_ROUTES = ("account_logout", "notification_list", "notification_badge")


def menu_urls_clear() -> None:
    """Forget the kept URLs (after routes change at run time, as tests do)."""
    reverse_key_clear()


def _menu(request: HttpRequest) -> dict[str, Any]:
    """The menu of this request, worked out once (the pages and the badge share it)."""
    cached: dict[str, Any] | None = getattr(request, "_portal_menu", None)
    if cached is not None:
        return cached
    user = request_user(request)
    approver, projects = menu_roles(request, user)
    admin = user.is_catalog_admin
    audits = admin or user.is_auditor
    candidates = [
        ("Dashboard", "dashboard", True),
        ("Catalog", "catalog:product_list", True),
        ("My requests", "approvals:request_list", True),
        ("Approvals inbox", "approvals:inbox", approver),
        ("My environments", "provisioning:environment_list", True),
        ("Projects", "projects:project_list", projects),
        ("Manage catalog", "catalog:admin_product_list", admin),
        ("All environments", "provisioning:admin_environment_list", admin),
        ("AWS policy pack", "policy_pack", admin),
        ("Guardrails", "guardrails:guardrail_current", admin),
        ("Projects (admin)", "admin:portal_project_changelist", admin),
        ("Audit trail", "audit_event_list", audits),
        ("Leavers", "identity:leavers_report", audits),
        ("API", "api_docs", True),
    ]
    shown = [(label, name) for label, name, allowed in candidates if allowed]
    menu = {
        "items": [{"label": label, "url": url, "name": name} for (label, name), url
                  in zip(shown, reverse_plain_each(name for _, name in shown), strict=True)],
        # The inbox page counted the open tasks already: the badge shows that count.
        "waiting": waiting_for(user=user, approver=approver,
                               tasks_counted=inbox_count_kept(user=user)),
    }
    request._portal_menu = menu  # type: ignore[attr-defined]
    return menu


def nav_links(items: list[dict[str, str]], path: str) -> SafeString:
    """The menu's links as base.html's loop wrote them (the page's own link marked current),
    joined in Python: the loop's variable lookups were a tenth of the frame's rendering. Each
    value is escaped as ``{{ }}`` escapes text (``html.escape``), without ``format_html``'s
    lazy checks and ``SafeString`` per value (issue 16)."""
    return SafeString("".join(
        f'<a href="{escape(item["url"])}" data-nav="{escape(item["name"])}"'
        f'{_CURRENT if path == item["url"] else ""}>{escape(item["label"])}</a>'
        for item in items))


_CURRENT = ' aria-current="page"'  # a constant: nothing to escape


def navigation(request: HttpRequest) -> dict[str, Any]:
    """Navigation entries for the signed-in user's roles, and what waits for them (the menu
    badge). Lazy: a fragment that shows no menu runs none of its queries."""
    user = getattr(request, "user", None)
    context: dict[str, Any] = {"local_login_enabled": settings.PORTAL_LOCAL_LOGIN,
                               "menu_poll_seconds": settings.PORTAL_LIVE_IDLE_POLL_SECONDS}
    if user is not None and user.is_authenticated:
        context["nav_links"] = SimpleLazyObject(
            lambda: nav_links(_menu(request)["items"], request.path))
        context["menu_waiting"] = SimpleLazyObject(lambda: _menu(request)["waiting"])
        # The signed-in frame's own links (sign out, the badge), kept as the menu's are.
        context["frame_urls"] = dict(zip(FRAME_ROUTES, reverse_plain_each(FRAME_ROUTES),
                                         strict=True))
    return context
