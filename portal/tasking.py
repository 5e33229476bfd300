"""Celery's ``shared_task`` with types, and the one way the portal sends work to the broker.

Celery ships no type hints, so under ``mypy --strict`` its decorator is untyped and every task
would lose its signature. These wrappers only declare what Celery does; the task objects are
Celery's own. ``task_enqueue_on_commit`` sends a task once the caller's transaction commits and
never lets a broker outage reach the caller (see its docstring).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, Concatenate, ParamSpec, Protocol, TypeVar

from celery import Task
from celery import shared_task as _celery_shared_task
from django.db import transaction

logger = logging.getLogger(__name__)

P = ParamSpec("P")
R = TypeVar("R", covariant=True)


class TaskFunction(Protocol[P, R]):
    """What the portal uses of a Celery task: call it in process, or queue it."""

    def __call__(self, *args: P.args, **kwargs: P.kwargs) -> R: ...

    def delay(self, *args: P.args, **kwargs: P.kwargs) -> Any: ...

    def apply_async(self, args: tuple[Any, ...] | None = None,
                    kwargs: dict[str, Any] | None = None, **options: Any) -> Any: ...


def shared_task(**options: Any) -> Callable[[Callable[P, R]], TaskFunction[P, R]]:
    """``celery.shared_task(**options)``, typed; not for ``bind=True`` (see `shared_bound_task`)."""
    decorator: Callable[[Callable[P, R]], TaskFunction[P, R]] = _celery_shared_task(**options)
    return decorator


def shared_bound_task(
    **options: Any,
) -> Callable[[Callable[Concatenate[Task, P], R]], TaskFunction[P, R]]:
    """``celery.shared_task(bind=True, **options)``: Celery passes the task itself first."""
    decorator: Callable[[Callable[Concatenate[Task, P], R]], TaskFunction[P, R]] = (
        _celery_shared_task(bind=True, **options))
    return decorator


def task_enqueue_on_commit(task: TaskFunction[..., Any], *args: Any,
                           countdown: float | None = None,
                           sent: Callable[[], None] | None = None) -> None:
    """Send ``task(*args)`` to the broker once the current transaction commits (at once when
    there is none); ``sent`` runs after the broker took the message.

    A broker outage is logged, never raised: the caller has already recorded the work in the
    database (a queued run, a queued environment, a due check), so the person who asked gets
    their answer ("queued") instead of a 500, and the periodic sweep sends what was not sent.
    With Redis down, Celery's publish retries (``task_publish_retry_policy``: 3 retries, 0.2 s
    apart) and then raises kombu's ``OperationalError``; any other failure to publish is treated
    the same way, as Django's ``on_commit(robust=True)`` does.
    """
    name = getattr(task, "name", repr(task))

    def send() -> None:
        try:
            task.apply_async(args, countdown=countdown)
        except Exception:
            logger.warning("Could not queue %s%r (broker unavailable?); the sweep sends it later",
                           name, args, exc_info=True)
            return
        if sent is not None:
            sent()

    transaction.on_commit(send, robust=True)  # robust: a failing `sent` is logged, not raised
