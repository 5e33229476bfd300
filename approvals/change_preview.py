"""What a day-2 request would change in AWS, shown to its approvers (and its requester).

Plans (Service Catalog provisioned product plans, i.e. CloudFormation change sets) belong to
provisioning, above approvals in the dependency chain, so approvals never reads them: provisioning
registers from its ``AppConfig.ready()``

- a reader (``change_preview_reader_register``): the preview of a request, for its pages;
- a hook for new requests (``request_opened_register``): a change request gets its plan made;
- a hook for closed requests (``request_closed_register``): a rejected, cancelled or expired
  request's plan is deleted.

An approval is refused while the preview is being made or when it failed
(``change_preview_approve_refusal``): what is approved is what the plan will apply.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

from approvals.models import Request
from portal.registry import Registry

PREVIEW_PENDING = "pending"
PREVIEW_READY = "ready"
PREVIEW_FAILED = "failed"
PREVIEW_TERMINATE = "terminate"  # no plan exists for a termination: everything is removed

_ACTION_LABELS = {"ADD": "Added", "MODIFY": "Modified", "REMOVE": "Removed", "IMPORT": "Imported"}


@dataclass(frozen=True)
class ResourceChangeRow:
    """One ResourceChange of a plan: ``action`` ADD|MODIFY|REMOVE|IMPORT, ``replacement``
    TRUE|FALSE|CONDITIONAL (empty for ADD/REMOVE), the properties whose change causes it, and
    of those the ones that (may) recreate the resource (RequiresRecreation ALWAYS or
    CONDITIONALLY): a resize with a rename replaces a notebook because of the name only."""

    action: str
    logical_id: str
    resource_type: str
    physical_id: str = ""
    replacement: str = ""
    properties: tuple[str, ...] = ()
    recreating: tuple[str, ...] = ()

    @property
    def replaced(self) -> bool:
        """The resource is deleted and created anew: its data is lost."""
        return self.action == "MODIFY" and self.replacement == "TRUE"

    @property
    def may_be_replaced(self) -> bool:
        return self.action == "MODIFY" and self.replacement == "CONDITIONAL"

    @property
    def destructive(self) -> bool:
        return self.replaced or self.may_be_replaced or self.action == "REMOVE"

    @property
    def label(self) -> str:
        """The change in words (never colour alone)."""
        if self.replaced:
            return "Replaced: deleted and created again, its data is lost"
        if self.may_be_replaced:
            return "May be replaced: its data may be lost"
        return _ACTION_LABELS.get(self.action, self.action.title())


@dataclass(frozen=True)
class SummaryPart:
    """One count of an inbox row's preview ("1 replaced (data loss)")."""

    text: str
    destructive: bool = False


_SUMMARY_ORDER = ("added", "modified", "imported", "may be replaced (data loss possible)",
                  "replaced (data loss)", "removed")


def _summary_key(row: ResourceChangeRow) -> tuple[str, bool]:
    if row.replaced:
        return "replaced (data loss)", True
    if row.may_be_replaced:
        return "may be replaced (data loss possible)", True
    words = {"ADD": "added", "MODIFY": "modified", "REMOVE": "removed",
             "IMPORT": "imported"}.get(row.action, row.action.lower())
    return words, row.action == "REMOVE"


def _summary_order(item: tuple[tuple[str, bool], int]) -> tuple[int, str]:
    words = item[0][0]
    return (_SUMMARY_ORDER.index(words) if words in _SUMMARY_ORDER else len(_SUMMARY_ORDER),
            words)


@dataclass(frozen=True)
class ChangePreview:
    """A request's preview: ``state`` pending|ready|failed|terminate, the rows, a message (the
    plan's error when it failed) and the plan's id in AWS."""

    state: str
    rows: tuple[ResourceChangeRow, ...] = ()
    message: str = ""
    plan_id: str = ""

    @property
    def replacements(self) -> list[ResourceChangeRow]:
        return [row for row in self.rows if row.replaced or row.may_be_replaced]

    @property
    def is_pending(self) -> bool:
        return self.state == PREVIEW_PENDING

    @property
    def is_failed(self) -> bool:
        return self.state == PREVIEW_FAILED

    @property
    def is_terminate(self) -> bool:
        return self.state == PREVIEW_TERMINATE

    @property
    def summary(self) -> tuple[SummaryPart, ...]:
        """The compact preview of an inbox row: a count per kind of change, the destructive
        ones flagged (their words say it too: never colour alone)."""
        if self.is_pending:
            return (SummaryPart("preview being prepared"),)
        if self.is_failed:
            return (SummaryPart("preview failed", destructive=True),)
        counts: dict[tuple[str, bool], int] = {}
        for row in self.rows:
            counts[_summary_key(row)] = counts.get(_summary_key(row), 0) + 1
        if not counts:
            return (SummaryPart("no resource changes"),)
        return tuple(SummaryPart(f"{n} {words}", destructive=bad)
                     for (words, bad), n in sorted(counts.items(), key=_summary_order))


PreviewReader = Callable[[Request], "ChangePreview | None"]
# Many requests at once (the inbox): their previews by request pk, in a constant number of
# queries whatever the number of requests.
PreviewsReader = Callable[[Sequence[Request]], Mapping[object, "ChangePreview"]]
RequestHook = Callable[[Request], object]
_readers: Registry[PreviewReader] = Registry("change preview readers")
_many_readers: Registry[PreviewsReader] = Registry("change previews readers (many requests)")
_opened: Registry[RequestHook] = Registry("request opened hooks")
_closed: Registry[RequestHook] = Registry("request closed hooks")


def change_preview_reader_register(reader: PreviewReader) -> None:
    """Register how a request's preview is read (registering twice keeps one)."""
    _readers.register(reader)


def change_previews_reader_register(reader: PreviewsReader) -> None:
    """Register how the previews of many requests are read at once (twice keeps one)."""
    _many_readers.register(reader)


def change_previews_for(*, requests: Iterable[Request]) -> dict[object, ChangePreview]:
    """The previews of ``requests`` by request pk (a request without one is left out)."""
    wanted = list(requests)
    found: dict[object, ChangePreview] = {}
    for reader in _many_readers:
        for pk, preview in reader([r for r in wanted if r.pk not in found]).items():
            found.setdefault(pk, preview)
    return found


def request_opened_register(hook: RequestHook) -> None:
    """Called with each new request, inside the transaction that stores it, before its first
    approval step opens."""
    _opened.register(hook)


def request_closed_register(hook: RequestHook) -> None:
    """Called with a request that was rejected, cancelled or expired, inside that transaction."""
    _closed.register(hook)


def change_preview_for(*, request: Request) -> ChangePreview | None:
    """The first registered reader's preview of ``request`` (None: nothing to preview)."""
    for reader in _readers:
        preview = reader(request)
        if preview is not None:
            return preview
    return None


def request_opened(*, request: Request) -> None:
    for hook in list(_opened):
        hook(request)


def request_closed(*, request: Request) -> None:
    for hook in list(_closed):
        hook(request)


def change_preview_approve_refusal(*, request: Request) -> str:
    """Why the request cannot be approved now ("" when it can): its plan is not made yet, or
    making it failed."""
    preview = change_preview_for(request=request)
    if preview is None:
        return ""
    if preview.is_pending:
        return ("The change preview is still being prepared in AWS; approve once it shows what "
                "will change.")
    if preview.is_failed:
        return ("The change preview failed, so there is nothing to approve: "
                f"{preview.message or 'AWS gave no reason.'} Reject the request instead.")
    return ""


def tasks_previews_attach(tasks: Iterable[object]) -> None:
    """Give each inbox task (an ``ApprovalTask`` with its request loaded) a ``preview``: its
    request's change preview or None, read for all of them at once."""
    shown = list(tasks)
    previews = change_previews_for(requests=[t.request for t in shown])  # type: ignore[attr-defined]
    for task in shown:
        task.preview = previews.get(task.request_id)  # type: ignore[attr-defined]
