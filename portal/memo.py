"""A memo that lasts one request: a read two parts of a page both need is made once.

The product page asks for the guardrails in force twice (the form's narrowing and the lease
maximum, registered separately by the guardrails app): inside ``memo_scope`` the second ask is
answered from the first (issue 16). Outside a scope (a Celery task, a management command, a view
without the decorator) nothing is kept: every call reads afresh. A scope never outlives its
request, so no other request, process or worker can see a stale value; a write in the same
request drops what it changed (``memo_forget``).
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
