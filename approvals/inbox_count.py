"""The inbox page's count of open tasks, handed to the menu badge of the same response.

The inbox page counts the person's open tasks for its pager; the menu badge counts the same
tasks again (the most costly query of the frame for an approver, issue 16). The page keeps its
count in the per-request memo (``portal.memo``; the inbox views run in a ``memo_per_request``
scope) and the badge of that response reads it instead of asking again. The key names the
person, so a count is only ever read back for whom it was counted.
"""

from __future__ import annotations

from portal.memo import memo_keep, memo_kept
from portal.models import User


def inbox_count_key(user: User) -> str:
    """The memo key of ``user``'s inbox count."""
    return f"approvals.inbox_count:{user.pk}"


def inbox_count_keep(*, user: User, count: int) -> None:
    """The inbox of ``user`` holds ``count`` open tasks now (``inbox_tasks``' count)."""
    memo_keep(inbox_count_key(user), count)


def inbox_count_kept(*, user: User) -> int | None:
    """The count this response's inbox page found for ``user``; None: none was counted."""
    kept = memo_kept(inbox_count_key(user))
    return kept if isinstance(kept, int) else None
