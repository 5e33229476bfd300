"""Which environment a request made or is about, for the request's pages and the API.

Environments belong to provisioning, above approvals in the dependency chain, so approvals never
reads them: provisioning registers a reader here from its ``AppConfig.ready()`` that answers for
a batch of requests at once (a list page costs the same queries for 1 row as for 50).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from portal.models import User
from portal.registry import Registry


class LinkedRequest(Protocol):
    """What a reader reads of a request: a ``Request``, or a list's row of plain values
    (``approvals.api_rows.RequestKey``) that never became one."""

    @property
    def pk(self) -> Any: ...

    @property
    def action(self) -> str: ...

    @property
    def environment_ref(self) -> str | None: ...


@dataclass(frozen=True)
class EnvironmentLink:
    """The environment of a request: its name and status; ``id`` and ``url`` only when the user
    may open its page (its owner, a platform admin), else empty: an approver sees the name and
    status the request is about, not the environment."""

    id: str
    name: str
    status: str
    status_label: str
    url: str


EnvironmentLinkReader = Callable[[Sequence[LinkedRequest], User],
                                 "dict[object, EnvironmentLink]"]
_readers: Registry[EnvironmentLinkReader] = Registry("environment link readers")


def environment_link_reader_register(reader: EnvironmentLinkReader) -> None:
    """Register how requests find their environments (registering twice keeps one)."""
    _readers.register(reader)


def environment_links(*, requests: Sequence[LinkedRequest], user: User
                      ) -> dict[object, EnvironmentLink]:
    """The environment of each request that has one, by request pk: the one a create request
    made, or the one a day-2 request is about."""
    links: dict[object, EnvironmentLink] = {}
    for reader in _readers:
        for pk, link in reader(requests, user).items():
            links.setdefault(pk, link)
    return links
