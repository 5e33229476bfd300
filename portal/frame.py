"""The signed-in part of every page's frame (base.html's site menu and its notification count),
written in one pass in Python, byte for byte what base.html's block and its include wrote
(issue 16: its variable lookups, loop and include were a third of the frame's rendering; tests
render the former template beside it). ``{% site_menu %}`` and ``{% menu_count %}``
(``portal.templatetags.portal_frame``) read the context the project's navigation context
processor gives every page.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Protocol

from django.core.signals import setting_changed
from django.templatetags.static import static
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString

from portal.row_values import cell_text as _text


class Waiting(Protocol):
    """What the badge shows (the navigation's ``Waiting``)."""

    @property
    def total(self) -> int: ...
    @property
    def total_text(self) -> str: ...
    @property
    def tasks_text(self) -> str: ...
    @property
    def unread_text(self) -> str: ...


class _NothingWaiting:
    """No count to show (a context without the navigation's): the badge's texts are empty."""

    total = 0
    total_text = tasks_text = unread_text = ""


NOTHING_WAITING: Waiting = _NothingWaiting()


def menu_count_html(*, waiting: Waiting, urls: Mapping[str, str],
                    poll_seconds: int | str) -> SafeString:
    """The notification link with its count, refreshed by the badge fragment every
    ``poll_seconds`` (``urls``: the frame's links, the navigation's ``FRAME_ROUTES``)."""
    total = _text(waiting.total_text)
    count = (f' <span class="count" data-count="{total}">{total}</span>'
             if waiting.total else "")
    listing, badge = urls.get("notification_list", ""), urls.get("notification_badge", "")
    return SafeString(
        f'<a href="{_text(listing)}" id="menu-count" class="menu-count" '
        f'hx-get="{_text(badge)}" hx-trigger="every {_text(poll_seconds)}s" '
        f'hx-swap="outerHTML" aria-label="Notifications: {total} waiting" '
        f'title="{_text(waiting.tasks_text)} approval task(s) wait for you; '
        f'{_text(waiting.unread_text)} unread notification(s)">Notifications{count}</a>')


def csrf_input(csrf_token: object) -> str:
    """``{% csrf_token %}``'s hidden input for the context's token ("" without one)."""
    if not csrf_token or csrf_token == "NOTPROVIDED":
        return ""
    return f'<input type="hidden" name="csrfmiddlewaretoken" value="{_text(csrf_token)}">'


def site_menu_html(*, nav_links: object, count: str, username: str, display_name: str,
                   role_labels: Iterable[tuple[str, str]], logout_url: str,
                   csrf_token: object) -> SafeString:
    """The menu button, the main navigation (``nav_links``, already safe), the count, who is
    signed in with their role badges, and the sign-out form."""
    badges = "".join(f'<span class="badge" data-role="{_text(role)}">{_text(label)}</span>'
                     for role, label in role_labels)
    return SafeString(
        "\n  <button type=\"button\" class=\"menu-toggle\" id=\"menu-toggle\" "
        "aria-expanded=\"false\" aria-controls=\"site-menu\" hidden>Menu</button>\n"
        "  <div class=\"site-menu\" id=\"site-menu\">\n"
        "  <nav class=\"nav\" aria-label=\"Main\">\n"
        f"    {_text(nav_links)}\n"
        "  </nav>\n"
        "  <div class=\"whoami\">\n"
        f"    {count}\n\n"
        f"    <span class=\"user\" title=\"{_text(username)}\">{_text(display_name)}</span>\n"
        f"    {badges}\n"
        f"    <form method=\"post\" action=\"{_text(logout_url)}\" class=\"inline\">"
        f"{csrf_input(csrf_token)}<button type=\"submit\" class=\"link\">Sign out</button>"
        "</form>\n"
        "  </div>\n"
        "  </div>\n"
        "  ")


# path -> ``{% static path %}``'s output. The storage's URL of a file does not change while the
# process runs (the manifest is read once); Django swaps the storage when these settings
# change (tests), and so the kept URLs are forgotten then too.
_static_urls: dict[str, SafeString] = {}
_STATIC_SETTINGS = frozenset({"STORAGES", "STATIC_URL", "STATIC_ROOT", "STATICFILES_DIRS",
                              "DEBUG"})


def static_url(path: str) -> SafeString:
    """``{% static path %}`` (the storage's URL, escaped), asked once per process: the four of
    base.html were a tenth of the frame's rendering (issue 16)."""
    url = _static_urls.get(path)
    if url is None:
        url = _static_urls[path] = conditional_escape(static(path))
    return url


def _static_urls_clear(*, setting: str, **kwargs: object) -> None:
    if setting in _STATIC_SETTINGS:
        _static_urls.clear()


setting_changed.connect(_static_urls_clear)
