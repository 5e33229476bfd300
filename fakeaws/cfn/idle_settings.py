"""AWS::SageMaker::UserProfile's idle-shutdown settings, validated as CloudFormation's registry
schema validates them.

Facts (CloudFormation reference, AWS::SageMaker::UserProfile IdleSettings; SageMaker API
reference, IdleSettings): ``UserSettings.JupyterLabAppSettings.AppLifecycleManagement.
IdleSettings`` takes ``LifecycleManagement`` (ENABLED | DISABLED), ``IdleTimeoutInMinutes``,
``MinIdleTimeoutInMinutes`` and ``MaxIdleTimeoutInMinutes`` (integers, each 60 to 525600). An
integer property given as a string of digits (what a ``Ref`` to a Number parameter yields) is
accepted, as CloudFormation converts it; anything else fails the stack.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .errors import TemplateError

PATH = ("UserSettings", "JupyterLabAppSettings", "AppLifecycleManagement", "IdleSettings")
MINUTES = ("IdleTimeoutInMinutes", "MinIdleTimeoutInMinutes", "MaxIdleTimeoutInMinutes")
LOWEST, HIGHEST = 60, 525600


def _failed(logical_id: str, where: str, message: str) -> TemplateError:
    return TemplateError(f"Properties validation failed for resource {logical_id} with "
                         f"message: #/{where}: {message}")


def idle_settings_read(properties: Mapping[str, Any], *, logical_id: str) -> dict[str, Any]:
    """The profile's IdleSettings with integers as integers ({} when it sets none); a value the
    schema refuses raises ``TemplateError``."""
    node: Any = properties
    for depth, key in enumerate(PATH):
        if not isinstance(node, Mapping):
            raise _failed(logical_id, "/".join(PATH[:depth]),
                          "expected type: JSONObject, found: " + type(node).__name__)
        node = node.get(key)
        if node is None:
            return {}
    if not isinstance(node, Mapping):
        raise _failed(logical_id, "/".join(PATH), "expected type: JSONObject")
    where = "/".join(PATH)
    unknown = sorted(set(node) - {"LifecycleManagement", *MINUTES})
    if unknown:
        raise _failed(logical_id, where, f"extraneous key [{unknown[0]}] is not permitted")
    settings: dict[str, Any] = {}
    if "LifecycleManagement" in node:
        value = node["LifecycleManagement"]
        if value not in ("ENABLED", "DISABLED"):
            raise _failed(logical_id, f"{where}/LifecycleManagement",
                          f"{value} is not a valid enum value")
        settings["LifecycleManagement"] = value
    for key in MINUTES:
        if key not in node:
            continue
        raw = node[key]
        if isinstance(raw, bool) or not (isinstance(raw, int) or str(raw).isdigit()):
            raise _failed(logical_id, f"{where}/{key}",
                          f"expected type: Integer, found: {type(raw).__name__}")
        minutes = int(raw)
        if not LOWEST <= minutes <= HIGHEST:
            keyword = "minimum" if minutes < LOWEST else "maximum"
            raise _failed(logical_id, f"{where}/{key}",
                          f"failed validation constraint for keyword [{keyword}]")
        settings[key] = minutes
    return settings
