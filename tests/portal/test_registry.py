"""The one registry (portal/registry.py) every app plugs its callables into an app below with."""

from __future__ import annotations

import ast
from pathlib import Path

from approvals.services import hand_off_handlers, request_checks
from guardrails.checks import request_guardrail_check
from portal.registry import Registry
from provisioning.services import environment_provision

ROOT = Path(__file__).resolve().parents[2]
APPS = ["portal", "catalog", "approvals", "provisioning", "quotas", "leases", "guardrails",
        "identity"]
# ``*_register`` functions that do not register callables: audit action names (a set of
# strings the audit filter lists) and a request's secrets to scrub from its log lines.
NOT_CALLABLE_REGISTRIES = {"portal/audit_actions.py:audit_actions_register",
                           "portal/logs.py:secret_register"}


def first() -> None:
    """A registered callable."""


def second() -> None:
    """Another."""


def test_it_keeps_the_registration_order_and_one_of_each() -> None:
    hooks: Registry[object] = Registry("test hooks")
    assert list(hooks) == [] and len(hooks) == 0 and not hooks
    hooks.register(second)
    hooks.register(first)
    hooks.register(second)
    assert list(hooks) == [second, first] and len(hooks) == 2
    assert first in hooks and (lambda: None) not in hooks
    assert repr(hooks) == "<Registry test hooks: 2 registered>"


def test_what_is_registered_during_a_run_waits_for_the_next_run() -> None:
    hooks: Registry[object] = Registry("test hooks")
    ran: list[object] = []

    def registering() -> None:
        hooks.register(first)

    hooks.register(registering)
    for hook in hooks:
        ran.append(hook)
        hook()  # type: ignore[operator]
    assert ran == [registering]
    assert list(hooks) == [registering, first]


def test_the_apps_register_through_it_from_their_ready() -> None:
    assert environment_provision in hand_off_handlers()
    assert request_guardrail_check in request_checks()


def _register_functions() -> list[tuple[str, ast.FunctionDef]]:
    found = []
    for app in APPS:
        for path in sorted((ROOT / app).rglob("*.py")):
            if "migrations" in path.parts:
                continue
            for node in ast.parse(path.read_text()).body:
                if isinstance(node, ast.FunctionDef) and node.name.endswith("_register"):
                    found.append((f"{path.relative_to(ROOT)}:{node.name}", node))
    return found


def test_every_registry_of_callables_is_a_portal_registry() -> None:
    """No app keeps a hand-written list of hooks: each ``*_register`` adds to a ``Registry``."""
    functions = _register_functions()
    assert len(functions) >= 18  # the scan sees them (a rename would otherwise pass quietly)
    hand_written = [
        where for where, function in functions if where not in NOT_CALLABLE_REGISTRIES
        and not any(isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                    and node.func.attr == "register" for node in ast.walk(function))]
    assert hand_written == []
