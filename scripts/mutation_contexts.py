"""pytest plugin for ``scripts/mutation.py``: each test's coverage context is its node id.

coverage's own ``dynamic_context = test_function`` switches context when a function named
``test*`` starts, so a fixture's work lands in the previous test's context; switching in pytest's
runtest hooks (what pytest-cov's ``--cov-context=test`` does) puts setup, call and teardown of a
test under its node id, and what runs outside any test (imports, collection) stays in the empty
context ``""``. Loaded with ``-p mutation_contexts`` (scripts/ on ``PYTHONPATH``) under
``coverage run``.
"""

from __future__ import annotations

from collections.abc import Iterator

import coverage
import pytest


def _switch(context: str) -> None:
    current = coverage.Coverage.current()
    if current is not None:
        current.switch_context(context)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None) -> Iterator[None]:
    _switch(item.nodeid)
    yield
    _switch("")
