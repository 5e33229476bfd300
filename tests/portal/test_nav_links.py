"""The menu's links are joined in Python (config.navigation.nav_links) and read byte for byte
as base.html's former loop wrote them: same escaping, the page's own link marked current."""

from __future__ import annotations

import pytest
from django.template import engines
from django.test import Client

from config.navigation import nav_links
from portal.models import Role
from tests.conftest import make_user

FORMER_LOOP = engines["django"].from_string(
    '{% for item in nav_items %}<a href="{{ item.url }}" data-nav="{{ item.name }}"'
    '{% if request.path == item.url %} aria-current="page"{% endif %}>{{ item.label }}</a>'
    '{% endfor %}')

ITEMS = [
    {"label": "Dashboard", "url": "/", "name": "dashboard"},
    {"label": "Projects (admin)", "url": "/admin/portal/project/", "name": "admin:x"},
    {"label": 'R&D <"tools">', "url": "/a?b=1&c='2'", "name": "odd<name>"},
]


class _Request:
    def __init__(self, path: str) -> None:
        self.path = path


@pytest.mark.parametrize("path", ["/", "/admin/portal/project/", "/a?b=1&c='2'", "/other/"])
def test_the_links_read_as_the_former_loop_wrote_them(path: str) -> None:
    former = FORMER_LOOP.render({"nav_items": ITEMS, "request": _Request(path)})
    assert str(nav_links(ITEMS, path)) == former


@pytest.mark.django_db
def test_a_page_marks_its_own_link_current_and_no_other() -> None:
    client = Client()
    client.force_login(make_user("ada.admin", roles=[Role.CATALOG_ADMIN]))
    body = client.get("/catalog/").content.decode()
    assert '<a href="/catalog/" data-nav="catalog:product_list" aria-current="page">Catalog</a>' \
        in body
    assert body.count('aria-current="page"') == 1
    assert '<a href="/" data-nav="dashboard">Dashboard</a>' in body
