"""The dependency rule: config → guardrails → leases → quotas → provisioning → approvals → catalog
→ portal.

An app never names an app to its left, neither in an import nor in a string (a dotted path such
as ``"provisioning.tasks.x"``, or a URL name such as ``"catalog:product_list"``), and no app names
``config``: the project wiring knows the apps, the apps do not know the wiring. Templates of an
app obey the same rule for URL names.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CHAIN = ["portal", "catalog", "approvals", "provisioning", "quotas", "leases",  # lowest first
         "guardrails", "identity"]
TOP = "config"


def _above(app: str) -> list[str]:
    return CHAIN[CHAIN.index(app) + 1:] + [TOP]


def _string_names(text: str, names: list[str]) -> list[str]:
    pattern = re.compile(r"(?<![\w.-])(" + "|".join(names) + r")(\.[a-z_]|:[a-z_])")
    return [m.group(0) for m in pattern.finditer(text)]


def _violations(app: str) -> list[str]:
    forbidden = _above(app)
    found: list[str] = []
    for path in sorted((ROOT / app).rglob("*.py")):
        tree = ast.parse(path.read_text(), filename=str(path))
        where = path.relative_to(ROOT)
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                modules = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                modules = [node.module]
            else:
                modules = []
            for module in modules:
                if module.split(".")[0] in forbidden:
                    found.append(f"{where}:{node.lineno} imports {module}")
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                for name in _string_names(node.value, forbidden):
                    found.append(f"{where}:{node.lineno} names {name!r} in a string")
    for path in sorted((ROOT / "templates" / app).rglob("*.html")):
        for name in _string_names(path.read_text(), forbidden):
            found.append(f"{path.relative_to(ROOT)} names {name!r}")
    return found


@pytest.mark.parametrize("app", CHAIN)
def test_an_app_names_no_app_above_it(app: str) -> None:
    assert _violations(app) == []


def test_the_rule_catches_an_import_and_a_string(tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                                                  ) -> None:
    (tmp_path / "portal").mkdir()
    (tmp_path / "portal" / "bad.py").write_text(
        "from provisioning.services import x\nTASK = 'approvals.tasks.sweep'\n"
        "URL = 'catalog:product_list'\nFINE = 'see the catalog: it lists products'\n")
    monkeypatch.setattr(__import__(__name__, fromlist=["ROOT"]), "ROOT", tmp_path)
    assert _violations("portal") == [
        "portal/bad.py:1 imports provisioning.services",
        "portal/bad.py:2 names 'approvals.t' in a string",
        "portal/bad.py:3 names 'catalog:p' in a string",
    ]


def test_the_wiring_lives_in_config() -> None:
    for module in ("settings", "urls", "celery", "schedules", "navigation", "wsgi", "asgi"):
        assert (ROOT / TOP / f"{module}.py").exists(), module
        assert not (ROOT / "portal" / f"{module}.py").exists(), module
