"""Guardrail versions: the one in force (selector) and a change (a new version, audited)."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django.db.models import Max
from django.http import HttpRequest

from guardrails.models import GuardrailVersion
from guardrails.rules import Guardrails
from portal.memo import memo_forget, memoized
from portal.models import User
from portal.services import audit_record


@dataclass(frozen=True)
class InForce:
    """The rules in force and the number of their version."""

    rules: Guardrails
    version: int


IN_FORCE_MEMO = "guardrails.in_force"


def _in_force_read() -> InForce | None:
    latest = GuardrailVersion.objects.order_by("-number").only("number", "rules").first()
    if latest is None:
        return None
    return InForce(rules=Guardrails.from_json(latest.rules), version=latest.number)


def guardrails_in_force() -> InForce | None:
    """The newest version's rules; None before any version is made (no rules).

    Read once per request where the view keeps a memo (``portal.memo``: the product page asks
    for the form's narrowing and for the lease maximum), else every time."""
    return memoized(IN_FORCE_MEMO, _in_force_read)


def guardrails_change(*, rules: Guardrails, reason: str, actor: User,
                      http_request: HttpRequest | None = None) -> GuardrailVersion:
    """Make ``rules`` the organisation's guardrails: a new version; the earlier ones are kept."""
    with transaction.atomic():
        # Two admins saving at once read the same top number: the unique number makes the
        # second insert fail (its page asks to save again) instead of one hiding the other.
        previous = GuardrailVersion.objects.aggregate(top=Max("number"))["top"] or 0
        version = GuardrailVersion.objects.create(
            number=previous + 1, rules=rules.to_json(), reason=reason.strip(), created_by=actor)
        audit_record(action="guardrails.changed", actor=actor, request=http_request, obj=version,
                     data={"version": version.number, "previous": previous or None,
                           "reason": version.reason, "rules": version.rules})
    memo_forget(IN_FORCE_MEMO)
    return version
