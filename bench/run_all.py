"""Every benchmark in one run, against one seeded database, into one Markdown report (issue 16).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_copy \\
        .venv/bin/python bench/run_all.py --report bench-report.md

DATABASE_URL names a database seeded by ``bench/volume.py`` — a copy (``CREATE DATABASE … TEMPLATE
bench_volume``): the audit export writes its ``audit.exported`` events into it. In order:

1. ``pages``: ``bench_pages`` (every page and API list beside the baseline);
2. ``throughput``: ``bench_throughput`` (gunicorn as the image runs it, wrk at 10/50/100);
3. ``audit export``: ``bench_audit_export`` (the whole trail, streamed, beside the baseline);
4. ``reconcile``: ``bench_reconcile`` at 20,000 environments (10 accounts × 20 projects × 100);
5. ``sweeps``: ``bench_sweeps`` (lease, budget, schedules over 20,000 environments);
6. ``provisioning``: ``bench_provisioning`` with the throughput run's approvals handed off at
   ``--provisioning-rate`` a second (a rate two workers sustain; handing 60 off at once, the
   script's default, measures the queue, not the portal).

1–3 read the seeded rows. 4–6 make their own rows (a fleet behind the fake AWS, budgeted
projects, a synced demo catalog) and assert on them, so each runs in an empty database of its
own next to the seeded one (PostgreSQL: ``<name>_run_<bench>``, created and dropped here; SQLite:
a temporary file, a copy of one empty database the run migrates once, so that each bench's own
``migrate`` has nothing left to apply). Each bench runs in its own process (Django is set up once
per process, each bench with its own settings) through its ``main(argv)``; its output is echoed
as it comes and kept for the report: the date, the machine, the load average at the start and end
of the run and of each bench, and each bench's tables. ``--only NAME`` (repeatable) runs some of
them.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent

_CHILD = (
    "import sys; sys.path[:0] = [{root!r}, {bench!r}]; import {module}; {module}.main(sys.argv[1:])"
)
_MIGRATE = (
    "import sys; sys.path[:0] = [{root!r}, {bench!r}]; import bench_django; "
    "bench_django.django_start('run-all-migrate'); "
    "from django.db import connections; connections.close_all()"  # WAL folded into the file
)


@dataclass(frozen=True)
class Bench:
    name: str
    module: str
    argv: list[str]
    own_database: bool  # makes its own rows: an empty database of its own
    needs: str = ""  # a program on PATH it needs, else the section says it was skipped


def benches(options: argparse.Namespace) -> list[Bench]:
    o = options
    return [
        Bench("pages", "bench_pages", ["--runs", str(o.pages_runs), "--warmup", "2"], False),
        Bench(
            "throughput",
            "bench_throughput",
            ["--connections", o.connections, "--seconds", str(o.throughput_seconds)],
            False,
            needs="wrk",
        ),
        Bench("audit export", "bench_audit_export", ["--runs", str(o.export_runs)], False),
        Bench(
            "reconcile",
            "bench_reconcile",
            [
                "--accounts",
                str(o.reconcile_accounts),
                "--projects",
                str(o.reconcile_projects),
                "--environments",
                str(o.reconcile_environments),
                "--baseline-projects",
                str(o.reconcile_baseline_projects),
            ],
            True,
        ),
        Bench(
            "sweeps",
            "bench_sweeps",
            [
                "--environments",
                str(o.sweep_environments),
                "--projects",
                str(o.sweep_projects),
                "--due",
                str(o.sweep_due),
            ],
            True,
        ),
        Bench(
            "provisioning",
            "bench_provisioning",
            [
                "--latency",
                str(o.provisioning_latency),
                "--throughput",
                str(o.provisioning_throughput),
                "--rate",
                str(o.provisioning_rate),
                "--workers",
                str(o.provisioning_workers),
            ],
            True,
        ),
    ]


def load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f} / {five:.2f} / {fifteen:.2f}"


def sqlite_migrated(directory: Path) -> Path:
    """An empty SQLite database in ``directory``, migrated (once: later calls find it there).

    Migrating renders the model state of every migration, about 7 s of CPU; a copy of the
    migrated file is the same empty database, and its bench's ``migrate`` is a no-op."""
    path = directory / "migrated-empty.sqlite3"
    if not path.exists():
        env = {k: v for k, v in os.environ.items() if k not in ("DJANGO_SETTINGS_MODULE", "DEBUG")}
        env |= {"DATABASE_URL": f"sqlite:///{path}", "PORTAL_VAR_DIR": str(directory)}
        code = _MIGRATE.format(root=str(ROOT), bench=str(BENCH))
        begin = time.monotonic()
        subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, check=True)
        print(
            f"[run_all] an empty SQLite database migrated in {time.monotonic() - begin:.0f} s, "
            "copied for each bench that makes its own rows",
            flush=True,
        )
    return path


@contextmanager
def own_database(seeded: str, name: str, *, scratch: Path) -> Iterator[str]:
    """An empty database for a bench that makes its own rows; its URL. SQLite: a copy of the
    run's migrated empty database (``sqlite_migrated``) in ``scratch``."""
    if not seeded.startswith(("postgres://", "postgresql://")):
        copy = scratch / f"{name.replace(' ', '_')}.sqlite3"
        shutil.copyfile(sqlite_migrated(scratch), copy)
        try:
            yield f"sqlite:///{copy}"
        finally:
            copy.unlink(missing_ok=True)
        return
    import psycopg

    base, _, seeded_name = seeded.rpartition("/")
    database = f"{seeded_name}_run_{name.replace(' ', '_')}"
    with psycopg.connect(f"{base}/postgres", autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{database}"')
        admin.execute(f'CREATE DATABASE "{database}"')
    try:
        yield f"{base}/{database}"
    finally:
        with psycopg.connect(f"{base}/postgres", autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')


def run(bench: Bench, database_url: str) -> tuple[int, list[str]]:
    """Run one bench in its own process, echoing its output; (exit status, output lines)."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DATABASE_URL", "PORTAL_VAR_DIR", "DJANGO_SETTINGS_MODULE", "DEBUG")
    }
    env["PORTAL_VAR_DIR"] = tempfile.mkdtemp(prefix=f"run-all-{bench.module}-")
    if database_url:
        env["DATABASE_URL"] = database_url
    code = _CHILD.format(root=str(ROOT), bench=str(BENCH), module=bench.module)
    process = subprocess.Popen(
        [sys.executable, "-u", "-c", code, *bench.argv],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert process.stdout is not None
    lines = []
    for line in process.stdout:
        print(f"[{bench.name}] {line}", end="", flush=True)
        lines.append(line.rstrip("\n"))
    return process.wait(), lines


# gunicorn's own INFO lines (started, booting worker, exiting): in the console, not the report.
_SERVER_INFO = re.compile(r"^\[\d{4}-\d\d-\d\d [^]]*\] \[\d+\] \[INFO\] ")


def markdown(lines: list[str]) -> str:
    """Markdown tables as they are, every other line in a text block (gunicorn's INFO lines
    left out)."""
    out: list[str] = []
    text: list[str] = []
    lines = [line for line in lines if not _SERVER_INFO.match(line)]

    def flush() -> None:
        if text:
            out.extend(["```text", *text, "```", ""])
            text.clear()

    for line in lines:
        if line.startswith("|"):
            flush()
            out.append(line)
        else:
            if out and out[-1].startswith("|"):
                out.append("")
            text.append(line)
    flush()
    return "\n".join(out).rstrip() + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument(
        "--report",
        type=Path,
        default=Path("bench-report.md"),
        help="the Markdown report's path (bench-report.md)",
    )
    parser.add_argument(
        "--only",
        action="append",
        default=[],
        help="run only this bench (pages, throughput, audit export, reconcile, "
        "sweeps, provisioning); repeatable",
    )
    parser.add_argument("--pages-runs", type=int, default=10)
    parser.add_argument("--connections", default="10,50,100")
    parser.add_argument("--throughput-seconds", type=int, default=20)
    parser.add_argument("--export-runs", type=int, default=1)
    parser.add_argument("--reconcile-accounts", type=int, default=10)
    parser.add_argument("--reconcile-projects", type=int, default=20)
    parser.add_argument("--reconcile-environments", type=int, default=100)
    parser.add_argument("--reconcile-baseline-projects", type=int, default=10)
    parser.add_argument("--sweep-environments", type=int, default=20_000)
    parser.add_argument("--sweep-projects", type=int, default=20)
    parser.add_argument("--sweep-due", type=int, default=2_000)
    parser.add_argument("--provisioning-latency", type=int, default=20)
    parser.add_argument("--provisioning-throughput", type=int, default=60)
    parser.add_argument(
        "--provisioning-rate",
        type=float,
        default=0.3,
        help="approvals a second in the throughput run (0.3: under the 0.5 a "
        "second two workers managed end to end, README)",
    )
    parser.add_argument("--provisioning-workers", type=int, default=2)
    options = parser.parse_args(argv)
    seeded = os.environ.get("DATABASE_URL", "")
    chosen = [b for b in benches(options) if not options.only or b.name in options.only]
    unknown = set(options.only) - {b.name for b in benches(options)}
    if unknown:
        parser.error(f"no bench named {', '.join(sorted(unknown))}")
    started, load_start = datetime.now(UTC), load()
    sections, failed = [], []
    scratch = Path(tempfile.mkdtemp(prefix="run-all-databases-"))
    for bench in chosen:
        print(
            f"[run_all] {bench.name}: starting ({len(sections) + 1}/{len(chosen)}), "
            f"load average {load()}",
            flush=True,
        )
        begin, section_load = time.monotonic(), load()
        header = f"## {bench.name} (`bench/{bench.module}.py {' '.join(bench.argv)}`)\n\n"
        if bench.needs and not shutil.which(bench.needs):
            sections.append(header + f"Skipped: `{bench.needs}` is not installed.\n")
            print(f"[run_all] {bench.name}: skipped ({bench.needs} missing)", flush=True)
            continue
        if bench.own_database:
            with own_database(seeded, bench.name, scratch=scratch) as url:
                status, lines = run(bench, url)
        else:
            status, lines = run(bench, seeded)
        seconds = time.monotonic() - begin
        if status:
            failed.append(bench.name)
        sections.append(
            header + f"{seconds:.0f} s; load average (1 / 5 / 15 min) {section_load} at its "
            f"start, {load()} at its end"
            + ("" if bench.own_database else "; the seeded database")
            + (f". **Failed** (exit status {status})." if status else ".")
            + "\n\n"
            + markdown(lines)
        )
        print(
            f"[run_all] {bench.name}: {'FAILED' if status else 'done'} in {seconds:.0f} s",
            flush=True,
        )
    database = seeded.rpartition("/")[2] if seeded else "SQLite (a temporary file)"
    report = (
        f"# Benchmarks, one run ({started:%Y-%m-%d %H:%M} UTC)\n\n"
        f"- machine: {platform.node()}, {os.cpu_count()} cores, {platform.platform()}, "
        f"Python {platform.python_version()}\n"
        f"- seeded database: {database}\n"
        f"- load average (1 / 5 / 15 min): {load_start} at the start, {load()} at the end\n"
        f"- took {(datetime.now(UTC) - started).total_seconds() / 60:.1f} minutes"
        + (f"; failed: {', '.join(failed)}" if failed else "")
        + "\n\n"
        + "\n".join(sections)
    )
    shutil.rmtree(scratch, ignore_errors=True)
    options.report.write_text(report, encoding="utf-8")
    print(f"[run_all] report: {options.report}", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
