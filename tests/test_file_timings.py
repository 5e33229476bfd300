"""tests/file_timings.py: each file's wall, own CPU and children's CPU; the last teardown's
session fixtures apart from the file that ran last."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.file_timings import SESSION_TEARDOWN

ROOT = Path(__file__).resolve().parents[1]
# A child that burns about 0.3 s of CPU, waited for.
BURN = "import subprocess, sys; subprocess.run([sys.executable, '-c', 'sum(range(10**7))'])"


def test_a_session_fixture_s_child_counts_under_the_last_teardown_not_the_last_file(
        tmp_path: Path) -> None:
    (tmp_path / "conftest.py").write_text(
        "import pytest\n"
        "@pytest.fixture(scope='session')\n"
        f"def shared():\n    yield\n    {BURN}\n")
    (tmp_path / "test_a.py").write_text(
        f"def test_one(shared):\n    {BURN}\n\ndef test_two():\n    pass\n")
    (tmp_path / "test_b.py").write_text("def test_three():\n    pass\n")
    output = tmp_path / "timings.jsonl"
    env = {k: v for k, v in os.environ.items()
           if k not in ("DJANGO_SETTINGS_MODULE", "PYTEST_XDIST_WORKER")}  # a run of its own
    env |= {"PYTHONPATH": str(ROOT), "PORTAL_TEST_TIMINGS": str(output)}

    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "tests.file_timings", "-p", "no:django",
         "-p", "no:xdist", "-p", "no:cacheprovider", "test_a.py", "test_b.py"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)

    assert done.returncode == 0, done.stdout + done.stderr
    rows = {row["file"]: row for row in map(json.loads, output.read_text().splitlines())}
    assert set(rows) == {"test_a.py", "test_b.py", SESSION_TEARDOWN}
    assert (rows["test_a.py"]["tests"], rows["test_b.py"]["tests"],
            rows[SESSION_TEARDOWN]["tests"]) == (2, 1, 0)
    assert rows["test_a.py"]["children"] > 0.1  # its own test's child
    assert rows["test_b.py"]["children"] < 0.05  # ran last, but started no child
    assert rows[SESSION_TEARDOWN]["children"] > 0.1
    assert all(row["process"] == "main" for row in rows.values())
