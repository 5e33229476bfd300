"""The signed-in frame (``portal.frame``: base.html's site menu and the notification count) is
written in Python and reads byte for byte as base.html's former block and its include wrote it,
for every role, count and odd name; the badge fragment is the same count; a template rendered
without the navigation's context shows what the former one did (empty links, no count)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.template import Context, engines
from django.test import Client

from portal.models import Notification, Role, User
from tests.conftest import make_user

pytestmark = pytest.mark.django_db

FORMER_COUNT = (
    '<a href="{{ frame_urls.notification_list }}" id="menu-count" class="menu-count" '
    'hx-get="{{ frame_urls.notification_badge }}" hx-trigger="every {{ menu_poll_seconds }}s" '
    'hx-swap="outerHTML" aria-label="Notifications: {{ menu_waiting.total_text }} waiting" '
    'title="{{ menu_waiting.tasks_text }} approval task(s) wait for you; '
    '{{ menu_waiting.unread_text }} unread notification(s)">Notifications'
    '{% if menu_waiting.total %} <span class="count" data-count="{{ menu_waiting.total_text }}">'
    '{{ menu_waiting.total_text }}</span>{% endif %}</a>\n')
FORMER_MENU = (
    '  {% if user.is_authenticated %}\n'
    '  <button type="button" class="menu-toggle" id="menu-toggle" aria-expanded="false" '
    'aria-controls="site-menu" hidden>Menu</button>\n'
    '  <div class="site-menu" id="site-menu">\n'
    '  <nav class="nav" aria-label="Main">\n'
    '    {{ nav_links }}\n'
    '  </nav>\n'
    '  <div class="whoami">\n'
    '    ' + FORMER_COUNT + '\n'
    '    <span class="user" title="{{ user.username }}">{{ user.display_name }}</span>\n'
    '    {% for role, label in user.role_labels %}<span class="badge" data-role="{{ role }}">'
    '{{ label }}</span>{% endfor %}\n'
    '    <form method="post" action="{{ frame_urls.account_logout }}" class="inline">'
    '{% csrf_token %}<button type="submit" class="link">Sign out</button></form>\n'
    '  </div>\n'
    '  </div>\n'
    '  {% endif %}\n')
NOW_MENU = "{% load portal_frame %}  {% if user.is_authenticated %}{% site_menu %}{% endif %}\n"
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="[^"]+"')


FRAME_KEYS = ("user", "nav_links", "menu_waiting", "frame_urls", "menu_poll_seconds",
              "csrf_token")


def _frame_context(context: Any) -> Context:
    """What the frame reads of a page's context (a ``ContextList`` when it has includes)."""
    return Context({key: context[key] for key in FRAME_KEYS})


def _menu_of(body: str) -> str:
    """The frame's menu as the page wrote it, from the brand link to the header's end."""
    start = body.index("portal</a>\n") + len("portal</a>\n")
    return body[start:body.index("</header>")]


def _former(client: Client, url: str) -> tuple[str, str]:
    """The page's menu and the former template's, rendered with the page's own context."""
    response = client.get(url)
    assert response.status_code == 200
    page = _menu_of(response.content.decode())
    former = engines["django"].from_string(FORMER_MENU).template.render(
        _frame_context(response.context))
    token = CSRF.search(page)
    assert token is not None
    return page, CSRF.sub(token.group(0), former)


@pytest.mark.parametrize("url", ["/", "/catalog/", "/notifications/"])
def test_the_menu_reads_as_the_former_block_for_every_role(
        url: str, scientist: User, manager: User) -> None:
    odd = make_user("o'brien.<odd>", roles=[Role.AUDITOR, Role.CATALOG_ADMIN],
                    first_name='Ann & "Co"', last_name="<b>")
    for person in (manager, manager, odd):
        Notification.objects.create(recipient=person, kind="x", text="t")
    for person in (scientist, manager, odd):
        client = Client()
        client.force_login(person)
        page, former = _former(client, url)
        assert page == former
    assert "&lt;odd&gt;" in page and "Ann &amp; &quot;Co&quot; &lt;b&gt;" in page
    assert page.count('class="badge"') == 2


def test_the_badge_fragment_reads_as_the_former_include(manager: User) -> None:
    for _ in range(2):
        Notification.objects.create(recipient=manager, kind="x", text="t")
    client = Client()
    client.force_login(manager)
    response = client.get("/notifications/count")
    body = response.content.decode()
    former = engines["django"].from_string(FORMER_COUNT).template.render(
        _frame_context(response.context))
    assert body == former
    assert '<span class="count" data-count="2">2</span>' in body


def test_a_menu_without_the_navigation_s_context_is_empty_links_and_no_count(
        scientist: User) -> None:
    context = {"user": scientist}
    now = engines["django"].from_string(NOW_MENU).template.render(Context(context))
    former = engines["django"].from_string(FORMER_MENU).template.render(Context(context))
    assert now == former
    assert 'href=""' in now and 'class="count"' not in now


STATIC = ("portal/favicon.svg", "portal/portal.css", "vendor/htmx/htmx.min.js", "portal/a11y.js")


def test_the_static_urls_are_the_static_tag_s_and_follow_a_storage_change(
        settings: Any) -> None:
    def both() -> tuple[str, str]:
        kept = "".join(f"{{% static_kept '{path}' %}}" for path in STATIC)
        asked = "".join(f"{{% static '{path}' %}}" for path in STATIC)
        return (engines["django"].from_string("{% load portal_frame %}" + kept).render({}),
                engines["django"].from_string("{% load static %}" + asked).render({}))

    kept, asked = both()
    assert kept == asked and "/static/portal/a11y.js" in kept
    settings.STATIC_URL = "/assets/"
    kept, asked = both()
    assert kept == asked and kept.startswith("/assets/portal/favicon.svg")
    settings.STATIC_URL = "/a&b/"
    kept, asked = both()
    assert kept == asked and "/a&amp;b/" in kept


def test_every_page_s_head_and_footer_link_the_static_files(client: Client,
                                                            scientist: User) -> None:
    client.force_login(scientist)
    body = client.get("/").content.decode()
    for path in STATIC:
        assert f'="/static/{path}"' in body
