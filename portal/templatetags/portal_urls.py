"""``{{ key|url_of:"app:route" }}``: ``{% url "app:route" key %}`` for list rows, reversed once
per page (``portal.reversing``)."""

from __future__ import annotations

from django import template

from portal.reversing import reverse_key

register = template.Library()


@register.filter
def url_of(key: object, viewname: str) -> str:
    return reverse_key(viewname, key)
