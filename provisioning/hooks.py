"""What apps above provisioning plug in (registered from their ``AppConfig.ready()``).

provisioning never imports them: an app that must act when an environment is created, or show
something on the environment page, registers a callable here (the pattern of
``approvals.services.handoff``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from portal.registry import Registry
from provisioning.models import Environment


@dataclass(frozen=True)
class EnvironmentNote:
    """A line an app adds to the environment page: a label, a text, an optional link."""

    label: str
    text: str
    link_label: str = ""
    link: str = ""


CreatedHook = Callable[[Environment], object]
NoteHook = Callable[[Environment, Any], "list[EnvironmentNote]"]
_created: Registry[CreatedHook] = Registry("environment created hooks")
_notes: Registry[NoteHook] = Registry("environment note hooks")


def environment_created_register(hook: CreatedHook) -> None:
    """Called with each new environment, inside the transaction that creates it."""
    _created.register(hook)


def environment_created(environment: Environment) -> None:
    for hook in list(_created):
        hook(environment)


def environment_notes_register(hook: NoteHook) -> None:
    """Called with (environment, viewing user) for the environment page's extra lines."""
    _notes.register(hook)


def environment_notes(environment: Environment, user: Any) -> list[EnvironmentNote]:
    return [note for hook in list(_notes) for note in hook(environment, user)]
