"""My environments, the environment page, live status, the admin list and the read API."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client

from portal.models import User
from provisioning.models import Environment

pytestmark = pytest.mark.django_db


def test_my_environments_lists_only_mine_with_a_live_status_hook(
        client: Client, scientist: User, colleague: User, available: Environment) -> None:
    client.force_login(scientist)
    html = client.get("/environments/").content.decode()
    assert available.provisioned_product_name in html
    assert 'data-status-url="/environments/status.json"' in html
    assert "portal/environments.js" in html
    client.force_login(colleague)
    assert available.provisioned_product_name not in client.get("/environments/").content.decode()


def test_the_status_endpoint_reports_statuses_in_the_users_scope(
        client: Client, scientist: User, outsider: User, available: Environment) -> None:
    client.force_login(scientist)
    [state] = client.get("/environments/status.json").json()["environments"]
    assert state == {**state, "id": str(available.pk), "status": "available", "openable": True,
                     "stoppable": True, "startable": False, "changeable": True,
                     "terminable": True}
    client.force_login(outsider)
    assert client.get(f"/environments/status.json?id={available.pk}").json() == {
        "environments": []}
    assert client.get("/environments/status.json?id=not-a-uuid").status_code == 200


def test_the_environment_page_shows_outputs_tags_timeline_and_actions(
        client: Client, scientist: User, available: Environment) -> None:
    client.force_login(scientist)
    html = client.get(f"/environments/{available.pk}/").content.decode()
    assert 'id="outputs"' in html and "NotebookInstanceArn" in html
    assert "portal-environment" in html and str(available.pk) in html
    assert 'id="timeline"' in html and "Ready to open." in html
    assert "data-open-form" in html and 'id="terminate-form"' in html


def test_change_and_terminate_are_on_a_busy_environments_page_hidden_until_it_settles(
        client: Client, scientist: User, queued: Environment) -> None:
    """The page updates its status in place (environments.js): a notebook that becomes Available
    while its page is open must offer "Request a change" and "Terminate" without a reload, so
    both are rendered hidden while it is busy and the status endpoint says when to show them."""
    Environment.objects.filter(pk=queued.pk).update(status="provisioning")
    client.force_login(scientist)
    html = client.get(f"/environments/{queued.pk}/").content.decode()
    assert re.search(r'<a [^>]*id="change-link"[^>]* hidden', html)
    assert re.search(r'<form [^>]*id="terminate-form"[^>]* hidden', html)
    [state] = client.get(f"/environments/status.json?id={queued.pk}").json()["environments"]
    assert (state["changeable"], state["terminable"]) == (False, False)
    Environment.objects.filter(pk=queued.pk).update(status="available")
    [state] = client.get(f"/environments/status.json?id={queued.pk}").json()["environments"]
    assert (state["changeable"], state["terminable"]) == (True, True)
    html = client.get(f"/environments/{queued.pk}/").content.decode()
    assert not re.search(r'id="change-link"[^>]* hidden', html)
    assert not re.search(r'id="terminate-form"[^>]* hidden', html)


@pytest.mark.parametrize(("who", "expected"), [
    ("scientist", 200), ("platform_admin", 200), ("colleague", 404), ("outsider", 404),
    ("auditor", 404)])
def test_the_environment_page_is_for_its_owner_and_platform_admins(
        client: Client, available: Environment, request: pytest.FixtureRequest,
        who: str, expected: int) -> None:
    client.force_login(request.getfixturevalue(who))
    assert client.get(f"/environments/{available.pk}/").status_code == expected
    assert client.get(f"/api/v1/environments/{available.pk}").status_code == expected


def test_anonymous_callers_see_nothing(client: Client, available: Environment) -> None:
    assert client.get("/environments/").status_code == 302
    assert client.get(f"/environments/{available.pk}/").status_code == 302
    assert client.get("/api/v1/environments").status_code in (401, 403)


def test_a_failed_environment_shows_the_error_to_its_owner(
        client: Client, scientist: User, queued: Environment) -> None:
    Environment.objects.filter(pk=queued.pk).update(status="failed",
                                                    status_message="CREATE_FAILED: no subnet")
    client.force_login(scientist)
    assert "CREATE_FAILED: no subnet" in client.get(f"/environments/{queued.pk}/").content.decode()


def test_the_admin_list_filters_by_project_owner_status_and_product(
        client: Client, platform_admin: User, scientist: User, available: Environment,
        queued: Any) -> None:
    client.force_login(platform_admin)
    page = client.get("/environments/all/").content.decode()
    assert available.provisioned_product_name in page
    for query, shown in [("project=fraud", True), ("project=credit-risk", False),
                         ("owner=dana.scientist", True), ("owner=otto", False),
                         ("status=available", True), ("status=failed", False),
                         (f"product={available.product_id}", True), ("product=999", False)]:
        html = client.get(f"/environments/all/?{query}").content.decode()
        assert (available.provisioned_product_name in html) is shown, query


def test_the_admin_list_is_for_platform_admins_only(client: Client, scientist: User,
                                                    auditor: User) -> None:
    for user in (scientist, auditor):
        client.force_login(user)
        assert client.get("/environments/all/").status_code == 403


def test_the_api_lists_my_environments_and_all_of_them_for_admins(
        client: Client, scientist: User, colleague: User, platform_admin: User,
        available: Environment) -> None:
    client.force_login(scientist)
    body = client.get("/api/v1/environments").json()
    assert [e["id"] for e in body["results"]] == [str(available.pk)]
    assert body["results"][0]["tags"][0] == {"Key": "owner",
                                             "Value": scientist.owner_id}
    client.force_login(colleague)
    assert client.get("/api/v1/environments").json()["results"] == []
    client.force_login(platform_admin)
    assert client.get("/api/v1/environments").json()["count"] == 1
    detail = client.get(f"/api/v1/environments/{available.pk}").json()
    assert [e["kind"] for e in detail["timeline"]][0] == "available"


def test_my_environments_hide_terminated_ones_until_asked(
        client: Client, scientist: User, available: Environment) -> None:
    client.force_login(scientist)
    name = available.provisioned_product_name
    assert name in client.get("/environments/").content.decode()
    Environment.objects.filter(pk=available.pk).update(status=Environment.Status.TERMINATED)

    hidden = client.get("/environments/").content.decode()
    shown = client.get("/environments/?terminated=show").content.decode()

    assert name not in hidden and 'href="?terminated=show">Show them</a>' in hidden
    assert name in shown and 'href="?">Hide them</a>' in shown


def test_my_environments_run_the_same_queries_for_one_row_and_many(
        client: Client, scientist: User, project: Any, settings: Any) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests.provisioning.conftest import make_notebook_product
    from tests.provisioning.test_admin_list_queries import _environments

    settings.PORTAL_MENU_ROLE_SECONDS = 3600  # a slow machine must not re-ask the menu roles
    product, version = make_notebook_product(project)
    _environments(requester=scientist, project=project, product=product, version=version,
                  count=1)
    client.force_login(scientist)

    def page() -> tuple[int, str]:
        with CaptureQueriesContext(connection) as queries:
            response = client.get("/environments/")
        assert response.status_code == 200
        return len(queries), response.content.decode()

    page()  # the session's menu answers are kept from here on
    one, _ = page()
    _environments(requester=scientist, project=project, product=product, version=version,
                  count=29, start=1)
    many, html = page()
    assert many == one
    assert html.count('data-open-form') == 30 and html.count('data-status>') == 30
    assert html.count('name="csrfmiddlewaretoken"') >= 30
