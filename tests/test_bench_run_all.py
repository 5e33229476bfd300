"""bench/run_all.py runs every benchmark against one seeded database into one Markdown report.

A tiny volume on SQLite (the benches are the same scripts the full run uses, with small counts);
every bench runs in its own process, as in the full run, so this takes a few minutes.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
# Minutes of subprocesses: handed out first under xdist (tests/conftest.py).
SUITE_WAITS = 2
SECTIONS = ["pages", "throughput", "audit export", "reconcile", "sweeps", "provisioning"]


def _env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if k not in ("DJANGO_SETTINGS_MODULE", "DATABASE_URL", "PORTAL_VAR_DIR", "DEBUG")}
    return {**env, "PORTAL_VAR_DIR": str(tmp_path / "var"),
            "DATABASE_URL": f"sqlite:///{tmp_path / 'seeded.sqlite3'}"}


def test_one_run_of_every_bench_writes_a_report_with_every_section(tmp_path: Path) -> None:
    env = _env(tmp_path)
    (tmp_path / "var").mkdir()
    subprocess.run(
        [sys.executable, "bench/volume.py", "--users", "60", "--projects", "6", "--accounts",
         "3", "--products", "6", "--requests", "200", "--environments", "60",
         "--audit-events", "500"], cwd=ROOT, env=env, check=True, capture_output=True)
    report = tmp_path / "report.md"

    done = subprocess.run(
        [sys.executable, "bench/run_all.py", "--report", str(report), "--pages-runs", "1",
         "--connections", "2", "--throughput-seconds", "2", "--export-runs", "1",
         "--reconcile-accounts", "1", "--reconcile-projects", "2",
         "--reconcile-environments", "3", "--reconcile-baseline-projects", "1",
         "--sweep-environments", "20", "--sweep-projects", "2", "--sweep-due", "4",
         "--provisioning-latency", "1", "--provisioning-throughput", "2",
         "--provisioning-rate", "1", "--provisioning-workers", "1"],
        cwd=ROOT, env={k: v for k, v in env.items() if k != "PORTAL_VAR_DIR"},
        capture_output=True, text=True, timeout=1800)

    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    text = report.read_text()
    assert text.startswith("# Benchmarks, one run (")
    assert "at the start," in text and "at the end" in text  # the load average, both ends
    headings = [line for line in text.splitlines() if line.startswith("## ")]
    assert [h[3:].split(" (")[0] for h in headings] == SECTIONS
    assert "Failed" not in text
    # Each bench's own figures are in its section.
    assert "| dashboard |" in text and "| audit (Django admin) |" in text  # pages
    assert "| portal `/audit/export.csv` |" in text and "| baseline |" in text  # export
    assert "per-account:" in text and "lease:" in text and "budget:" in text
    assert "throughput, provisioning: 2 approvals handed off 1 a second" in text
    if shutil.which("wrk"):
        assert "| 2 |" in text  # the throughput table's row at 2 connections
    else:
        assert "Skipped: `wrk` is not installed." in text
    # Progress is printed as it goes.
    assert "[run_all] provisioning: done" in done.stdout
    # One migrate for the three benches that make their own rows: each gets a copy.
    assert done.stdout.count("an empty SQLite database migrated in") == 1


def test_an_unknown_bench_is_refused_before_anything_runs(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "bench/run_all.py", "--report", str(tmp_path / "r.md"),
         "--only", "pagez"], cwd=ROOT, env=_env(tmp_path), capture_output=True, text=True)

    assert done.returncode == 2 and "no bench named pagez" in done.stderr
    assert not (tmp_path / "r.md").exists()


def test_the_benches_own_sqlite_databases_are_copies_of_one_migrated_database(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The migrate child runs once per run (it is ~7 s of CPU); each bench gets its own copy,
    removed afterwards. (The first test runs the real child.)"""
    monkeypatch.syspath_prepend(str(ROOT / "bench"))
    import run_all

    children: list[dict[str, str]] = []

    def migrate(command: list[str], **options: Any) -> None:
        assert "bench_django.django_start(" in command[-1] and options["check"]
        children.append(options["env"])
        Path(options["env"]["DATABASE_URL"].removeprefix("sqlite:///")).write_text("migrated")

    monkeypatch.setattr(run_all.subprocess, "run", migrate)
    urls = []
    for name in ("reconcile", "sweeps"):
        with run_all.own_database(f"sqlite:///{tmp_path / 'seeded.sqlite3'}", name,
                                  scratch=tmp_path) as url:
            copy = Path(url.removeprefix("sqlite:///"))
            assert copy.read_text() == "migrated" and copy.parent == tmp_path
            copy.write_text("rows of this bench")
            urls.append(url)
        assert not copy.exists()

    assert len(children) == 1
    assert children[0]["DATABASE_URL"] == f"sqlite:///{tmp_path / 'migrated-empty.sqlite3'}"
    assert "DJANGO_SETTINGS_MODULE" not in children[0]
    assert len(set(urls)) == 2
    assert (tmp_path / "migrated-empty.sqlite3").read_text() == "migrated"
