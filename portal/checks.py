"""System checks: run by `manage.py check` (and `check --deploy`), `migrate` and `runserver`."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, register


@register()
def parameter_key_check(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """Without PORTAL_PARAMETER_KEY no NoEcho value can be sealed: refuse to run (DEBUG off)."""
    if getattr(settings, "PORTAL_PARAMETER_KEYS", None):
        return []
    return [Error(
        "PORTAL_PARAMETER_KEY must be set when DEBUG is off: it encrypts NoEcho parameter "
        "values at rest.",
        hint="Generate one with `python -c 'from cryptography.fernet import Fernet; "
             "print(Fernet.generate_key().decode())'` and keep it with SECRET_KEY.",
        id="portal.E001",
    )]
