"""Streamed CSV for the portal's exports (the audit trail, a project's costs).

Cells a spreadsheet would run as a formula are escaped with a leading quote
(``CSV_ESCAPED_STARTS``); a leading quote is escaped too, so ``audit_verify --file`` can undo
exactly one.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator

from portal.audit_chain import CSV_ESCAPED_STARTS


class _Echo:
    """A file-like object whose write returns the line: csv.writer then yields text."""

    def write(self, value: str) -> str:
        return value


def csv_cell(value: object) -> str:
    """Text a spreadsheet shows as text (values include whatever people typed)."""
    text = str(value)
    return "'" + text if text.startswith(CSV_ESCAPED_STARTS) else text


def csv_lines(rows: Iterable[Iterable[object]]) -> Iterator[str]:
    """Each row as one CSV line of escaped cells (``csv_cell``), through one writer for the
    whole stream (a writer per line cost the audit export of 500,000 events about a tenth of
    its time)."""
    writer = csv.writer(_Echo())
    for values in rows:
        yield str(writer.writerow([csv_cell(v) for v in values]))
