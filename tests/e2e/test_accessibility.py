"""Accessibility in chromium: axe-core finds no serious or critical violation on any
user-facing page (tests/a11y_tour.py), each visited as the persona who uses it, empty and after
a refused submit; a refused submit moves the focus to the error summary; a skip link leads to
the content; at 390 px the page does not scroll sideways, the menu is behind a button and tables
scroll in their container; the audit trail keeps one line per event."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from typing import Any

import pytest
from django.conf import settings
from django.test import Client

from catalog.models import Product
from portal.models import Project, User
from portal.services import audit_record
from tests.a11y_tour import Stop, Tour, tour_build
from tests.approvals.conftest import (  # noqa: F401  (fixtures of the approvals cast)
    demo_policies,
    notebook,
    platform_admin,
    prices,
)
from tests.e2e.axe import AxeAudit, axe_check, axe_settled

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

# Submits a refused form as the browser would: a real form post with the page's CSRF token.
SUBMIT = """([action, fields]) => {
  const form = document.createElement('form');
  form.method = 'post';
  form.action = action;
  const token = document.querySelector('input[name=csrfmiddlewaretoken]');
  const all = Object.assign({csrfmiddlewaretoken: token ? token.value : ''}, fields);
  for (const [name, value] of Object.entries(all)) {
    const input = document.createElement('input');
    input.type = 'hidden'; input.name = name; input.value = value;
    form.appendChild(input);
  }
  document.body.appendChild(form);
  form.submit();
}"""


@pytest.fixture
def tour(demo_policies: None, scientist: User, manager: User, platform_admin: User,  # noqa: F811
         auditor: User, project: Project, notebook: Product) -> Tour:  # noqa: F811
    return tour_build(scientist=scientist, manager=manager, platform_admin=platform_admin,
                      auditor=auditor, project=project, notebook=notebook)


class Personas:
    """One browser context per persona, signed in with a server-side session, each checked by
    axe-core on every page it loads."""

    def __init__(self, browser: Any, live_server: Any, tour: Tour, **context: Any) -> None:
        self.browser, self.url, self.tour, self.options = browser, live_server.url, tour, context
        self.pages: dict[str, Any] = {}
        self.audits: list[AxeAudit] = []

    def page(self, persona: str) -> Any:
        if persona not in self.pages:
            context = self.browser.new_context(**self.options)
            self.audits.append(AxeAudit.attach(context))
            user = self.tour.users[persona]
            if user is not None:
                client = Client()
                client.force_login(user)
                context.add_cookies([{
                    "name": settings.SESSION_COOKIE_NAME, "url": self.url,
                    "value": client.cookies[settings.SESSION_COOKIE_NAME].value}])
            page = context.new_page()
            page.set_default_timeout(15_000)
            self.pages[persona] = page
        return self.pages[persona]

    def visit(self, stop: Stop) -> Any:
        page = self.page(stop.persona)
        answer = page.goto(self.url + stop.path)
        if stop.post is not None:
            with page.expect_navigation():
                page.evaluate(SUBMIT, [self.url + (stop.post_path or stop.path), stop.post])
            answer = None
        status = answer.status if answer is not None else stop.status
        assert status == stop.status, (stop.name, status)
        page.wait_for_load_state("load")
        return page

    def close(self) -> None:
        for page in self.pages.values():
            page.context.close()


@pytest.fixture
def personas(browser: Any, live_server: Any, tour: Tour) -> Iterator[Personas]:
    group = Personas(browser, live_server, tour)
    yield group
    group.close()


def test_axe_finds_no_serious_violation_on_any_page_of_the_tour(
        personas: Personas, tour: Tour) -> None:
    for stop in tour.stops:
        page = personas.visit(stop)
        axe_check(page)
        if stop.post is not None or "refused" in stop.name:
            # After a refused submit the focus is on the summary at the top of the page.
            assert page.evaluate("document.activeElement.id") == "error-summary", stop.name
            assert page.locator("#error-summary li").count() >= 1, stop.name
    for page in personas.pages.values():
        axe_settled(page)  # each persona's last page's load-time check reports
    checked = [url for audit in personas.audits for url in audit.checked]
    assert len(checked) >= len(tour.stops)
    for audit in personas.audits:
        audit.assert_clean()


def test_the_audit_of_every_loaded_page_catches_a_serious_violation(
        browser: Any, live_server: Any) -> None:
    context = browser.new_context()
    audit = AxeAudit.attach(context)
    page = context.new_page()
    page.route(f"{live_server.url}/broken", lambda route: route.fulfill(
        status=200, content_type="text/html",
        body='<!doctype html><html lang="en"><title>x</title><main>'
             '<img src="/static/portal/favicon.svg"><input type="text"></main></html>'))
    page.goto(f"{live_server.url}/broken")
    axe_settled(page)
    context.close()
    assert audit.checked == [f"{live_server.url}/broken"]
    with pytest.raises(AssertionError, match="image-alt"):
        audit.assert_clean()


def test_a_failed_request_moves_the_focus_to_the_error_summary_whose_links_reach_the_fields(
        personas: Personas, tour: Tour) -> None:
    form = next(s for s in tour.stops if s.name == "request form")
    page = personas.visit(form)
    page.fill("[name=VolumeSizeInGB]", "500")
    page.click("#submit-request")
    page.wait_for_load_state("load")
    assert page.evaluate("document.activeElement.id") == "error-summary"
    assert page.inner_text("#error-summary h2") == "There is a problem"
    page.click("#error-summary a[href='#id_VolumeSizeInGB']")
    assert page.evaluate("document.activeElement.name") == "VolumeSizeInGB"
    described = page.get_attribute("#id_VolumeSizeInGB", "aria-describedby") or ""
    assert "id_VolumeSizeInGB_error" in described.split()
    assert page.inner_text("#id_VolumeSizeInGB_error") == "Must be at most 100."


def test_the_skip_link_is_the_first_stop_and_leads_to_the_content(
        personas: Personas, tour: Tour) -> None:
    page = personas.visit(next(s for s in tour.stops if s.name == "catalog"))
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Skip to main content"
    assert page.locator(".skip-link").bounding_box()["y"] >= 0  # shown once focused
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"


NARROW = {"viewport": {"width": 390, "height": 844}}


def test_at_390_px_pages_do_not_scroll_sideways_the_menu_folds_and_tables_scroll(
        browser: Any, live_server: Any, tour: Tour) -> None:
    personas = Personas(browser, live_server, tour, **NARROW)
    try:
        for stop in tour.stops:
            page = personas.visit(stop)
            width = page.evaluate("document.scrollingElement.scrollWidth")
            assert width <= 390, (stop.name, width)
            tables = page.evaluate("""() => [...document.querySelectorAll('table.table')].map(
                (t) => [t.parentElement.className, getComputedStyle(t.parentElement).overflowX])""")
            assert all(t == ["table-scroll", "auto"] for t in tables), (stop.name, tables)
            if stop.persona == "anonymous":
                continue
            toggle = page.locator("#menu-toggle")
            assert toggle.is_visible() and toggle.get_attribute("aria-expanded") == "false"
            assert not page.locator("#site-menu nav").is_visible(), stop.name
        page = personas.page("scientist")
        page.click("#menu-toggle")
        assert page.get_attribute("#menu-toggle", "aria-expanded") == "true"
        assert page.locator("#site-menu nav a[data-nav]").first.is_visible()
        page.click("#menu-toggle")
        assert not page.locator("#site-menu nav").is_visible()
        # A wide table scrolls inside its container, which takes keyboard focus.
        page.goto(f"{live_server.url}/environments/")
        scroll = page.locator("#main .table-scroll").first
        assert scroll.evaluate("(e) => e.scrollWidth > e.clientWidth")
        assert scroll.get_attribute("tabindex") == "0" and scroll.get_attribute("role") == "region"
        for audit in personas.audits:
            audit.assert_clean()
    finally:
        personas.close()


def test_at_full_width_the_menu_shows_without_a_button(personas: Personas, tour: Tour) -> None:
    page = personas.visit(next(s for s in tour.stops if s.name == "catalog"))
    assert not page.locator("#menu-toggle").is_visible()
    assert page.locator("#site-menu nav a[data-nav]").first.is_visible()


def test_the_audit_trail_shows_one_line_per_event_and_its_details_as_formatted_json(
        personas: Personas, tour: Tour, auditor: User) -> None:
    details = {"fields": ["name", "visible_to_groups", "visible_to_projects"],
               "parameters": {"InstanceType": "ml.m5.xlarge", "VolumeSizeInGB": "50"},
               "reason": "The platform team narrowed the instance types for the quarter end."}
    audit_record(action="catalog.product_updated", actor=auditor, data=details)
    page = personas.visit(next(s for s in tour.stops if s.name == "audit trail"))
    heights = page.eval_on_selector_all("#audit-events tbody tr",
                                        "rows => rows.map((r) => r.getBoundingClientRect().height)")
    line = page.evaluate("parseFloat(getComputedStyle(document.body).lineHeight)")
    assert len(heights) >= 3 and max(heights) < 2 * line, (heights, line)
    assert page.evaluate("document.scrollingElement.scrollWidth") <= page.viewport_size["width"]

    fits = "(e) => e.scrollWidth <= e.clientWidth"
    assert page.locator(".table-scroll:has(#audit-events)").evaluate(fits)  # no sideways scroll

    row = page.locator("#audit-events tbody tr", has_text="catalog.product_updated").first
    row.locator("summary").click()
    shown = row.locator("pre.json").inner_text()
    assert json.loads(shown) == details and "\n  \"fields\": [" in shown
    assert page.locator(".table-scroll:has(#audit-events)").evaluate(fits)

    options = page.eval_on_selector_all("select[name=action] option", "os => os.map(o => o.value)")
    assert {"", "auth.", "auth.sign_in", "catalog.product_updated", "request.created"} <= set(
        options)
    page.select_option("select[name=action]", "catalog.product_updated")
    with page.expect_navigation():  # read the next page, not this one
        page.click("#audit-filters button[type=submit]")
    actions = page.eval_on_selector_all("#audit-events tbody tr td:nth-child(3)",
                                        "cells => cells.map((c) => c.innerText)")
    assert actions == ["catalog.product_updated"]
    assert page.input_value("select[name=action]") == "catalog.product_updated"
