"""Day-2 requests (update, terminate) name an environment the requester may act on."""

from __future__ import annotations

from typing import Any

import pytest

from approvals.errors import RequestInvalid
from approvals.models import Request
from approvals.services import environment_resolvers, request_create
from approvals.services import environments as environments_module
from catalog.models import Product
from portal.models import Membership, Project, User
from portal.registry import Registry
from tests.approvals.conftest import make_environment, notebook_values, snapshot

pytestmark = pytest.mark.django_db

NOT_YOURS = "No such environment of yours in this project."


def _day2(requester: User, project: Project, product: Product, action: str, ref: str) -> Request:
    terminate = action == "terminate"
    return request_create(
        requester=requester, project_slug=project.slug, product_id=product.pk,
        parameters={} if terminate else (
            notebook_values("ml.m5.xlarge") if product.kind == Product.Kind.NOTEBOOK_INSTANCE
            else {"UserProfileName": "dana"}),
        tag_choices={"data-classification": "confidential"} if product.tag_options.exists()
        else {},
        justification="Bigger instance for the quarter end.", action=action, environment_ref=ref,
    )


def _refused(requester: User, project: Project, product: Product, action: str,
             ref: str) -> list[str]:
    before = snapshot()
    with pytest.raises(RequestInvalid) as refused:
        _day2(requester, project, product, action, ref)
    assert snapshot() == before
    assert set(refused.value.errors) == {"environment_ref"}, refused.value.errors
    messages: list[str] = refused.value.errors["environment_ref"]
    return messages


def test_provisioning_registers_its_environment_resolver() -> None:
    from provisioning.request_checks import environment_facts

    assert environment_resolvers() == [environment_facts]


@pytest.mark.parametrize("action", ["update", "terminate"])
def test_the_owner_may_ask_about_their_environment(
    action: str, scientist: User, manager: User, project: Project, notebook: Product,
    environment: Any,
) -> None:
    request = _day2(scientist, project, notebook, action, str(environment.pk))
    assert request.action == action and request.environment_ref == str(environment.pk)
    assert request.status == Request.Status.PENDING


@pytest.mark.parametrize("action", ["update", "terminate"])
def test_someone_elses_environment_is_refused(
    action: str, scientist: User, colleague: User, project: Project, notebook: Product,
) -> None:
    theirs = make_environment(colleague, project, notebook)
    assert _refused(scientist, project, notebook, action, str(theirs.pk)) == [NOT_YOURS]


@pytest.mark.parametrize("action", ["update", "terminate"])
def test_an_environment_of_another_project_is_refused(
    action: str, scientist: User, project: Project, other_project: Project, notebook: Product,
) -> None:
    Membership.objects.create(user=scientist, project=other_project)
    elsewhere = make_environment(scientist, other_project, notebook)
    assert _refused(scientist, project, notebook, action, str(elsewhere.pk)) == [NOT_YOURS]


# A fixed, well-formed uuid that no environment has (test ids must be the same in every process).
@pytest.mark.parametrize("ref", ["6f1d2c4e-0000-4000-8000-000000000000", "not-a-uuid", "../../etc"])
@pytest.mark.parametrize("action", ["update", "terminate"])
def test_an_environment_that_does_not_exist_is_refused(
    action: str, ref: str, scientist: User, project: Project, notebook: Product,
) -> None:
    assert _refused(scientist, project, notebook, action, ref) == [NOT_YOURS]


@pytest.mark.parametrize("action", ["update", "terminate"])
def test_a_terminated_environment_is_refused(
    action: str, scientist: User, project: Project, notebook: Product,
) -> None:
    gone = make_environment(scientist, project, notebook, status="terminated")
    [message] = _refused(scientist, project, notebook, action, str(gone.pk))
    assert "terminated" in message


@pytest.mark.parametrize(("action", "says"), [("update", "keeps the environment's product"),
                                               ("terminate", "environment's own product")])
def test_naming_another_product_than_the_environments_is_refused(
    action: str, says: str, scientist: User, project: Project, notebook: Product,
    studio: Product, environment: Any,
) -> None:
    [message] = _refused(scientist, project, studio, action, str(environment.pk))
    assert says in message


def test_without_a_resolver_day2_requests_are_refused(
    scientist: User, project: Project, notebook: Product, environment: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(environments_module, "_resolvers", Registry("environment resolvers"))
    [message] = _refused(scientist, project, notebook, "update", str(environment.pk))
    assert "no app resolves environments" in message


def test_without_a_resolver_new_environments_can_still_be_requested(
    scientist: User, manager: User, project: Project, notebook: Product,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(environments_module, "_resolvers", Registry("environment resolvers"))
    request = request_create(
        requester=scientist, project_slug=project.slug, product_id=notebook.pk,
        parameters=notebook_values(), tag_choices={"data-classification": "confidential"},
        justification="A new one.")
    assert request.action == "create"


def test_a_second_resolver_answers_what_the_first_does_not_know(
    scientist: User, manager: User, project: Project, notebook: Product,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from approvals.services import EnvironmentFacts, environment_resolver_register

    monkeypatch.setattr(environments_module, "_resolvers", Registry("environment resolvers"))
    environment_resolver_register(lambda ref: None)
    facts = EnvironmentFacts(owner_id=scientist.pk, project_id=project.pk,
                             product_id=notebook.pk, terminated=False)
    environment_resolver_register(lambda ref: facts if ref == "ext-1" else None)
    resolver = environments_module.environment_resolvers()[-1]
    environment_resolver_register(resolver)  # twice: kept once
    assert len(environment_resolvers()) == 2
    assert _day2(scientist, project, notebook, "terminate", "ext-1").environment_ref == "ext-1"


def test_the_api_answers_a_foreign_environment_with_a_field_error(
    scientist: User, colleague: User, project: Project, notebook: Product,
) -> None:
    from rest_framework.test import APIClient

    theirs = make_environment(colleague, project, notebook)
    client = APIClient()
    client.force_authenticate(scientist)
    before = snapshot()
    response = client.post("/api/v1/requests", {
        "project": project.slug, "product": notebook.pk, "action": "terminate",
        "environment_ref": str(theirs.pk), "parameters": {},
        "tag_choices": {"data-classification": "confidential"}, "justification": "Done."},
        format="json")
    assert response.status_code == 400, response.content
    assert NOT_YOURS in str(response.json())
    assert snapshot() == before
