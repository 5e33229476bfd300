"""Guardrail versions: the one in force (selector) and a change (a new version, audited)."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import router, transaction
from django.db.models import Max
from django.http import HttpRequest

from guardrails.models import GuardrailVersion
from guardrails.rules import Guardrails
from portal.memo import memo_forget, memoized
from portal.models import User
from portal.services import audit_record
from portal.statements import Statement


@dataclass(frozen=True)
class InForce:
    """The rules in force and the number of their version."""

    rules: Guardrails
    version: int


IN_FORCE_MEMO = "guardrails.in_force"


# The newest version's number and rules, compiled once (portal.statements): every product page
# and request form reads it (issue 16).
_NEWEST = Statement(lambda: GuardrailVersion.objects.order_by("-number").values_list(
    "number", "rules")[:1])


def _in_force_read() -> InForce | None:
    found = _NEWEST.rows(using=router.db_for_read(GuardrailVersion))
    if not found:
        return None
    number, rules = found[0]
    return InForce(rules=Guardrails.from_json(rules), version=number)


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
