"""``{% panels "slot" %}``: the panels other apps registered for a slot (``portal.panels``)."""

from __future__ import annotations

from django import template
from django.utils.safestring import SafeString

from portal.panels import panels_render

register = template.Library()


@register.simple_tag(takes_context=True)
def panels(context: template.Context, slot: str) -> SafeString:
    request = context.get("request")
    if request is None:
        return SafeString("")
    return panels_render(slot, request, {str(k): v for k, v in context.flatten().items()})
