"""The inbox page's count of open tasks, handed to the menu badge of the same response.

The inbox page counts the person's open tasks for its pager; the menu badge counts the same
tasks again (the most costly query of the frame for an approver, issue 16). The page keeps its
count on the request and the badge of that response reads it instead of asking again.
"""

from __future__ import annotations

from django.http import HttpRequest

from portal.models import User

_KEPT = "_approvals_inbox_count"


def inbox_count_keep(request: HttpRequest, *, user: User, count: int) -> None:
    """The inbox of ``user`` holds ``count`` open tasks now (``inbox_tasks``' count)."""
    setattr(request, _KEPT, (user.pk, count))


def inbox_count_kept(request: HttpRequest, *, user: User) -> int | None:
    """The count this response's inbox page found for ``user``; None: none was counted."""
    kept = getattr(request, _KEPT, None)
    if isinstance(kept, tuple) and kept[0] == user.pk:
        return int(kept[1])
    return None
