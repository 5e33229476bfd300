"""An environment takes the name its requester chose (and shows it first); request and
environment link to each other both ways, on the pages and in the API, within scope."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from rest_framework.test import APIClient

from approvals.links import environment_links
from approvals.models import ApprovalTask, Request
from catalog.models import Product, ProductVersion
from portal.models import Project, User
from provisioning.models import Environment
from provisioning.services import environment_provision
from tests.provisioning.conftest import approved_request, run_until_settled

pytestmark = pytest.mark.django_db


def _login(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _api(user: User) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.fixture
def named(scientist: User, project: Project, notebook: tuple[Product, ProductVersion],
          django_capture_on_commit_callbacks: Any) -> Environment:
    """The scientist's notebook "fraud-eda", provisioned on the fake AWS from her request."""
    product, version = notebook
    request = approved_request(requester=scientist, project=project, product=product,
                               version=version, parameters={
                                   "NotebookInstanceName": "fraud-eda",
                                   "InstanceType": "ml.t3.medium", "VolumeSizeInGB": "20",
                                   "RootAccess": "Disabled"})
    Request.objects.filter(pk=request.pk).update(name="fraud-eda")
    request.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=False):
        environment = environment_provision(request=request)
    assert environment is not None
    return run_until_settled(environment)


@pytest.fixture
def change(named: Environment, scientist: User) -> Request:
    """A pending change request about it."""
    return Request.objects.create(
        requester=scientist, project=named.project, product=named.product,
        version=named.version, action=Request.Action.UPDATE, environment_ref=str(named.pk),
        name=named.name, parameters={"InstanceType": "ml.m5.xlarge"}, justification="Bigger")


def test_the_environment_takes_the_name_its_requester_chose(
    named: Environment, scientist: User
) -> None:
    assert named.status == Environment.Status.AVAILABLE
    assert named.notebook_instance_name == "fraud-eda"  # the resource AWS made has it
    assert named.name == "fraud-eda"
    page = _login(scientist).get(f"/environments/{named.pk}/").content.decode()
    assert '<h1 id="environment-name">fraud-eda</h1>' in page
    listing = _login(scientist).get("/environments/").content.decode()
    assert ">fraud-eda</a>" in listing
    assert _api(scientist).get(f"/api/v1/environments/{named.pk}").json()["name"] == "fraud-eda"


def test_the_request_page_links_its_environment_for_the_owner_only(
    named: Environment, change: Request, scientist: User, platform_admin: User
) -> None:
    url = f'href="/environments/{named.pk}/"'
    for request in (named.origin_request, change):
        mine = _login(scientist).get(f"/requests/{request.pk}/").content.decode()
        assert 'id="request-environment"' in mine and url in mine, request.action
        assert f"{url}>fraud-eda</a>" in mine
    admin = _login(platform_admin).get(f"/requests/{change.pk}/").content.decode()
    assert url in admin


def test_an_approver_sees_the_environment_name_but_no_link_to_a_page_they_cannot_open(
    named: Environment, change: Request, manager: User, scientist: User
) -> None:
    links = environment_links(requests=[change, named.origin_request], user=manager)
    assert {link.name for link in links.values()} == {"fraud-eda"}
    assert {(link.url, link.id) for link in links.values()} == {("", "")}
    task = ApprovalTask.objects.create(request=change, name="Requester's manager")
    task.eligible_approvers.add(manager)  # the manager may see the request, not the environment
    page = _login(manager).get(f"/requests/{change.pk}/").content.decode()
    assert "fraud-eda" in page and str(named.pk) not in page
    body = _api(manager).get(f"/api/v1/requests/{change.pk}").json()
    assert body["environment"] == {"id": None, "name": "fraud-eda", "status": "available"}
    owner = environment_links(requests=[change], user=scientist)[change.pk]
    assert owner.url == f"/environments/{named.pk}/" and owner.id == str(named.pk)


def test_the_environment_page_links_its_origin_and_day_2_requests(
    named: Environment, change: Request, scientist: User
) -> None:
    page = _login(scientist).get(f"/environments/{named.pk}/").content.decode()
    origin = named.origin_request
    assert f'<dd id="origin-request"><a href="/requests/{origin.pk}/">{origin.reference}</a>' \
        in page
    assert 'id="environment-requests"' in page
    for request in (origin, change):
        assert f'href="/requests/{request.pk}/" class="reference">{request.reference}</a>' \
            in page


def test_the_api_links_both_ways(named: Environment, change: Request, scientist: User,
                                 outsider: User) -> None:
    client = _api(scientist)
    for request in (named.origin_request, change):
        body = client.get(f"/api/v1/requests/{request.pk}").json()
        assert body["environment"] == {"id": str(named.pk), "name": "fraud-eda",
                                       "status": "available"}
    environment = client.get(f"/api/v1/environments/{named.pk}").json()
    assert environment["request"] == str(named.origin_request_id)
    assert environment["request_reference"] == named.origin_request.reference
    assert [(r["reference"], r["action"]) for r in environment["requests"]] == [
        (named.origin_request.reference, "create"), (change.reference, "update")]
    listed = client.get("/api/v1/requests").json()["results"]
    assert {r["reference"]: r["environment"]["id"] for r in listed} == {
        named.origin_request.reference: str(named.pk), change.reference: str(named.pk)}
    assert _api(outsider).get(f"/api/v1/environments/{named.pk}").status_code == 404


def test_a_queued_environment_already_shows_the_chosen_name(
    scientist: User, project: Project, notebook: tuple[Product, ProductVersion],
    django_capture_on_commit_callbacks: Any
) -> None:
    product, version = notebook
    request = approved_request(requester=scientist, project=project, product=product,
                               version=version, parameters={
                                   "NotebookInstanceName": "dana-queued",
                                   "InstanceType": "ml.t3.medium"})
    Request.objects.filter(pk=request.pk).update(name="dana-queued")
    request.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=False):
        queued = environment_provision(request=request)
    assert queued is not None and queued.status == Environment.Status.QUEUED
    assert queued.notebook_instance_name == ""  # nothing provisioned yet
    assert queued.name == "dana-queued" != queued.provisioned_product_name
    page = _login(scientist).get(f"/environments/{queued.pk}/").content.decode()
    assert '<h1 id="environment-name">dana-queued</h1>' in page


def test_links_read_their_environments_in_one_query_and_see_them_as_the_selector_does(
    named: Environment, change: Request, scientist: User, colleague: User, manager: User,
    platform_admin: User, auditor: User, outsider: User, django_assert_num_queries: Any
) -> None:
    from provisioning.selectors import environment_visible_to, environments_for_user

    requests = [named.origin_request, change]
    for user in (scientist, colleague, manager, platform_admin, auditor, outsider):
        with django_assert_num_queries(1):
            links = environment_links(requests=requests, user=user)
        in_scope = environments_for_user(user=user).filter(pk=named.pk).exists()
        assert environment_visible_to(user=user, owner_id=named.owner_id) is in_scope, user
        assert {link.id for link in links.values()} == {str(named.pk) if in_scope else ""}
    User.objects.filter(pk=scientist.pk).update(is_active=False)
    scientist.refresh_from_db()
    assert not environment_visible_to(user=scientist, owner_id=named.owner_id)
    assert not environments_for_user(user=scientist).exists()


@pytest.mark.parametrize("status", [Environment.Status.AVAILABLE, Environment.Status.STOPPED,
                                    Environment.Status.TERMINATED])
def test_a_link_shows_the_environments_name_and_status_as_the_model_gives_them(
        named: Environment, change: Request, scientist: User, status: str) -> None:
    """The links are read as values, not model instances (issue 16): the name falls back as
    ``Environment.name`` does, the status label is ``get_status_display``."""
    names = [{}, {"origin_request__name": ""},
             {"origin_request__name": "", "notebook_instance_name": ""},
             {"origin_request__name": "", "notebook_instance_name": "", "user_profile_name": ""},
             {"origin_request__name": "", "notebook_instance_name": "", "user_profile_name": "",
              "sagemaker_project_name": ""}]
    Environment.objects.filter(pk=named.pk).update(
        status=status, user_profile_name="dana-profile", sagemaker_project_name="dana-project")
    for blanks in names:
        if "origin_request__name" in blanks:
            Request.objects.filter(pk=named.origin_request_id).update(name="")
        Environment.objects.filter(pk=named.pk).update(
            **{k: v for k, v in blanks.items() if "__" not in k})
        environment = Environment.objects.select_related("origin_request").get(pk=named.pk)
        links = environment_links(requests=[environment.origin_request, change], user=scientist)
        assert set(links) == {environment.origin_request_id, change.pk}
        for link in links.values():
            assert (link.name, link.status, link.status_label) == (
                environment.name, environment.status, environment.get_status_display())
            assert link.url == f"/environments/{environment.pk}/"
    assert environment.name == environment.provisioned_product_name
