"""constraints.txt pins every package pyproject.toml pulls in, at the version installed here."""

from __future__ import annotations

import tomllib
from importlib import metadata
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[2]


def pins() -> dict[str, str]:
    result = {}
    for line in (ROOT / "constraints.txt").read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            name, sep, version = line.partition("==")
            assert sep, f"constraints.txt: {line!r} is not an exact pin (name==version)"
            result[canonicalize_name(name)] = version.strip()
    return result


def declared() -> list[Requirement]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    lines = project["dependencies"] + project["optional-dependencies"]["dev"]
    return [Requirement(line) for line in lines]


def closure(requirements: list[Requirement]) -> dict[str, str]:
    """Every distribution the declared requirements need, with its installed version."""
    found: dict[str, str] = {}
    todo = [(r, frozenset(r.extras)) for r in requirements]
    seen: set[tuple[str, frozenset[str]]] = set()
    while todo:
        requirement, extras = todo.pop()
        name = canonicalize_name(requirement.name)
        if (name, extras) in seen:
            continue
        seen.add((name, extras))
        distribution = metadata.distribution(requirement.name)
        found[name] = distribution.version
        for line in distribution.requires or []:
            dependency = Requirement(line)
            wanted = not dependency.marker or any(
                dependency.marker.evaluate({"extra": extra}) for extra in extras | {""}
            )
            if wanted:
                todo.append((dependency, frozenset(dependency.extras)))
    return found


def test_every_package_the_project_needs_is_pinned_at_the_installed_version() -> None:
    pinned = pins()
    needed = closure(declared())

    assert needed  # the closure found the declared packages, or this test proves nothing
    unpinned = sorted(set(needed) - set(pinned))
    assert not unpinned, f"add to constraints.txt (pip freeze): {unpinned}"
    drifted = {name: (pinned[name], version) for name, version in needed.items()
               if pinned[name] != version}
    assert not drifted, f"installed differs from constraints.txt (pin, installed): {drifted}"


def test_every_declared_requirement_accepts_its_pinned_version() -> None:
    pinned = pins()
    for requirement in declared():
        version = pinned[canonicalize_name(requirement.name)]
        assert requirement.specifier.contains(version, prereleases=True), (requirement, version)
