"""``{{ key|url_of:"app:route" }}``: ``{% url "app:route" key %}`` for list rows, reversed once
per page; ``{% url_plain "route" %}``: ``{% url "route" %}`` of a route without arguments,
reversed once per process (``portal.reversing``)."""

from __future__ import annotations

from django import template

from portal.reversing import reverse_key, reverse_plain

register = template.Library()


@register.filter
def url_of(key: object, viewname: str) -> str:
    return reverse_key(viewname, key)


@register.simple_tag
def url_plain(viewname: str) -> str:
    return reverse_plain(viewname)
