"""``{% site_menu %}`` and ``{% menu_count %}``: the signed-in frame of base.html and the badge
fragment, written by ``portal.frame`` from the context the project's navigation context
processor gives.
A context without it (a template rendered outside a request) shows what the former template
showed for missing variables: empty links and no count."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, cast

from django import template
from django.utils.safestring import SafeString

from portal.frame import NOTHING_WAITING, menu_count_html, site_menu_html, static_url

register = template.Library()


def _urls(context: template.Context) -> Mapping[str, str]:
    return cast(Mapping[str, str], context.get("frame_urls", {}))


def _count(context: template.Context, urls: Mapping[str, str]) -> SafeString:
    waiting: Any = context.get("menu_waiting", NOTHING_WAITING)
    poll_seconds: Any = context.get("menu_poll_seconds", "")
    return menu_count_html(waiting=waiting, urls=urls, poll_seconds=poll_seconds)


@register.simple_tag(takes_context=True)
def menu_count(context: template.Context) -> SafeString:
    return _count(context, _urls(context))


@register.simple_tag(takes_context=True)
def site_menu(context: template.Context) -> SafeString:
    user = context["user"]
    urls = _urls(context)
    return site_menu_html(nav_links=context.get("nav_links", ""), count=_count(context, urls),
                          username=user.username, display_name=user.display_name,
                          role_labels=user.role_labels, logout_url=urls.get("account_logout", ""),
                          csrf_token=context.get("csrf_token"))


@register.simple_tag
def static_kept(path: str) -> SafeString:
    """``{% static path %}``, its URL asked once per process (``portal.frame.static_url``)."""
    return static_url(path)
