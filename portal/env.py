"""Typed readers for settings taken from the environment.

Every helper names the variable in its error so a misconfigured deployment says exactly what to fix.
"""

from __future__ import annotations

import os

from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool = False) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, got {raw!r}")


def env_int(name: str, default: int, *, minimum: int | None = None) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, got {raw!r}") from None
    if minimum is not None and value < minimum:
        raise ImproperlyConfigured(f"{name} must be at least {minimum}, got {value}")
    return value


def env_list(name: str, default: str = "", sep: str = ",") -> list[str]:
    return [part.strip() for part in os.environ.get(name, default).split(sep) if part.strip()]


def env_mapping(name: str, default: str = "") -> dict[str, list[str]]:
    """Parse ``key=a,b;key2=c`` into ``{"key": ["a", "b"], "key2": ["c"]}``."""
    result: dict[str, list[str]] = {}
    for pair in env_list(name, default, sep=";"):
        key, sep, values = pair.partition("=")
        if not sep or not key.strip():
            raise ImproperlyConfigured(
                f"{name} must look like 'role=group1,group2;role2=group3', got {pair!r}"
            )
        result.setdefault(key.strip(), []).extend(v.strip() for v in values.split(",") if v.strip())
    return result


def env_required(name: str, *, why: str) -> str:
    value = os.environ.get(name, "").strip()
    if not value:
        raise ImproperlyConfigured(f"{name} must be set {why}")
    return value
