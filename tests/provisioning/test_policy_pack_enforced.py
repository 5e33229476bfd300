"""The generated project-role permissions (portal.policy_pack), installed in the fake's IAM-lite
(``FAKEAWS_IAM_POLICIES``) of two project accounts, decide the calls the portal itself makes:
the owner's open (CreatePresignedNotebookInstanceUrl / CreatePresignedDomainUrl), stop, start,
change (UpdateProvisionedProduct) and terminate are allowed; the same calls in a colleague's
session are denied by AWS. No ``FAKEAWS_OWNER_CONDITION``: the policy documents alone decide.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from catalog.models import Product
from fakeaws.baseline import Baseline
from fakeaws.identity import role_id
from fakeaws.models import CallLog, NotebookInstance
from portal.models import Project, User
from portal.policy_pack import permissions_policy
from provisioning.backends import AccessDenied, backend_for
from provisioning.lifecycle import environment_update_apply
from provisioning.models import Environment
from tests.provisioning import fake_portal
from tests.provisioning.test_owner_condition_portal import (
    NOTEBOOK,
    STUDIO,
    change,
    provisioned,
    second_project,
    settle,
)

pytestmark = pytest.mark.django_db
fake_aws = fake_portal.fake_aws
Status = Environment.Status
__all__ = ["fake_aws", "second_project"]  # fixtures used by name


@pytest.fixture
def accounts(fake_aws: Baseline, project: Project, second_project: Project, settings: Any,
             ) -> dict[str, tuple[Project, dict[str, Product]]]:
    """Both accounts synced and published; each project role governed by its generated policy."""
    # The sync of both accounts is set-up here: put back after its first real run in a process
    # (tests/rows_snapshot.py).
    fake_portal.SHAPES_CATALOG.apply("shapes_catalog", fake_portal.shapes_catalog_build,
                                     lambda: None)
    found: dict[str, tuple[Project, dict[str, Product]]] = {}
    for each in (project, second_project):
        products = {product.name: product
                    for product in Product.objects.filter(aws_account_id=each.aws_account_id)}
        found[each.aws_account_id] = (each, products)
    settings.FAKEAWS_OWNER_CONDITION = {}
    settings.FAKEAWS_IAM_POLICIES = {p.aws_account_id: [permissions_policy(p)]
                                     for p, _ in found.values()}
    return found


def denied() -> set[tuple[str, str]]:
    return set(CallLog.objects.filter(error_code="AccessDeniedException")
               .values_list("account", "operation"))


def test_the_generated_policy_allows_the_owner_every_acting_call_in_both_accounts(
        accounts: dict[str, tuple[Project, dict[str, Product]]], scientist: User,
        client: Client, django_capture_on_commit_callbacks: Any) -> None:
    client.force_login(scientist)
    for project, products in accounts.values():
        notebook = provisioned(project, products[NOTEBOOK], scientist)
        studio = provisioned(project, products[STUDIO], scientist)
        for environment in (notebook, studio):
            answer = client.post(f"/environments/{environment.pk}/open")
            assert answer.status_code == 302, answer.content[:300]
        client.post(f"/environments/{notebook.pk}/stop")
        assert settle(notebook).status == Status.STOPPED, notebook.status_message
        client.post(f"/environments/{notebook.pk}/start")
        assert settle(notebook).status == Status.AVAILABLE, notebook.status_message
        with django_capture_on_commit_callbacks(execute=False):
            environment_update_apply(request=change(notebook, by=scientist))
        assert settle(notebook).status == Status.AVAILABLE
        assert notebook.status_message == ""
        assert NotebookInstance.objects.get(
            account=project.aws_account_id,
            name=notebook.notebook_instance_name).instance_type == "ml.m5.xlarge"
        client.post(f"/environments/{notebook.pk}/terminate", {"confirm": "yes"})
        assert settle(notebook).status == Status.TERMINATED, notebook.status_message
    assert denied() == set()


def colleague_refused_every_call(project: Project, products: dict[str, Product], *,
                                 owner: User, other: User) -> None:
    """Each acting call the portal makes, in ``other``'s session on ``owner``'s environments:
    AccessDenied; the owner's own session is allowed right after."""
    notebook = provisioned(project, products[NOTEBOOK], owner)
    studio = provisioned(project, products[STUDIO], owner)
    theirs = backend_for(project, actor=other, resource_owner=owner)
    name = notebook.notebook_instance_name
    calls: list[Callable[[], Any]] = [
        lambda: theirs.notebook_presigned_url(notebook_name=name, session_seconds=3600,
                                              owner_id=other.owner_id),
        lambda: theirs.studio_presigned_url(
            domain_id=studio.domain_id, user_profile_name=studio.user_profile_name,
            expires_seconds=60, session_seconds=3600, owner_id=other.owner_id),
        lambda: theirs.notebook_stop(notebook_name=name),
        lambda: theirs.notebook_start(notebook_name=name),
        lambda: theirs.update_provisioned_product(
            provisioned_product_id=notebook.provisioned_product_id,
            product_id=notebook.product.product_id, artifact_id=notebook.version.artifact_id,
            path_id="", parameters={}, previous=(), tags=[], token="colleague-upd"),
        lambda: theirs.terminate_provisioned_product(
            provisioned_product_id=notebook.provisioned_product_id, token="colleague-1"),
    ]
    for call in calls:
        with pytest.raises(AccessDenied) as caught:
            call()
        assert caught.value.code == "AccessDeniedException"
    mine = backend_for(project, actor=owner, resource_owner=owner)
    assert mine.notebook_presigned_url(notebook_name=name, session_seconds=3600,
                                       owner_id=owner.owner_id)


def test_the_generated_policy_denies_a_colleague_every_acting_call_in_both_accounts(
        accounts: dict[str, tuple[Project, dict[str, Product]]], scientist: User,
        colleague: User) -> None:
    operations = {"CreatePresignedNotebookInstanceUrl", "CreatePresignedDomainUrl",
                  "StopNotebookInstance", "StartNotebookInstance", "UpdateProvisionedProduct",
                  "TerminateProvisionedProduct"}
    for project, products in accounts.values():
        colleague_refused_every_call(project, products, owner=scientist, other=colleague)
    assert denied() == {(a, op) for a in accounts for op in operations}


def test_in_userid_mode_the_owner_tag_is_compared_with_aws_userid(
        accounts: dict[str, tuple[Project, dict[str, Product]]], scientist: User,
        colleague: User, settings: Any) -> None:
    """``PORTAL_POLICY_OWNER_MATCH=userid``: the owner id must be ``<RoleId>:<session name>`` of
    the project role (one account here: the RoleId differs per account)."""
    settings.PORTAL_POLICY_OWNER_MATCH = "userid"
    project, products = next(iter(accounts.values()))
    settings.FAKEAWS_IAM_POLICIES = {project.aws_account_id: [permissions_policy(project)]}
    assert "${aws:userid}" in json.dumps(permissions_policy(project))
    rid = role_id(project.aws_role_arn)
    for user in (scientist, colleague):
        user.owner_id = f"{rid}:{user.username}"
        user.save()
    notebook = provisioned(project, products[NOTEBOOK], scientist)
    name = notebook.notebook_instance_name
    theirs = backend_for(project, actor=colleague, resource_owner=scientist)
    with pytest.raises(AccessDenied):
        theirs.notebook_stop(notebook_name=name)
    backend_for(project, actor=scientist, resource_owner=scientist).notebook_stop(
        notebook_name=name)
    assert denied() == {(project.aws_account_id, "StopNotebookInstance")}
