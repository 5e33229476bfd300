"""What a day-2 request may name and keep, checked against registered environment facts: each
refusal says why, identifying parameters keep their value, NoEcho values left empty keep theirs
(opened from their sealed form), and the first resolver that knows an environment answers."""

from __future__ import annotations

from typing import Any

import pytest

from approvals.models import Request
from approvals.services import environments
from approvals.services.environments import (
    IDENTITY_LOCKED,
    NOT_YOURS,
    EnvironmentFacts,
    change_identity_keep,
    environment_current,
    environment_ref_errors,
    environment_resolver_register,
    environment_resolvers,
)
from catalog.models import Product
from portal.models import Project, User
from portal.registry import Registry
from portal.sealing import value_seal

pytestmark = pytest.mark.django_db


@pytest.fixture
def facts_by_ref(monkeypatch: pytest.MonkeyPatch) -> dict[str, EnvironmentFacts]:
    known: dict[str, EnvironmentFacts] = {}
    monkeypatch.setattr(environments, "_resolvers", Registry("environment resolvers"))
    environment_resolver_register(lambda ref: None)  # a resolver that knows nothing comes first
    environment_resolver_register(known.get)
    return known


def facts(owner: User, project: Project, product: Product, **extra: Any) -> EnvironmentFacts:
    return EnvironmentFacts(owner_id=owner.pk, project_id=project.pk, product_id=product.pk,
                            terminated=extra.pop("terminated", False), **extra)


def test_registering_twice_keeps_one_and_the_list_is_a_copy(
        facts_by_ref: dict[str, EnvironmentFacts]) -> None:
    resolvers = environment_resolvers()
    environment_resolver_register(resolvers[1])
    assert len(environment_resolvers()) == 2
    resolvers.clear()
    assert len(environment_resolvers()) == 2


def test_each_reason_to_refuse_an_environment_is_said(
        facts_by_ref: dict[str, EnvironmentFacts], scientist: User, colleague: User,
        project: Project, other_project: Project, notebook: Product, studio: Product) -> None:
    facts_by_ref.update({
        "mine": facts(scientist, project, notebook),
        "theirs": facts(colleague, project, notebook),
        "elsewhere": facts(scientist, other_project, notebook),
        "gone": facts(scientist, project, notebook, terminated=True),
    })

    def errors(ref: str, product: Product = notebook, action: str = "update") -> list[str]:
        return environment_ref_errors(requester=scientist, project=project, product=product,
                                      action=action, environment_ref=ref)

    assert errors("mine") == [] and errors("mine", action="terminate") == []
    assert errors("theirs") == errors("elsewhere") == errors("unknown") == [NOT_YOURS]
    assert errors("gone") == [
        "This environment is terminated; there is nothing left to change or terminate."]
    assert errors("mine", studio, Request.Action.UPDATE) == [
        "A change keeps the environment's product; request a new environment to use another "
        "product."]
    assert errors("mine", studio, Request.Action.TERMINATE) == [
        "Name the environment's own product to terminate it."]


def test_without_a_resolver_no_day2_request_is_accepted(
        monkeypatch: pytest.MonkeyPatch, scientist: User, project: Project,
        notebook: Product) -> None:
    monkeypatch.setattr(environments, "_resolvers", Registry("environment resolvers"))
    assert environment_ref_errors(requester=scientist, project=project, product=notebook,
                                  action="update", environment_ref="x") == [
        "Requests about an existing environment cannot be checked now: no app resolves "
        "environments. Nothing was submitted."]


def test_the_current_environment_is_only_the_requesters_live_one(
        facts_by_ref: dict[str, EnvironmentFacts], scientist: User, colleague: User,
        project: Project, notebook: Product) -> None:
    facts_by_ref.update({"mine": facts(scientist, project, notebook),
                         "theirs": facts(colleague, project, notebook),
                         "gone": facts(scientist, project, notebook, terminated=True)})
    assert environment_current(requester=scientist, environment_ref="mine") == facts_by_ref["mine"]
    assert environment_current(requester=scientist, environment_ref="theirs") is None
    assert environment_current(requester=scientist, environment_ref="gone") is None


def test_identifying_parameters_keep_their_value_and_another_value_is_refused(
        facts_by_ref: dict[str, EnvironmentFacts], scientist: User, project: Project,
        notebook: Product) -> None:
    facts_by_ref["mine"] = facts(scientist, project, notebook, parameters={
        "NotebookInstanceName": "dana-nb", "DomainId": "d-1", "InstanceType": "ml.t3.medium"})
    values, errors = change_identity_keep(
        requester=scientist, environment_ref="mine",
        values={"NotebookInstanceName": "  ", "DomainId": " d-1 ", "InstanceType": "ml.m5.xlarge",
                "UserProfileName": "new"})
    # Empty or unchanged (blanks aside): the current value; a key the environment lacks: as sent.
    assert values == {"NotebookInstanceName": "dana-nb", "DomainId": "d-1",
                      "InstanceType": "ml.m5.xlarge", "UserProfileName": "new"}
    assert errors == {}
    values, errors = change_identity_keep(requester=scientist, environment_ref="mine",
                                          values={"NotebookInstanceName": "other-nb"})
    assert errors == {"NotebookInstanceName": [IDENTITY_LOCKED.format(key="NotebookInstanceName")]}
    assert values == {"NotebookInstanceName": "other-nb", "DomainId": "d-1"}  # not sent: kept
    assert errors["NotebookInstanceName"] == [
        "NotebookInstanceName names the resource and cannot be changed: changing it would "
        "replace the resource, and its data would be lost. Request a new environment instead."]


def test_an_empty_secret_keeps_its_current_value_opened_from_its_sealed_form(
        facts_by_ref: dict[str, EnvironmentFacts], scientist: User, project: Project,
        notebook: Product) -> None:
    facts_by_ref["mine"] = facts(scientist, project, notebook, parameters={
        "Password": value_seal("s3cret", key="Password"), "Token": "plain", "Other": "x"})
    values, errors = change_identity_keep(
        requester=scientist, environment_ref="mine", kept=(), secret=["Password", "Token", "Pin"],
        values={"Password": "", "Token": None, "Pin": ""})
    assert (values, errors) == ({"Password": "s3cret", "Token": "plain", "Pin": ""}, {})
    values, _ = change_identity_keep(requester=scientist, environment_ref="mine", kept=(),
                                     secret=["Password"], values={"Password": "changed"})
    assert values == {"Password": "changed"}


def test_someone_elses_environment_keeps_nothing(
        facts_by_ref: dict[str, EnvironmentFacts], scientist: User, colleague: User,
        project: Project, notebook: Product) -> None:
    facts_by_ref["theirs"] = facts(colleague, project, notebook,
                                   parameters={"NotebookInstanceName": "carl-nb"})
    assert change_identity_keep(requester=scientist, environment_ref="theirs",
                                values={"NotebookInstanceName": ""}) == (
        {"NotebookInstanceName": ""}, {})


def test_a_kept_key_the_environment_lacks_does_not_stop_the_ones_after_it(
        facts_by_ref: dict[str, EnvironmentFacts], scientist: User, project: Project,
        notebook: Product) -> None:
    facts_by_ref["mine"] = facts(scientist, project, notebook,
                                 parameters={"NotebookInstanceName": "dana-nb"})
    values, _ = change_identity_keep(requester=scientist, environment_ref="mine",
                                     kept=["DomainId", "NotebookInstanceName"],
                                     values={"NotebookInstanceName": ""})
    assert values == {"NotebookInstanceName": "dana-nb"}
