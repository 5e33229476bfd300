"""Request checks: callables an app above approvals registers to refuse a request with a message.

Approvals knows nothing of what they check (quotas, for one, registers from its
``AppConfig.ready()``). ``request_create`` calls every check once the request is otherwise valid,
inside its transaction and after it has locked the project row, so a check that counts what is
already asked for sees every earlier request of the project committed; a check that counts across
projects takes its own lock (the requester's row, say). A check returns the messages that refuse
the request (empty: no objection); the request is then refused with them under ``"limits"`` and
nothing is written.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Protocol

from catalog.models import Product, ProductVersion
from portal.models import Project, User
from portal.registry import Registry

ERRORS_KEY = "limits"


@dataclass(frozen=True)
class RequestToCheck:
    """What a request check is told: who asks for what, where, and with which values."""

    requester: User
    project: Project
    product: Product
    version: ProductVersion
    action: str
    environment_ref: str | None
    values: Mapping[str, str] = field(default_factory=dict)
    # The lease asked for: a create's, or an extension's days (None for other actions).
    lease_days: int | None = None


class RequestCheck(Protocol):
    def __call__(self, request: RequestToCheck, /) -> list[str]: ...


_checks: Registry[RequestCheck] = Registry("request checks")
_reviews: Registry[RequestCheck] = Registry("request review checks")


def request_check_register(check: RequestCheck) -> None:
    """Register a check; registering one twice keeps one."""
    _checks.register(check)


def request_checks() -> list[RequestCheck]:
    """The registered checks (a copy)."""
    return list(_checks)


def request_check_errors(request: RequestToCheck) -> list[str]:
    """Every registered check's refusals, in registration order (empty: the request may go)."""
    return [message for check in _checks for message in check(request)]


def request_review_register(check: RequestCheck) -> None:
    """Register a review check: its messages do not refuse the request but send it to an extra
    platform-admin step after the policy's steps (``Request.extra_review`` keeps them)."""
    _reviews.register(check)


def request_review_reasons(request: RequestToCheck) -> list[str]:
    """Every registered review check's reasons for an extra step (empty: none)."""
    return [message for check in _reviews for message in check(request)]
