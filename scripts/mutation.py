"""Mutation testing of the core modules with mutmut's operators and a targeted test run per module.

``make mutation`` runs it; environment variables choose what runs:

- ``MODULES``: comma-separated module globs or prefixes (``catalog/parameters.py``,
  ``approvals``); default every module in ``TARGETS``.
- ``SAMPLE``: test only N mutants per module, drawn with ``SEED`` (default 0), so the same N and
  seed test the same mutants every run (as long as the module's source is the same);
  ``SAMPLE=0`` or unset: every mutant.
- ``SHOW_SURVIVORS=1``: print the diff of each surviving mutant.
- ``ONLY``: comma-separated mutant ids (``<line>.<index>``, printed for each survivor) to test
  only those of the sample, e.g. the survivors of the last run after tests were added for them.
- ``TESTS``: space-separated test files (and pytest options) to run instead of the module's own,
  e.g. the tests just written for last run's survivors (with ``ONLY``): a mutant they kill is
  killed by the module's own list too, when they are part of it.
- ``SELECT_TESTS``: ``coverage`` (default) runs, for each mutant, only the tests that execute its
  line (found by running the module's test files once under coverage, see
  ``scripts/mutation_select.py``); ``all`` runs all of the module's test files for every mutant.
  The outcome is the same either way (a test that never runs a line cannot fail because of it);
  ``coverage`` is several times faster.

Mutants come from mutmut 2.x (``mutmut.Context`` / ``mutmut.mutate``: the operators ``mutmut run``
applies, decorated functions included). Each one is written into a private copy of the tree in a
temporary directory and that module's test files run there with ``pytest -x``, so a mutant costs
seconds, not the whole suite, and the working tree is never written: stopping the run at any
point (Ctrl-C included) leaves the sources as they were. The copy is removed on exit.
"""

from __future__ import annotations

import difflib
import fnmatch
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))  # for mutation_select, next to this one
from mutation_select import (  # noqa: E402
    CONTEXT_PLUGIN,
    EVERY_TEST,
    LineTests,
    annotation_only,
)

ROOT = Path(__file__).resolve().parents[1]

# Module glob → the test files that exercise it (and pytest options, if any). Globs, so a module
# that is split keeps its tests (approvals/services.py may become approvals/services_*.py).
# The lists are the test directories that exercise the module (found with coverage contexts)
# minus files that test other things slowly (settings, gunicorn, docker compose, the real worker,
# which also fails under a loaded machine's timing); with SELECT_TESTS=coverage a mutant runs only
# the tests of its line, so a long list costs one baseline run, shared by the modules with it.
# The lease terms and the quota refusal of a request are checked by approvals/services/validate.py
# and create.py, and tested with the leases and quotas apps.
_APPROVALS = ["tests/approvals", "tests/leases/test_lease_terms.py",
              "tests/quotas/test_request_quota.py"]
_PROVISIONING = [
    "--ignore=tests/provisioning/test_worker_end_to_end.py",
    "--ignore=tests/provisioning/test_aws_settings.py", "tests/provisioning",
]
_PORTAL = [
    "--ignore=tests/portal/test_settings.py", "--ignore=tests/portal/test_gunicorn_keepalive.py",
    "--ignore=tests/portal/test_docker_compose.py", "--ignore=tests/portal/test_packaging.py",
    "tests/portal",
]
_PROVISIONING_CORE = ["--no-migrations"] + [f"tests/provisioning/test_{name}.py" for name in (
    "environment_provision", "environment_provision_run", "environment_provision_records",
    "environment_lifecycle", "aws_role_unreachable", "sealed_parameters",
    "guardrails_before_aws", "quota_at_provision_and_start", "request_environment_links",
    "names_and_tags", "provision_run_sent", "services_bookkeeping",
    "provision_run_notes")]
TARGETS: dict[str, list[str]] = {
    # handoff.py first: its own tests on PostgreSQL (DATABASES below), where its row lock is
    # observable; the other approvals services take the approvals directory on SQLite.
    "approvals/services/handoff.py": [
        "--reuse-db", "tests/approvals/test_request_hand_off.py",
        "tests/approvals/test_request_hand_off_locks.py",
    ],
    "approvals/services/*.py": _APPROVALS,
    "approvals/policies.py": _APPROVALS,
    # --no-migrations (pytest-django: tables straight from the models) saves ~2 s a mutant where
    # no test needs a data migration.
    "catalog/parameters.py": [
        "--no-migrations", "tests/catalog/test_parameters_validate.py",
        "tests/catalog/test_parameter_types.py", "tests/catalog/test_catalog_curation.py",
        "tests/catalog/test_parameter_effective_rules.py",
    ],
    "provisioning/follow.py": _PROVISIONING,
    "provisioning/follow_observe.py": _PROVISIONING,
    # The whole provisioning directory puts ~128 tests (minutes on a loaded machine) behind each
    # mutant of a widely run line: the files that call the functions of provisioning/services.py
    # and of provisioning/provision_run.py, split from it (provision, run, lifecycle, failure,
    # tags, parameters, quota and guardrail checks) are enough to kill their mutants, and need no
    # data migration.
    "provisioning/services.py": _PROVISIONING_CORE,
    "provisioning/provision_run.py": _PROVISIONING_CORE,
    "portal/services.py": _PORTAL,
    "portal/sso.py": _PORTAL,
}
# Module glob → the database its tests run on (DATABASE_URL; default: the SQLite test database).
# SQLite has no SELECT … FOR UPDATE, so what handoff.py locks (and a mutant of its `of=`) is only
# visible on PostgreSQL. MUTATION_DATABASE_URL overrides the URL; --reuse-db (in its TARGETS)
# keeps pytest-django's test database between the mutants' runs (the schema is the same).
DATABASES: dict[str, str] = {
    "approvals/services/handoff.py": os.environ.get(
        "MUTATION_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/test_mutation"),
}
# Not copied into the scratch tree: version control, caches and run-time state.
IGNORED = shutil.ignore_patterns(".git", ".venv", "__pycache__", "*.pyc", ".pytest_cache",
                                 ".mypy_cache", ".ruff_cache", ".mutmut-cache", "node_modules",
                                 "staticfiles", "*.sqlite3")
PYTEST_ARGS = ["-x", "-q", "-p", "no:cacheprovider", "--no-header", "-o", "addopts="]
MIN_TIMEOUT_SECONDS = 30.0


@dataclass(frozen=True)
class Mutant:
    path: str  # relative to the root
    line_number: int  # 0-based, as mutmut counts
    line: str
    index: int


@dataclass
class Score:
    module: str
    total: int = 0
    killed: int = 0
    survived: int = 0
    timeout: int = 0
    survivors: list[str] = field(default_factory=list)
    equivalent: int = 0  # annotation-only mutants: left out of tested and of the score
    coverage: str = ""  # branch coverage of the module by its tests (SELECT_TESTS=coverage)

    @property
    def tested(self) -> int:
        return self.killed + self.survived + self.timeout

    @property
    def percent(self) -> float:
        # A mutant that hangs the tests is detected, as mutmut itself counts it.
        return 100.0 * (self.killed + self.timeout) / self.tested if self.tested else 0.0


def modules_wanted(spec: str) -> list[tuple[str, list[str]]]:
    """The (module path, test files) pairs selected by ``MODULES`` (globs or prefixes)."""
    wanted = [s.strip() for s in spec.split(",") if s.strip()]
    chosen: list[tuple[str, list[str]]] = []
    for pattern, tests in TARGETS.items():  # a module takes the first glob that matches it
        for path in sorted(ROOT.glob(pattern)):
            relative = path.relative_to(ROOT).as_posix()
            if relative in (c for c, _ in chosen):
                continue
            if not wanted or any(fnmatch.fnmatch(relative, w) or relative.startswith(w)
                                 for w in wanted):
                chosen.append((relative, tests))
    if wanted and not chosen:
        raise SystemExit(f"MODULES={spec!r} matches none of: {', '.join(TARGETS)}")
    return chosen


def database_of(relative: str) -> str:
    """The DATABASE_URL the module's tests run with ("": the default SQLite test database)."""
    return next((url for pattern, url in DATABASES.items() if fnmatch.fnmatch(relative, pattern)),
                "")


def mutants_of(relative: str) -> list[Mutant]:
    from mutmut import Context, list_mutations

    context = Context(filename=str(ROOT / relative))
    return [Mutant(relative, m.line_number, m.line, m.index) for m in list_mutations(context)]


def mutated_source(root: Path, mutant: Mutant) -> str:
    from mutmut import Context, RelativeMutationID, mutate

    source = (root / mutant.path).read_text()
    context = Context(
        source=source, filename=mutant.path,
        mutation_id=RelativeMutationID(line=mutant.line, index=mutant.index,
                                       line_number=mutant.line_number, filename=mutant.path),
    )
    mutated: str
    count: int
    mutated, count = mutate(context)
    if count != 1:
        raise RuntimeError(f"mutant {mutant} applied {count} times")
    return mutated


def mutant_id(mutant: Mutant) -> str:
    """``<line>.<index>`` (1-based line): which mutant of the module, as ``ONLY`` names it."""
    return f"{mutant.line_number + 1}.{mutant.index}"


def sample(mutants: list[Mutant], *, size: int, seed: str, module: str) -> list[Mutant]:
    """The same ``size`` mutants for the same seed and source; all of them when size is 0."""
    if size <= 0 or size >= len(mutants):
        return mutants
    rng = random.Random(f"{seed}:{module}")  # str seeds hash the same way in every process
    picked = sorted(rng.sample(range(len(mutants)), size))
    return [mutants[i] for i in picked]


def run_tests(scratch: Path, tests: list[str], timeout: float, *,
              coverage_of: str = "", data_file: str = "", database: str = "") -> str:
    """'passed', 'failed' or 'timeout' for one run of the test files in the scratch tree; with
    ``coverage_of``, under coverage of that module, each test in its own context."""
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1", "PYTHONHASHSEED": "0"}
    if database:
        env["DATABASE_URL"] = database
    runner = [sys.executable, "-m", "pytest"]
    if coverage_of:  # the context plugin lives in scripts/, next to this script
        env["PYTHONPATH"] = os.pathsep.join([str(scratch / "scripts"), env.get("PYTHONPATH", "")])
        runner = [sys.executable, "-m", "coverage", "run", "--branch", f"--data-file={data_file}",
                  f"--include={coverage_of}", "-m", "pytest", "-p", CONTEXT_PLUGIN]
    process = subprocess.Popen(
        [*runner, *PYTEST_ARGS, *tests], cwd=scratch, env=env,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )
    try:
        return "passed" if process.wait(timeout=timeout) == 0 else "failed"
    except subprocess.TimeoutExpired:
        return "timeout"
    finally:
        if process.poll() is None:  # timed out or interrupted: end the run and its children
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


@dataclass
class Scratch:
    path: Path

    @classmethod
    def make(cls) -> Scratch:
        path = Path(tempfile.mkdtemp(prefix="mutation-"))
        shutil.copytree(ROOT, path / "tree", ignore=IGNORED)
        (path / "tree" / "var" / "test").mkdir(parents=True, exist_ok=True)
        return cls(path / "tree")

    def remove(self) -> None:
        shutil.rmtree(self.path.parent, ignore_errors=True)


@dataclass
class Baselines:
    """One run of each test list without mutants (modules sharing their tests share it): the
    tests must pass, their time sets the timeout, and with ``select`` coverage records which test
    runs which line of every chosen module that uses those tests."""

    scratch: Path
    chosen: list[tuple[str, list[str]]]
    select: bool
    timeouts: dict[tuple[str, ...], float] = field(default_factory=dict)

    def timeout(self, tests: list[str], *, covering: str) -> float:
        database = database_of(covering)
        key = (*tests, database)
        if key not in self.timeouts:
            modules = [m for m, t in self.chosen if t == tests and database_of(m) == database]
            started = time.monotonic()
            outcome = run_tests(self.scratch, tests, timeout=3600,
                                coverage_of=",".join(modules) if self.select else "",
                                data_file=str(self.data_file(tests, database)),
                                database=database)
            if outcome != "passed":
                raise SystemExit(f"{covering}: the tests fail without any mutant: "
                                 f"{' '.join(tests)}")
            self.timeouts[key] = max(MIN_TIMEOUT_SECONDS, 3 * (time.monotonic() - started))
        return self.timeouts[key]

    def data_file(self, tests: list[str], database: str) -> Path:
        """The coverage file of the baseline run of ``tests`` (one per test list and database)."""
        lists = list(dict.fromkeys((*t, database_of(m)) for m, t in self.chosen))
        return self.scratch / f".mutation-coverage-{lists.index((*tests, database))}"


def module_score(scratch: Path, relative: str, tests: list[str], mutants: list[Mutant],
                 *, total: int, show: bool, baselines: Baselines, scores: list[Score]) -> None:
    """Test the mutants of one module; its score joins ``scores`` before the first mutant runs,
    so an interrupted run still reports what it tested."""
    score = Score(module=relative, total=total)
    timeout = baselines.timeout(tests, covering=relative)
    options = [t for t in tests if t.startswith("-")]
    database = database_of(relative)
    line_tests = (LineTests(baselines.data_file(tests, database), scratch / relative)
                  if baselines.select else None)
    original = (scratch / relative).read_text()
    print(f"{relative}: {len(mutants)} of {total} mutants, tests: {' '.join(tests)}"
          f"{f', DATABASE_URL={database}' if database else ''}", flush=True)
    if line_tests is not None:
        score.coverage = line_tests.branch_coverage()
        print(f"  branch coverage with these tests: {score.coverage}", flush=True)
    scores.append(score)
    try:
        for number, mutant in enumerate(mutants, start=1):
            chosen = tests
            if line_tests is not None:
                covering = line_tests.covering_tests(mutant.line_number + 1)
                chosen = tests if covering is EVERY_TEST else [*options, *covering]
            mutated = mutated_source(scratch, mutant)
            if annotation_only(original, mutated):
                score.equivalent += 1
                print(f"  [{number}/{len(mutants)}] line {mutant.line_number + 1}: equivalent "
                      "(annotation only; not counted)", flush=True)
                continue
            if chosen == options:  # no test runs the line: nothing can detect the mutant
                outcome, note = "survived", " (not run: no test runs the line)"
            else:
                (scratch / relative).write_text(mutated)
                outcome = {"failed": "killed", "passed": "survived"}.get(
                    run_tests(scratch, chosen, timeout, database=database), "timeout")
                (scratch / relative).write_text(original)
                note = "" if chosen is tests else f" ({len(chosen) - len(options)} tests)"
            if outcome == "killed":
                score.killed += 1
            elif outcome == "timeout":
                score.timeout += 1
            else:
                score.survived += 1
                diff = "".join(difflib.unified_diff(
                    original.splitlines(keepends=True), mutated.splitlines(keepends=True),
                    fromfile=relative, tofile=f"{relative} (mutant)", n=1))
                score.survivors.append(diff)
                if show:
                    print(diff, flush=True)
            print(f"  [{number}/{len(mutants)}] {mutant_id(mutant)} line {mutant.line_number + 1}: "
                  f"{outcome:<8} "
                  f"killed {score.killed} survived {score.survived} timeout {score.timeout}"
                  f"{note}", flush=True)
    finally:
        (scratch / relative).write_text(original)


def table(scores: list[Score]) -> Iterator[str]:
    yield f"| {'module':<28} | tested | killed | survived | timeout | score |"
    yield f"|{'-' * 30}|--------|--------|----------|---------|-------|"
    for s in scores:
        tested = f"{s.tested}/{s.total}"
        yield (f"| {s.module:<28} | {tested:>6} | {s.killed:>6} | {s.survived:>8} | "
               f"{s.timeout:>7} | {s.percent:>4.0f} % |")
    for s in scores:
        yield (f"{s.module}: {s.equivalent} annotation-only mutants left out (equivalent); "
               f"branch coverage by its tests: {s.coverage or 'not measured (SELECT_TESTS=all)'}")


def _stop(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def main() -> int:
    # Ctrl-C and a plain kill both stop cleanly: the running pytest is killed and the scratch
    # copy removed (a shell's background job starts with SIGINT ignored, so set it explicitly).
    signal.signal(signal.SIGINT, _stop)
    signal.signal(signal.SIGTERM, _stop)
    size = int(os.environ.get("SAMPLE") or 0)
    seed = os.environ.get("SEED") or "0"
    show = os.environ.get("SHOW_SURVIVORS", "") not in ("", "0")
    only = {i.strip() for i in os.environ.get("ONLY", "").split(",") if i.strip()}
    select_tests = os.environ.get("SELECT_TESTS") or "coverage"
    if select_tests not in ("coverage", "all"):
        raise SystemExit(f"SELECT_TESTS={select_tests!r}: expected 'coverage' or 'all'")
    chosen = modules_wanted(os.environ.get("MODULES", ""))
    if os.environ.get("TESTS", "").strip():
        chosen = [(module, os.environ["TESTS"].split()) for module, _ in chosen]
    scratch = Scratch.make()
    scores: list[Score] = []
    baselines = Baselines(scratch.path, chosen, select=select_tests == "coverage")
    try:
        for relative, tests in chosen:
            every = mutants_of(relative)
            picked = sample(every, size=size, seed=seed, module=relative)
            if only:
                picked = [m for m in picked if mutant_id(m) in only]
            module_score(scratch.path, relative, tests, picked, total=len(every), show=show,
                         baselines=baselines, scores=scores)
    except KeyboardInterrupt:
        print("\ninterrupted; the scores below cover the mutants tested so far", file=sys.stderr)
    finally:
        scratch.remove()
    print()
    mode = f"sample of {size} per module, seed {seed}" if size > 0 else "every mutant"
    print(f"Mutation scores ({mode}):")
    for line in table(scores):
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
