"""Celery's ``shared_task`` with types: Celery ships no type hints, so under ``mypy --strict``
its decorator is untyped and every task would lose its signature. These wrappers only declare
what Celery does; the task objects are Celery's own."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Concatenate, ParamSpec, Protocol, TypeVar

from celery import Task
from celery import shared_task as _celery_shared_task

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
