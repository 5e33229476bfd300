"""Where resolution finds the resource, and what it refuses: a resource named by a parameter is
adopted only if it carries this environment's tags; the tagging API finds a resource when the
record's outputs are gone; names read from ARNs are SageMaker's real names."""

from __future__ import annotations

import uuid

import pytest
from django.test import Client

from catalog.models import Product
from fakeaws.baseline import Baseline
from portal.models import Project, User
from provisioning.backends import backend_for
from provisioning.models import Environment
from provisioning.resolve import (
    Found,
    ResourceFinder,
    environment_resource_find,
    from_mapping,
    from_outputs,
)
from tests.provisioning import fake_portal
from tests.provisioning.fake_portal import approved, provision_and_settle, request_values

pytestmark = pytest.mark.django_db
fake_aws = fake_portal.fake_aws
shapes_catalog = fake_portal.shapes_catalog
ARN = "arn:aws:sagemaker:eu-west-1:111111111111:"


def provisioned(products: dict[str, Product], name: str, base: Baseline, user: User,
                project: Project, **values: str) -> Environment:
    product = products[name]
    environment = provision_and_settle(approved(
        requester=user, project=project, product=product,
        parameters={**request_values(product.versions.get(), base), **values}))
    assert environment.status == Environment.Status.AVAILABLE, environment.status_message
    return environment


def finder(project: Project) -> ResourceFinder:
    backend = backend_for(project)
    assert isinstance(backend, ResourceFinder)
    return backend


def test_a_notebook_named_by_a_parameter_is_not_adopted_by_another_environment(
        shapes_catalog: dict[str, Product], fake_aws: Baseline, scientist: User,
        colleague: User, project: Project) -> None:
    mine = provisioned(shapes_catalog, "fixtures/notebook-name-in-parameter.yaml", fake_aws,
                       scientist, project)
    assert (mine.notebook_instance_name, mine.resolved_by) == ("fx-notebook", "parameters")
    # Another environment whose parameters name the same notebook (and whose outputs say
    # nothing): the notebook carries the first environment's tags, so it is not this one's.
    other = Environment(
        id=uuid.uuid4(), origin_request=mine.origin_request, owner=colleague, project=project,
        product=mine.product, version=mine.version, parameters=dict(mine.parameters),
        provisioned_product_name="carl-colleague-notebook-1", provisioned_product_id="pp-other")
    found = environment_resource_find(environment=other, outputs={"RoleUsed": "x"},
                                      finder=finder(project))
    assert found == Found()
    # The same lookup for the environment that owns it finds it.
    again = environment_resource_find(environment=mine, outputs={"RoleUsed": "x"},
                                      finder=finder(project))
    assert (again.notebook_instance_name, again.source) == ("fx-notebook", "parameters")


def test_without_outputs_the_tagged_resource_is_found(
        shapes_catalog: dict[str, Product], fake_aws: Baseline, scientist: User,
        project: Project) -> None:
    mine = provisioned(shapes_catalog, "fixtures/notebook-no-outputs.yaml", fake_aws,
                       scientist, project)
    assert mine.resolved_by == "stack"
    found = environment_resource_find(environment=mine, outputs={}, finder=finder(project))
    assert (found.notebook_instance_name, found.source) == (mine.notebook_instance_name, "tags")


def test_a_studio_profile_arn_gives_the_real_mixed_case_name(
        shapes_catalog: dict[str, Product], fake_aws: Baseline, scientist: User,
        project: Project) -> None:
    mine = provisioned(shapes_catalog, "fixtures/studio-profile-arn-only.yaml", fake_aws,
                       scientist, project, UserProfileName="Dana-Studio")
    # The only output is the profile's ARN, where SageMaker lower-cases the name.
    assert mine.outputs["UserProfile"].endswith(f"/{mine.domain_id}/dana-studio")
    assert (mine.user_profile_name, mine.resolved_by) == ("Dana-Studio", "outputs")


def test_arns_are_parsed_not_truncated_and_other_kinds_are_ignored() -> None:
    kind = Product.Kind.NOTEBOOK_INSTANCE
    assert from_mapping(kind=kind, mapping={"notebook_instance_name": "Nb"},
                        outputs={"Nb": f"{ARN}notebook-instance/mynotebook"}) == {
        "notebook_instance_name": "mynotebook"}
    assert from_outputs(kind=kind, outputs={"Other": f"{ARN}user-profile/d-abc/x"}) == {}
    assert from_outputs(kind=kind, outputs={"notebookname": "Team-Nb"}) == {
        "notebook_instance_name": "Team-Nb"}
    assert from_outputs(kind=Product.Kind.STUDIO_USER_PROFILE, outputs={
        "StudioDomainId": "d-abc123", "ProfileName": "dana"}) == {
        "domain_id": "d-abc123", "user_profile_name": "dana"}


def test_admins_see_where_the_resource_was_found_and_owners_do_not(
        shapes_catalog: dict[str, Product], fake_aws: Baseline, scientist: User,
        platform_admin: User, project: Project, client: Client) -> None:
    mine = provisioned(shapes_catalog, "fixtures/notebook-outputs-url-only.yaml", fake_aws,
                       scientist, project)
    client.force_login(platform_admin)
    page = client.get(f"/environments/{mine.pk}/")
    assert page.status_code == 200
    assert "the resources of the provisioned product&#x27;s CloudFormation stack" in \
        page.content.decode()
    client.force_login(scientist)
    page = client.get(f"/environments/{mine.pk}/")
    assert page.status_code == 200 and b"resolved-by" not in page.content


def test_two_candidate_notebooks_are_never_guessed_between(
        shapes_catalog: dict[str, Product], fake_aws: Baseline, scientist: User,
        platform_admin: User, project: Project, client: Client) -> None:
    mine = provisioned(shapes_catalog, "local/notebooks-two.yaml", fake_aws, scientist, project)
    assert (mine.notebook_instance_name, mine.resolved_by) == ("", "")
    assert not mine.launchable
    client.force_login(platform_admin)
    page = client.get(f"/environments/{mine.pk}/")
    assert '<dd id="resolved-by">not found</dd>' in page.content.decode()
