"""``portal.reversing.reverse_key``: the string ``reverse`` gives, one resolver walk a route."""

from __future__ import annotations

import uuid

import pytest
from django.http import HttpRequest, HttpResponse
from django.template import engines
from django.test import override_settings
from django.urls import path, reverse

from portal import reversing


@pytest.mark.parametrize(("route", "key"), [
    ("catalog:product_detail", 7), ("catalog:product_detail", 1234567),
    ("approvals:request_detail", uuid.uuid4()),
    ("provisioning:environment_detail", uuid.UUID(int=1)),
])
def test_the_url_is_reverse_s(route: str, key: object) -> None:
    assert reversing.reverse_key(route, key) == reverse(route, args=[key])


def test_the_resolver_is_walked_once_per_route(monkeypatch: pytest.MonkeyPatch) -> None:
    reversing.reverse_key_clear()
    calls: list[object] = []
    real = reverse

    def counting(viewname: str, args: list[object]) -> str:
        calls.append(args[0])
        return real(viewname, args=args)

    monkeypatch.setattr(reversing, "reverse", counting)
    urls = [reversing.reverse_key("catalog:product_detail", n) for n in range(1, 40)]
    assert urls == [f"/catalog/{n}/" for n in range(1, 40)] and len(calls) == 1
    # A key a URL would quote, or of another type, goes through reverse itself.
    assert reversing.reverse_key("catalog:product_detail", "7") == "/catalog/7/"
    assert len(calls) == 2


def test_a_script_prefix_is_kept_apart() -> None:
    from django.urls import set_script_prefix

    assert reversing.reverse_key("catalog:product_detail", 3) == "/catalog/3/"
    set_script_prefix("/portal/")
    try:
        assert reversing.reverse_key("catalog:product_detail", 3) == "/portal/catalog/3/"
    finally:
        set_script_prefix("/")


@override_settings(ROOT_URLCONF="tests.portal.test_reversing")
def test_another_urlconf_is_its_own() -> None:
    assert reversing.reverse_key("one", 5) == "/elsewhere/5/"


@pytest.mark.parametrize("route", ["dashboard", "api_token", "approvals:inbox", "account_logout"])
def test_a_plain_route_is_reverse_s_and_walked_once(route: str,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    reversing.reverse_key_clear()
    calls: list[str] = []
    real = reverse

    def counting(viewname: str) -> str:
        calls.append(viewname)
        return real(viewname)

    monkeypatch.setattr(reversing, "reverse", counting)
    assert [reversing.reverse_plain(route) for _ in range(3)] == [real(route)] * 3
    assert calls == [route]


def test_a_plain_route_keeps_script_prefixes_and_urlconfs_apart() -> None:
    from django.urls import set_script_prefix

    assert reversing.reverse_plain("dashboard") == "/"
    set_script_prefix("/portal/")
    try:
        assert reversing.reverse_plain("dashboard") == "/portal/"
        body = engines["django"].from_string(
            "{% load portal_urls %}{% url_plain 'dashboard' %} {% url 'dashboard' %}").render({})
        assert body == "/portal/ /portal/"
    finally:
        set_script_prefix("/")
    with override_settings(ROOT_URLCONF="tests.portal.test_reversing"):
        assert reversing.reverse_plain("plain") == "/elsewhere/"


def _plain_view(request: HttpRequest) -> HttpResponse:
    return HttpResponse("plain")


def _view(request: HttpRequest, pk: int) -> HttpResponse:
    return HttpResponse(str(pk))


urlpatterns = [path("elsewhere/<int:pk>/", _view, name="one"),
               path("elsewhere/", _plain_view, name="plain")]


def test_each_plain_route_of_a_list_is_reverse_s_under_the_current_prefix() -> None:
    from django.urls import set_script_prefix

    routes = ["dashboard", "catalog:product_list", "approvals:inbox", "api_docs"]
    assert reversing.reverse_plain_each(routes) == [reverse(route) for route in routes]
    set_script_prefix("/portal/")
    try:
        assert reversing.reverse_plain_each(routes) == [reverse(route) for route in routes]
        assert reversing.reverse_plain_each(routes)[0] == "/portal/"
    finally:
        set_script_prefix("/")
    assert reversing.reverse_plain_each([]) == []


def test_a_pages_reverser_gives_reverse_s_urls_for_every_row(
        monkeypatch: pytest.MonkeyPatch) -> None:
    from django.urls import set_script_prefix

    reversing.reverse_key_clear()
    keys: list[object] = [1, 22, uuid.uuid4(), "7", "12"]
    detail = reversing.reverse_key_of("catalog:product_detail")
    assert [detail(k) for k in keys if not isinstance(k, uuid.UUID)] == [
        reverse("catalog:product_detail", args=[k]) for k in keys if not isinstance(k, uuid.UUID)]
    request_url = reversing.reverse_key_of("approvals:request_detail")
    for key in (uuid.uuid4(), uuid.UUID(int=5)):
        assert request_url(key) == reverse("approvals:request_detail", args=[key])
    set_script_prefix("/portal/")
    try:  # the prefix of the request the reverser is made in
        prefixed = reversing.reverse_key_of("catalog:product_detail")
        assert prefixed(3) == "/portal/catalog/3/" and detail(3) == "/catalog/3/"
    finally:
        set_script_prefix("/")
    calls: list[object] = []
    real = reverse

    def counting(viewname: str, args: list[object]) -> str:
        calls.append(args[0])
        return real(viewname, args=args)

    reversing.reverse_key_clear()
    monkeypatch.setattr(reversing, "reverse", counting)
    rows = reversing.reverse_key_of("catalog:product_detail")
    assert [rows(n) for n in range(1, 30)] == [f"/catalog/{n}/" for n in range(1, 30)]
    assert len(calls) == 1  # the route's halves, once
