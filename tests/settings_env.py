"""The settings config.settings makes of a controlled environment, read in this process.

The settings modules raise at import, so a case about one variable used to start Python with
only that environment and call ``django.setup()`` (about 1.2 s of CPU each, two dozen cases).
Importing ``config.settings`` afresh here with the same environment only runs the same module
code, which is what ``django.setup()`` in a fresh process imports first; the cases that are
about ``manage.py`` itself (its one-line error, ``check --deploy``) still run it in a subprocess.
"""

from __future__ import annotations

import importlib
import os
import sys
from pathlib import Path
from typing import Any, Protocol

import pytest
from django.core.exceptions import ImproperlyConfigured

# config.settings and the modules it star-imports: each reads the environment at import.
SETTINGS_MODULES = ("config.settings", "config.settings_leases", "config.settings_work")


class SettingsFor(Protocol):
    def __call__(self, **env: str) -> dict[str, Any]: ...


def environment_of(tmp_path: Path, **env: str) -> dict[str, str]:
    """config.settings and ``env`` only."""
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(tmp_path),
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "PORTAL_VAR_DIR": str(tmp_path / "var"),
        **env,
    }


def settings_reader(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> SettingsFor:
    """``settings_for(**env)``: the upper-case names of a fresh import of config.settings with
    ``env`` alone, or the ImproperlyConfigured it raises. ``monkeypatch`` puts the process's
    environment and the imported settings modules back afterwards (the suite's own settings were
    read from them long ago, at start-up)."""
    package = importlib.import_module("config")

    def settings_for(**env: str) -> dict[str, Any]:
        for name in list(os.environ):
            monkeypatch.delenv(name)
        for name, value in environment_of(tmp_path, **env).items():
            monkeypatch.setenv(name, value)
        for name in SETTINGS_MODULES:
            if name in sys.modules:
                monkeypatch.delitem(sys.modules, name)
                monkeypatch.delattr(package, name.rsplit(".", 1)[1], raising=False)
        module = importlib.import_module("config.settings")
        return {name: getattr(module, name) for name in dir(module) if name.isupper()}

    return settings_for


def refusal(settings_for: SettingsFor, **env: str) -> str:
    """The message of the ImproperlyConfigured the settings raise at start-up for ``env``."""
    with pytest.raises(ImproperlyConfigured) as refused:
        settings_for(**env)
    return str(refused.value)
