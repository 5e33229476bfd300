"""Under pytest-xdist the files that wait (browser journeys, real Celery workers) are handed out
first (tests/conftest.py); each file's tests stay together and in order."""

from __future__ import annotations

import os
import subprocess
import types
from pathlib import Path
from typing import Any

from tests.conftest import LONG_FILES, pytest_collection_modifyitems
from tests.provisioning.worker import WorkerProcess

PLAIN = types.ModuleType("plain")
WITH_WORKER = types.ModuleType("with_worker")
WITH_WORKER.WorkerProcess = WorkerProcess  # type: ignore[attr-defined]


class Item:
    def __init__(self, nodeid: str, module: types.ModuleType, *fixtures: str) -> None:
        self.nodeid, self.module, self.fixturenames = nodeid, module, ["db", *fixtures]


def collected() -> list[Any]:
    return [Item("tests/d.py::one", PLAIN, "live_server"),
            Item("tests/a.py::one", PLAIN), Item("tests/b.py::one", PLAIN),
            Item("tests/a.py::two", PLAIN),
            Item("tests/c.py::plain", WITH_WORKER),
            Item("tests/c.py::journey", WITH_WORKER, "page"), Item("tests/b.py::two", PLAIN)]


def test_an_xdist_worker_runs_the_files_that_wait_first_keeping_each_file_together() -> None:
    items = collected()
    pytest_collection_modifyitems(types.SimpleNamespace(workerinput={}), items)  # type: ignore[arg-type]
    assert [item.nodeid for item in items] == [
        "tests/c.py::plain", "tests/c.py::journey",  # a worker and a browser
        "tests/d.py::one",  # a live server
        "tests/a.py::one", "tests/a.py::two", "tests/b.py::one", "tests/b.py::two"]


def test_a_run_without_xdist_keeps_the_order_it_was_given() -> None:
    items = collected()
    pytest_collection_modifyitems(types.SimpleNamespace(), items)  # type: ignore[arg-type]
    assert [item.nodeid for item in items] == [item.nodeid for item in collected()]


def test_a_module_that_declares_its_waits_is_handed_out_with_the_journeys() -> None:
    declared = types.ModuleType("declared")
    declared.SUITE_WAITS = 2  # type: ignore[attr-defined]
    items = [Item("tests/a.py::one", PLAIN), Item("tests/d.py::one", PLAIN, "live_server"),
             Item("tests/e.py::one", declared)]
    pytest_collection_modifyitems(types.SimpleNamespace(workerinput={}), items)  # type: ignore[arg-type]
    assert [item.nodeid for item in items] == ["tests/e.py::one", "tests/d.py::one",
                                               "tests/a.py::one"]


def test_the_long_files_come_first_among_those_that_do_not_wait() -> None:
    long_file = sorted(LONG_FILES)[0]
    items = [Item("tests/a.py::one", PLAIN), Item(f"{long_file}::one", PLAIN),
             Item("tests/d.py::one", PLAIN, "live_server"), Item(f"{long_file}::two", PLAIN)]
    pytest_collection_modifyitems(types.SimpleNamespace(workerinput={}), items)  # type: ignore[arg-type]
    assert [item.nodeid for item in items] == ["tests/d.py::one", f"{long_file}::one",
                                               f"{long_file}::two", "tests/a.py::one"]


def test_every_long_file_exists() -> None:
    root = Path(__file__).resolve().parents[1]
    assert [name for name in sorted(LONG_FILES) if not (root / name).is_file()] == []


def test_make_pytest_keeps_bytecode_under_var_even_where_the_environment_turns_it_off() -> None:
    """Where PYTHONDONTWRITEBYTECODE is set, every process rewrote the asserts of every test file
    afresh; `make pytest` keeps the bytecode under var/ (ignored by git) instead."""
    root = Path(__file__).resolve().parents[1]
    # Under `make test` the environment says make is nested (MAKELEVEL), which would print its
    # "Entering directory" lines; this asks as a contributor's own `make` does.
    env = {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL")}
    recipe = subprocess.run(["make", "--no-print-directory", "-n", "pytest", "PY=python"],
                            cwd=root, env=env,
                            capture_output=True, text=True, check=True).stdout
    words = recipe.replace("\\\n", " ").split()
    assert words[:2] == ["env", "-u"] and words[2] == "PYTHONDONTWRITEBYTECODE"
    assert f"PYTHONPYCACHEPREFIX={root}/var/pycache" in words
    assert words.index("python") > words.index(f"PYTHONPYCACHEPREFIX={root}/var/pycache")
    assert "var/*" in (root / ".gitignore").read_text().splitlines()
