"""Every periodic task of the portal, in one place. Apps add their entries here."""

from __future__ import annotations

from typing import Any


def beat_schedule() -> dict[str, dict[str, Any]]:
    schedule: dict[str, dict[str, Any]] = {
        "portal-forget-expired-assertions": {
            "task": "portal.tasks.saml_assertions_prune",
            "schedule": 3600.0,
        },
    }
    return schedule
