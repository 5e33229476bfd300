"""The rendered HTML of every user-facing page (tests/a11y_tour.py), empty and after a refused
submit: every id an `aria-describedby` (or `aria-labelledby`, `aria-controls`, `label for`)
names exists on the page, no label sits inside a label, ids are unique, and a refused submit
shows the error summary whose links lead to fields of the page."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest
from django.test import Client

from catalog.models import Product
from portal.models import Project, User
from tests.a11y_tour import Stop, Tour, tour_build
from tests.approvals.conftest import (  # noqa: F401  (fixtures of the approvals cast)
    demo_policies,
    notebook,
    platform_admin,
    prices,
)

pytestmark = pytest.mark.django_db

REFERENCING = ("aria-describedby", "aria-labelledby", "aria-controls")


class PageStructure(HTMLParser):
    """Ids, the ids attributes refer to, labels inside labels and the error summary's links."""

    def __init__(self) -> None:
        super().__init__()
        self.ids: list[str] = []
        self.references: list[tuple[str, str, str]] = []  # (tag, attribute, id)
        self.nested_labels = 0
        self._label_depth = 0
        self._in_summary = 0
        self.summary_links: list[str] = []
        self.has_summary = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        if "id" in values:
            self.ids.append(values["id"])
        for name in REFERENCING:
            for ref in values.get(name, "").split():
                self.references.append((tag, name, ref))
        if tag == "label":
            if self._label_depth:
                self.nested_labels += 1
            self._label_depth += 1
            if values.get("for"):
                self.references.append((tag, "for", values["for"]))
        if "data-error-summary" in values:
            self.has_summary = True
            self._in_summary = 1
        elif self._in_summary and tag == "div":
            self._in_summary += 1
        if self._in_summary and tag == "a" and values.get("href", "").startswith("#"):
            self.summary_links.append(values["href"][1:])

    def handle_endtag(self, tag: str) -> None:
        if tag == "label" and self._label_depth:
            self._label_depth -= 1
        if self._in_summary and tag == "div":
            self._in_summary -= 1


def page_structure(body: str) -> PageStructure:
    parser = PageStructure()
    parser.feed(body)
    parser.close()
    return parser


def problems(body: str) -> list[str]:
    page = page_structure(body)
    ids = set(page.ids)
    found = [f"<{tag} {attribute}> names missing id {ref!r}"
             for tag, attribute, ref in page.references if ref not in ids]
    found += [f"id {i!r} is used twice" for i in ids if page.ids.count(i) > 1]
    found += [f"{page.nested_labels} label(s) inside a label"] if page.nested_labels else []
    found += [f"the error summary links to missing id {ref!r}"
              for ref in page.summary_links if ref not in ids]
    return found


@pytest.fixture
def tour(demo_policies: None, scientist: User, manager: User, platform_admin: User,  # noqa: F811
         auditor: User, project: Project, notebook: Product) -> Tour:  # noqa: F811
    return tour_build(scientist=scientist, manager=manager, platform_admin=platform_admin,
                      auditor=auditor, project=project, notebook=notebook)


def visit(tour: Tour, stop: Stop) -> str:
    client = Client()
    user = tour.users[stop.persona]
    if user is not None:
        client.force_login(user)
    if stop.post is not None:
        answer = client.post(stop.post_path or stop.path, stop.post)
    else:
        answer = client.get(stop.path)
    assert answer.status_code == stop.status, (stop.name, answer.status_code)
    return answer.content.decode()


def test_every_page_s_aria_references_exist_and_no_label_is_nested(tour: Tour) -> None:
    found = {stop.name: problems(visit(tour, stop)) for stop in tour.stops}
    assert {name: p for name, p in found.items() if p} == {}


def test_a_refused_submit_shows_the_error_summary_linking_to_its_fields(tour: Tour) -> None:
    for stop in tour.stops:
        if stop.post is None and "refused" not in stop.name:
            continue
        page = page_structure(visit(tour, stop))
        assert page.has_summary, stop.name
    request_form = next(s for s in tour.stops if s.name == "request form, refused")
    page = page_structure(visit(tour, request_form))
    assert {"id_req-justification", "id_VolumeSizeInGB"} <= set(page.summary_links)


def test_an_empty_page_has_no_error_summary(tour: Tour) -> None:
    for stop in tour.stops:
        if stop.post is None and stop.status == 200:
            assert not page_structure(visit(tour, stop)).has_summary, stop.name


def test_the_checker_sees_a_dangling_reference_and_a_nested_label() -> None:
    assert problems('<input aria-describedby="id_x_helptext">') == [
        "<input aria-describedby> names missing id 'id_x_helptext'"]
    assert problems("<label>Outer <label>inner</label></label>") == ["1 label(s) inside a label"]
    assert problems('<p id="a"></p><p id="a"></p>') == ["id 'a' is used twice"]
