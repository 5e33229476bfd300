"""Environment checks: callables an app above provisioning registers to refuse provisioning or
starting an environment with a message (quotas does, from its ``AppConfig.ready()``).

Provisioning never imports them. A check is called with the environment locked by the caller's
transaction and the phase (``PHASE_PROVISION``: the provision task, before anything is sent to
AWS; ``PHASE_START``: the owner starts a stopped notebook, by its Start button or by opening it;
``PHASE_UPDATE``: an approved change is about to be applied) and the parameters it would run with
(the environment's own, or the change's); it returns the messages that refuse it (empty: no
objection).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

from portal.registry import Registry
from provisioning.models import Environment
from provisioning.states import InvalidTransition

PHASE_PROVISION = "provision"
PHASE_START = "start"
PHASE_UPDATE = "update"


class EnvironmentRefused(InvalidTransition):
    """A registered check refused the action; the message says why. Nothing was changed."""


class EnvironmentCheck(Protocol):
    def __call__(self, environment: Environment, phase: str,
                 parameters: Mapping[str, Any], /) -> list[str]: ...


_checks: Registry[EnvironmentCheck] = Registry("environment checks")


def environment_check_register(check: EnvironmentCheck) -> None:
    """Register a check; registering one twice keeps one."""
    _checks.register(check)


def environment_checks() -> list[EnvironmentCheck]:
    """The registered checks (a copy)."""
    return list(_checks)


def environment_refusals(environment: Environment, *, phase: str,
                         parameters: Mapping[str, Any] | None = None) -> list[str]:
    """Every registered check's refusals for ``phase`` (empty: it may go ahead); ``parameters``
    default to the environment's own."""
    values = dict(environment.parameters or {}) if parameters is None else parameters
    return [message for check in _checks for message in check(environment, phase, values)]


def environment_refuse_unless_allowed(environment: Environment, *, phase: str) -> None:
    """Raise ``EnvironmentRefused`` with the checks' messages when any refuses."""
    refusals = environment_refusals(environment, phase=phase)
    if refusals:
        raise EnvironmentRefused(" ".join(refusals))
