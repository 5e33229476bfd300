"""scripts/mutation.py (`make mutation`): module selection, seeded samples, one change a mutant."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def mutation() -> ModuleType:
    spec = importlib.util.spec_from_file_location("mutation_script",
                                                  ROOT / "scripts" / "mutation.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules["mutation_script"] = module  # dataclasses look their module up by name
    spec.loader.exec_module(module)
    return module


def test_modules_are_picked_by_glob_or_prefix_and_a_bad_pick_is_refused(
    mutation: ModuleType,
) -> None:
    every = [path for path, _ in mutation.modules_wanted("")]
    assert "catalog/parameters.py" in every and "approvals/services/decide.py" in every
    assert len(every) >= 7
    assert [p for p, _ in mutation.modules_wanted("catalog/parameters.py")] == [
        "catalog/parameters.py"]
    assert {p for p, _ in mutation.modules_wanted("provisioning")} == {
        "provisioning/follow.py", "provisioning/follow_observe.py", "provisioning/services.py",
        "provisioning/provision_run.py"}
    with pytest.raises(SystemExit, match="matches none"):
        mutation.modules_wanted("nowhere/at_all.py")


def test_the_hand_off_module_runs_its_own_tests_on_postgresql_once_and_others_on_sqlite(
    mutation: ModuleType,
) -> None:
    picked = mutation.modules_wanted("approvals/services")
    paths = [p for p, _ in picked]
    assert len(paths) == len(set(paths))  # a module matched by two globs is tested once
    tests = dict(picked)
    assert "tests/approvals/test_request_hand_off_locks.py" in tests[
        "approvals/services/handoff.py"]
    assert tests["approvals/services/decide.py"] == [
        "tests/approvals", "tests/leases/test_lease_terms.py", "tests/quotas/test_request_quota.py"]
    assert mutation.database_of("approvals/services/handoff.py").startswith("postgres://")
    assert mutation.database_of("approvals/services/decide.py") == ""


def test_a_sample_is_the_same_for_the_same_seed_and_differs_for_another(
    mutation: ModuleType,
) -> None:
    mutants = mutation.mutants_of("catalog/parameters.py")
    assert len(set(mutants)) == len(mutants) > 100
    first = mutation.sample(mutants, size=20, seed="0", module="catalog/parameters.py")
    assert first == mutation.sample(mutants, size=20, seed="0", module="catalog/parameters.py")
    assert len(first) == 20 and first == sorted(first, key=mutants.index)  # in source order
    assert first != mutation.sample(mutants, size=20, seed="1", module="catalog/parameters.py")
    assert mutation.sample(mutants, size=0, seed="0", module="m") == mutants
    assert mutation.sample(mutants, size=10_000, seed="0", module="m") == mutants


def test_each_mutant_changes_the_source_once_and_never_the_working_tree(
    mutation: ModuleType,
) -> None:
    path = ROOT / "catalog" / "parameters.py"
    before = path.read_text()
    mutants = mutation.mutants_of("catalog/parameters.py")
    for mutant in mutants[:: max(1, len(mutants) // 10)]:
        mutated = mutation.mutated_source(ROOT, mutant)
        assert mutated != before
        assert mutated.splitlines()[mutant.line_number] != before.splitlines()[mutant.line_number]
    assert path.read_text() == before


def test_the_table_reports_the_score_of_what_was_tested(mutation: ModuleType) -> None:
    score = mutation.Score(module="catalog/parameters.py", total=200, killed=17, survived=2,
                           timeout=1)
    assert score.tested == 20 and score.percent == 90.0
    lines = list(mutation.table([score]))
    assert lines[0].startswith("| module")
    assert lines[2].endswith("| 20/200 |     17 |        2 |       1 |   90 % |")
    assert mutation.Score(module="m").percent == 0.0
