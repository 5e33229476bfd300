"""The status machines of a request and of its approval tasks, as data.

``TRANSITIONS`` is the one place that says which status may follow which; ``status_transition``
is the one function that changes a status, and refuses anything the table does not allow.
``docs/request-states.md`` is rendered from the table by ``states_markdown`` (a test fails when
the file is stale: ``python manage.py request_states_doc`` rewrites it).
"""

from __future__ import annotations

from collections.abc import Iterable

from django.utils import timezone

from approvals.errors import InvalidTransition
from approvals.models import ApprovalTask, Request

_R = Request.Status
_T = ApprovalTask.Status

# Every transition leaves "pending": a decided, withdrawn or expired request (or task) is final,
# so a late decision can never reopen or overturn it. One exception, never a person's: an approved
# change request whose plan went stale before it was applied goes back to "pending" for its
# approvers to see the new plan (``workflow.request_reapproval``).
Tracked = Request | ApprovalTask

TRANSITIONS: dict[type[Tracked], dict[str, frozenset[str]]] = {
    Request: {
        _R.PENDING: frozenset({_R.APPROVED, _R.REJECTED, _R.CANCELLED, _R.EXPIRED}),
        _R.APPROVED: frozenset({_R.PENDING}),
    },
    ApprovalTask: {
        _T.PENDING: frozenset({_T.APPROVED, _T.REJECTED, _T.EXPIRED, _T.SKIPPED}),
    },
}


def transition_allowed(*, model: type[Tracked], source: str, target: str) -> bool:
    """Whether the table lets ``model`` go from ``source`` to ``target``."""
    return target in TRANSITIONS[model].get(source, frozenset())


def status_transition(*, obj: Tracked, to: str, update_fields: Iterable[str] = ()) -> None:
    """Move ``obj`` to status ``to`` and save it, with ``decided_at`` (every move is a decision).

    Raises ``InvalidTransition`` (nothing changed) when the table does not allow the move. Other
    fields the caller set on ``obj`` are saved with it when named in ``update_fields``.
    """
    model = type(obj)
    if not transition_allowed(model=model, source=obj.status, target=to):
        raise InvalidTransition(
            f"A {model._meta.verbose_name} cannot go from {obj.status} to {to}.")
    obj.status = to
    obj.decided_at = timezone.now()
    fields = ["status", "decided_at", *update_fields]
    if isinstance(obj, Request):
        fields.append("updated_at")  # auto_now is only written when named in update_fields
    obj.save(update_fields=fields)


def states_markdown() -> str:
    """The tables as the Markdown of ``docs/request-states.md``."""
    lines = ["# Request and approval task states", "",
             "Generated from `approvals/states.py` by `python manage.py request_states_doc`; "
             "do not edit by hand.", "",
             "A move not listed is refused with `InvalidTransition` (HTTP 409).", ""]
    for model, table in TRANSITIONS.items():
        labels = {str(value): str(label) for value, label in model.Status.choices}
        lines += [f"## {str(model._meta.verbose_name).capitalize()}", "",
                  "| from | to | final |", "| --- | --- | --- |"]
        for value in labels:
            targets = sorted(table.get(value, frozenset()))
            final = "no" if targets else "yes"
            shown = ", ".join(f"`{t}`" for t in targets) or "—"
            lines.append(f"| `{value}` ({labels[value]}) | {shown} | {final} |")
        lines.append("")
    return "\n".join(lines)
