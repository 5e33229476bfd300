"""Registries: how an app plugs its callables into an app below it, which may not import it.

The lower app declares a ``Registry`` and a ``<thing>_register`` function; the app above calls
that function from its ``AppConfig.ready()`` (guardrails registers its request check with
approvals, provisioning its hand-off handler, …). Every registry of the portal is one of these,
so they all behave alike: registration order is kept, registering the same callable twice keeps
one, and what is iterated is a copy, so a callable that registers another while the registry is
being run does not change that run.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Generic, TypeVar

T = TypeVar("T")


class Registry(Generic[T]):
    """An ordered set of what apps registered, named for error messages and ``repr``."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._items: list[T] = []

    def register(self, item: T) -> None:
        """Add ``item`` after the others; an item already registered is not added again."""
        if item not in self._items:
            self._items.append(item)

    def __iter__(self) -> Iterator[T]:
        return iter(list(self._items))

    def __len__(self) -> int:
        return len(self._items)

    def __contains__(self, item: object) -> bool:
        return item in self._items

    def __repr__(self) -> str:
        return f"<Registry {self.name}: {len(self._items)} registered>"
