"""The environment state machine: the table, the enforcing function, its docs page, its reach."""

from __future__ import annotations

import ast
import itertools
from pathlib import Path

import pytest

from portal.models import Project
from provisioning import states
from provisioning.models import Environment
from provisioning.states import (
    EDGES,
    TRANSITIONS,
    InvalidTransition,
    environment_status_set,
    states_markdown,
)

Status = Environment.Status
ROOT = Path(__file__).resolve().parents[2]
PAIRS = list(itertools.product(Status, Status))


@pytest.mark.parametrize(("frm", "to"), PAIRS, ids=[f"{a.value}->{b.value}" for a, b in PAIRS])
def test_every_pair_is_either_an_audited_edge_of_the_table_or_refused(
        frm: Status, to: Status, monkeypatch: pytest.MonkeyPatch) -> None:
    audited: list[tuple[str, object, dict[str, str]]] = []

    def audit_record(*, action: str, obj: object, project: object, data: dict[str, str]
                     ) -> None:
        audited.append((action, obj, data))

    monkeypatch.setattr(states, "audit_record", audit_record)
    environment = Environment(status=frm, project=Project(slug="fraud"))
    if (frm, to) in EDGES:
        environment_status_set(environment, to=to)
        assert environment.status == to
        assert audited == [("environment.status_changed", environment,
                            {"from": frm.value, "to": to.value})]
    else:
        with pytest.raises(InvalidTransition, match=f"from {frm.label.lower()} to "
                                                    f"{to.label.lower()}"):
            environment_status_set(environment, to=to)
        assert environment.status == frm  # nothing changed
        assert audited == []


def test_the_drift_the_issue_named_is_fixed_by_explicit_edges() -> None:
    # The launch's start of an out-of-band stopped notebook, and reconcile's recovery.
    assert Status.STOPPED in TRANSITIONS[Status.AVAILABLE]
    assert Status.STARTING in TRANSITIONS[Status.STOPPED]
    assert Status.AVAILABLE in TRANSITIONS[Status.FAILED]
    assert Status.PROVISIONING not in TRANSITIONS[Status.FAILED]  # no faking provisioning
    assert TRANSITIONS[Status.TERMINATED] == frozenset()
    assert all(why.strip() for why in EDGES.values())
    assert all(frm != to for frm, to in EDGES)


def test_the_docs_page_is_the_rendered_table() -> None:
    page = (ROOT / "docs" / "environment-states.md").read_text()
    assert page == states_markdown(), (
        "docs/environment-states.md is out of date: regenerate it (see provisioning/states.py)")
    for (frm, to), why in EDGES.items():
        assert f"| {frm.value} | {to.value} | {why} |" in page


def _provisioning_sources() -> list[Path]:
    return [p for p in (ROOT / "provisioning").rglob("*.py") if "migrations" not in p.parts]


def test_no_code_but_the_enforcing_function_assigns_an_environments_status() -> None:
    offenders = []
    for path in _provisioning_sources():
        if path.name == "states.py" or "backends" in path.parts:  # backends: AWS-side models
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            targets = node.targets if isinstance(node, ast.Assign) else (
                [node.target] if isinstance(node, ast.AugAssign | ast.AnnAssign) else [])
            for target in targets:
                if isinstance(target, ast.Attribute) and target.attr == "status" \
                        and not (isinstance(target.value, ast.Name) and target.value.id == "self"):
                    offenders.append(f"{path.name}:{node.lineno}")
    assert offenders == []


def test_no_private_name_is_imported_across_provisioning_modules() -> None:
    offenders = []
    for path in _provisioning_sources():
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("provisioning"):
                offenders += [f"{path.name}: {a.name}" for a in node.names
                              if a.name.startswith("_")]
    assert offenders == []
