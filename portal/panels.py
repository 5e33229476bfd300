"""Panels: parts of a page that an app above the page's own app contributes.

The dashboard (portal) and the request form (approvals) show things from apps that they may not
import (quotas shows usage against limits). Those apps register a panel for a slot from their
``AppConfig.ready()``; the page renders the slot with ``{% load panels %}{% panels "slot" %}``.
A panel gets the HTTP request and the page's template context and returns HTML (rendered from
a template, so escaped), or "" for nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

from django.http import HttpRequest
from django.utils.safestring import SafeString

from portal.registry import Registry


class Panel(Protocol):
    def __call__(self, request: HttpRequest, context: Mapping[str, Any], /) -> str: ...


_panels: dict[str, Registry[Panel]] = {}


def panel_register(slot: str, panel: Panel) -> None:
    """Show ``panel`` in ``slot``; registering one twice keeps one."""
    _panels.setdefault(slot, Registry(f"panels of {slot}")).register(panel)


def panels_for(slot: str) -> list[Panel]:
    """The panels of a slot, in registration order (a copy)."""
    return list(_panels.get(slot, ()))


def panels_render(slot: str, request: HttpRequest, context: Mapping[str, Any]) -> SafeString:
    """Every panel of ``slot``, one after the other (their HTML is theirs to escape)."""
    return SafeString("".join(panel(request, context) for panel in panels_for(slot)))
