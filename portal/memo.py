"""The portal's one per-request memo: a read two parts of a page both need is made once.

The product page asks for the guardrails in force twice (the form's narrowing and the lease
maximum, registered separately by the guardrails app): inside ``memo_scope`` the second ask is
answered from the first (issue 16). The inbox page counts the open tasks for its pager and keeps
the count (``memo_keep``) for the menu badge of the same response, which reads it
(``memo_kept``) instead of counting again (both in the approvals app). Outside a scope (a Celery
task, a management command, a view without the decorator) nothing is kept: every call reads
afresh. The memo lives in a context variable set by ``memo_scope``: a scope never outlives its
request, and each thread (and each asyncio task) has its own, so no other request, process or
worker can see a value of this one; a write in the same request drops what it changed
(``memo_forget``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import wraps
from typing import Any, TypeVar

T = TypeVar("T")
_memo: ContextVar[dict[str, Any] | None] = ContextVar("portal_request_memo", default=None)


@contextmanager
def memo_scope() -> Iterator[None]:
    """Keep what ``memoized`` reads until the block ends."""
    token = _memo.set({})
    try:
        yield
    finally:
        _memo.reset(token)


def memoized(key: str, compute: Callable[[], T]) -> T:
    """``compute()``, once per scope for ``key``; every time outside a scope."""
    memo = _memo.get()
    if memo is None:
        return compute()
    if key not in memo:
        memo[key] = compute()
    return memo[key]  # type: ignore[no-any-return]


def memo_keep(key: str, value: Any) -> None:
    """Keep ``value`` under ``key`` for the rest of the scope (a part of the response found what
    a later part needs); outside a scope nothing is kept."""
    memo = _memo.get()
    if memo is not None:
        memo[key] = value


def memo_kept(key: str) -> Any:
    """What the scope keeps under ``key`` (``memo_keep`` or ``memoized``); None when nothing
    is, or outside a scope."""
    memo = _memo.get()
    return None if memo is None else memo.get(key)


def memo_forget(key: str) -> None:
    """Drop ``key`` from the current scope (after a write that changed it)."""
    memo = _memo.get()
    if memo is not None:
        memo.pop(key, None)


def memo_per_request(view: Callable[..., T]) -> Callable[..., T]:
    """A view decorator: the view runs inside its own ``memo_scope``."""
    @wraps(view)
    def scoped(*args: Any, **kwargs: Any) -> T:
        with memo_scope():
            return view(*args, **kwargs)
    return scoped
