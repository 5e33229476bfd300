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
import io
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

        self.data_file, self.module = data_file, module
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

    def branch_coverage(self) -> str:
        """The module's branch coverage in the baseline run, as ``coverage report`` counts it:
        ``"92.3 % (stmts 124, miss 4, branch 46, brpart 6)"``."""
        from coverage import Coverage

        coverage = Coverage(data_file=str(self.data_file))
        coverage.load()
        out = io.StringIO()
        percent = coverage.report(include=[str(self.module)], file=out, precision=1)
        # The row of the module: name, statements, missed, branches, partial branches, cover.
        row = next((line.split() for line in out.getvalue().splitlines()
                    if line.startswith(str(self.module)) or line.endswith("%")
                    and self.module.name in line), [])
        counts = ", ".join(f"{k} {v}" for k, v in zip(
            ("stmts", "miss", "branch", "brpart"), row[1:5], strict=False))
        return f"{percent:.1f} % ({counts})"


class _DropAnnotations(ast.NodeTransformer):
    def visit_arg(self, node: ast.arg) -> ast.arg:
        node.annotation = None
        return node

    def visit_AnnAssign(self, node: ast.AnnAssign) -> ast.AnnAssign:  # noqa: N802 - ast's name
        node.annotation = ast.Constant(value=None)
        return node

    def visit_FunctionDef(self, node: ast.FunctionDef) -> ast.FunctionDef:  # noqa: N802
        node.returns = None
        self.generic_visit(node)
        return node

    def visit_AsyncFunctionDef(self, node: ast.AsyncFunctionDef  # noqa: N802
                               ) -> ast.AsyncFunctionDef:
        node.returns = None
        self.generic_visit(node)
        return node


def annotation_only(original: str, mutated: str) -> bool:
    """The mutant changes nothing but annotations of a module with ``from __future__ import
    annotations``: they stay strings nobody evaluates (PEP 563), so no test can see the change
    (mutmut 2 mutates ``A | None`` into ``A & None``). Such a mutant is equivalent, not tested."""
    if "from __future__ import annotations" not in original:
        return False
    try:
        before, after = (ast.dump(_DropAnnotations().visit(ast.parse(text)))
                         for text in (original, mutated))
    except SyntaxError:  # a mutant that does not compile: the tests will fail, it is no equivalent
        return False
    return before == after
