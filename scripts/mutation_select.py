"""Which tests can kill a mutant: the ones that run its line (for ``scripts/mutation.py``).

The baseline run of a module's test files happens under coverage with
``scripts/mutation_contexts.py``, so every executed line of the module carries the node ids of
the tests that ran it. A mutant then runs only those tests (what mutmut's ``--use-coverage``
and mutmut 3 do), with three rules that keep the choice safe:

- The mutated line is widened to its whole statement (a call or literal over several lines is
  traced on any of them), or, for ``if``/``for``/``def``..., to the header.
- A statement executed outside any test (``""``: import time, e.g. a module-level table, a
  decorator, a default argument) can change what every test sees: all the module's tests run.
- A statement no test executes cannot be detected by any of them: the mutant survives without a
  run (reported as ``survived (not run: no test runs the line)``).
"""

from __future__ import annotations

import ast
import os
from pathlib import Path

CONTEXT_PLUGIN = "mutation_contexts"  # scripts/mutation_contexts.py
EVERY_TEST = None  # what ``covering_tests`` returns when all of the module's tests must run


def statement_spans(source: str) -> dict[int, range]:
    """Line number (1-based) → the lines of the innermost statement holding it (header only for
    compound statements)."""
    spans: dict[int, range] = {}
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.stmt):
            continue
        end = node.end_lineno or node.lineno
        body = getattr(node, "body", None)
        if isinstance(body, list) and body and isinstance(body[0], ast.stmt):
            end = max(node.lineno, body[0].lineno - 1)
        span = range(node.lineno, end + 1)
        for line in span:
            if line not in spans or len(span) < len(spans[line]):
                spans[line] = span
    return spans


class LineTests:
    """The node ids of the tests that ran each line of one module, read from a coverage file."""

    def __init__(self, data_file: Path, module: Path) -> None:
        from coverage import CoverageData

        data = CoverageData(basename=str(data_file))
        data.read()
        wanted = os.path.realpath(module)
        measured = [f for f in data.measured_files() if os.path.realpath(f) == wanted]
        self.by_line: dict[int, list[str]] = (
            data.contexts_by_lineno(measured[0]) if measured else {})
        self.spans = statement_spans(module.read_text())

    def covering_tests(self, line: int) -> list[str] | None:
        """The tests to run for a mutant of ``line`` (1-based): [] when none runs it,
        ``EVERY_TEST`` when it runs outside any test."""
        contexts: set[str] = set()
        for number in self.spans.get(line, range(line, line + 1)):
            contexts.update(self.by_line.get(number, []))
        if "" in contexts:
            return EVERY_TEST
        return sorted(contexts)
