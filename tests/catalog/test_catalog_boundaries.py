"""Dependencies point one way: provisioning → approvals → catalog → portal."""

from __future__ import annotations

import ast
from pathlib import Path

import catalog


def test_the_catalog_never_imports_approvals_or_provisioning() -> None:
    offenders = []
    for path in Path(catalog.__file__).parent.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            offenders += [f"{path.name}: {n}" for n in names
                          if n.split(".")[0] in {"approvals", "provisioning"}]
    assert offenders == []
