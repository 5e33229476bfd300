"""Modules talk through public names: no product module imports another module's ``_private``
name, or reaches into an imported module for one (``module._helper``). A helper another module
needs is part of its module's documented API, under a public name."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ["config", "portal", "catalog", "approvals", "provisioning", "quotas", "leases",
            "guardrails", "identity", "fakeaws", "scripts"]


def _private(name: str) -> bool:
    return name.startswith("_") and not name.startswith("__")


def private_uses(source: str, where: str) -> list[str]:
    """``from m import _x`` and ``m._x`` (``m`` a name this source imports) in ``source``."""
    tree = ast.parse(source)
    imported: set[str] = set()
    found: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported.update((alias.asname or alias.name).split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            for alias in node.names:
                imported.add(alias.asname or alias.name)
                if _private(alias.name):
                    found.append(f"{where}:{node.lineno} imports {node.module}.{alias.name}")
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and _private(node.attr) \
                and isinstance(node.value, ast.Name) and node.value.id in imported \
                and node.value.id[:1].islower():  # a module or a module-level object, not a class
            found.append(f"{where}:{node.lineno} uses {node.value.id}.{node.attr}")
    return sorted(found, key=lambda line: int(line.split(":")[1].split()[0]))


def test_the_check_finds_both_kinds_of_private_use() -> None:
    source = ("from approvals.services import _locked\nimport provisioning.services as ps\n"
              "from portal import logs\nclass Model:\n    pass\n"
              "ps._fail()\nlogs._secrets_var\nModel._meta\nself_ = 1\n")
    assert private_uses(source, "m.py") == [
        "m.py:1 imports approvals.services._locked", "m.py:6 uses ps._fail",
        "m.py:7 uses logs._secrets_var"]


def test_no_product_module_uses_another_modules_private_names() -> None:
    found = []
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            if "migrations" not in path.parts:
                found += private_uses(path.read_text(), str(path.relative_to(ROOT)))
    assert found == []
