"""The whitepaper's owner condition, enforced by the fake's IAM-lite, against the calls the portal
itself makes: open (CreatePresignedNotebookInstanceUrl / CreatePresignedDomainUrl), stop, start,
change (UpdateProvisionedProduct) and terminate, in two project accounts.

The project role's policy in both accounts: ``sagemaker:ResourceTag/owner ==
${aws:PrincipalTag/owner}`` (``FAKEAWS_OWNER_CONDITION``). The owner is allowed; anyone else's
session (a colleague, an admin without ``PORTAL_AWS_ADMIN_ROLE_NAME``) is denied by the fake, and
the portal turns that into a clear refusal without ARNs or account ids, audited; an admin with the
admin role configured acts through it and is allowed.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from approvals.models import Request
from catalog.models import Product
from fakeaws.baseline import Baseline, baseline_for
from fakeaws.models import CallLog, NotebookInstance, ProvisionedProduct
from portal.aws import aws_client
from portal.models import AuditEvent, Membership, Project, User
from provisioning.backends import AccessDenied, aws_session_for, backend_for
from provisioning.follow import environment_follow_run
from provisioning.lifecycle import environment_update_apply
from provisioning.models import Environment
from tests.provisioning import fake_portal
from tests.provisioning.fake_portal import approved, provision_and_settle, request_values

pytestmark = pytest.mark.django_db
fake_aws = fake_portal.fake_aws
Status = Environment.Status
NOTEBOOK = "fixtures/notebook-fixed-default-name.yaml"
STUDIO = "fixtures/studio-profile-arn-only.yaml"
SECOND_ACCOUNT = "333333333333"
ACCOUNT_TEXT = ("111111111111", SECOND_ACCOUNT, "arn:aws")


@pytest.fixture
def second_project(fake_aws: Baseline, scientist: User, colleague: User) -> Project:
    """A second project account with the same baseline role (its own RoleId)."""
    base = baseline_for(account=SECOND_ACCOUNT, region="eu-west-1")
    other = Project.objects.create(
        slug="churn", name="Churn", cost_center="CC-3003", environment="dev",
        aws_account_id=SECOND_ACCOUNT, aws_region="eu-west-1",
        aws_role_arn=base.project_role_arn, aws_external_id=base.project_role_external_id)
    for user in (scientist, colleague):
        Membership.objects.create(user=user, project=other, role=Membership.ProjectRole.MEMBER)
    return other


@pytest.fixture
def accounts(fake_aws: Baseline, project: Project, second_project: Project,
             settings: Any) -> dict[str, tuple[Project, dict[str, Product]]]:
    """Both accounts' catalogs synced and published; the owner condition on in both."""
    # The sync of both accounts is set-up here: put back after its first real run in a process
    # (tests/rows_snapshot.py).
    fake_portal.SHAPES_CATALOG.apply("shapes_catalog", fake_portal.shapes_catalog_build,
                                     lambda: None)
    found: dict[str, tuple[Project, dict[str, Product]]] = {}
    for each in (project, second_project):
        products = {product.name: product
                    for product in Product.objects.filter(aws_account_id=each.aws_account_id)}
        found[each.aws_account_id] = (each, products)
    settings.FAKEAWS_OWNER_CONDITION = {a: ["owner", "principal-tag"] for a in found}
    settings.PORTAL_ADMIN_CAN_LAUNCH_ANY = True
    return found


def provisioned(project: Project, product: Product, owner: User) -> Environment:
    base = baseline_for(account=project.aws_account_id, region=project.aws_region)
    values = request_values(product.versions.get(), base)
    if product.name == NOTEBOOK:
        values["NotebookInstanceName"] = "myNotebook"
    environment = provision_and_settle(approved(requester=owner, project=project,
                                                product=product, parameters=values))
    assert environment.status == Status.AVAILABLE, environment.status_message
    return environment


def settle(environment: Environment) -> Environment:
    for _ in range(10):
        environment.refresh_from_db()
        if environment.status not in Environment.FOLLOWED:
            break
        environment_follow_run(environment_id=environment.pk, attempt=environment.follow_attempt)
    environment.refresh_from_db()
    return environment


def change(environment: Environment, *, by: User) -> Request:
    """An approved change request by ``by``, as the approvals workflow leaves it."""
    return Request.objects.create(
        requester=by, project=environment.project, product=environment.product,
        version=environment.version, action=Request.Action.UPDATE,
        environment_ref=str(environment.pk),
        parameters={**environment.parameters, "InstanceType": "ml.m5.xlarge"},
        tag_choices={}, justification="Bigger instance", status=Request.Status.APPROVED,
        decided_at=timezone.now())


def denied_calls(action: str) -> list[CallLog]:
    return list(CallLog.objects.filter(operation=action, error_code="AccessDeniedException"))


def assert_no_account_details(text: str) -> None:
    for secret in ACCOUNT_TEXT:
        assert secret not in text, text


def test_the_owner_opens_stops_starts_changes_and_terminates_in_both_accounts(
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
    assert not CallLog.objects.filter(error_code="AccessDeniedException").exists()


def test_the_owner_tag_is_the_same_in_both_accounts_where_aws_userid_is_not(
        accounts: dict[str, tuple[Project, dict[str, Product]]], scientist: User) -> None:
    """Why the portal compares tags: ``aws:userid`` is ``<RoleId>:<session>``, and the role of
    each account has its own RoleId, so one person's userid differs per account; the session tag
    is the owner id the portal gives the person everywhere."""
    identities = []
    for project, _ in accounts.values():
        session = aws_session_for(project=project, actor=scientist)
        assert dict(session.tags) == {"owner": scientist.owner_id}
        identities.append(aws_client("sts", project=project, session=session)
                          .get_caller_identity())
    assert identities[0]["UserId"] != identities[1]["UserId"]
    assert {i["UserId"].split(":")[1] for i in identities} == {"dana.scientist"}


def colleague_denied_in(project: Project, products: dict[str, Product], *, owner: User,
                        other: User) -> None:
    """Each acting call the portal makes, made in ``other``'s session: AccessDenied; the
    owner's own session is allowed the same calls."""
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
        lambda: theirs.terminate_provisioned_product(
            provisioned_product_id=notebook.provisioned_product_id, token="colleague-1"),
    ]
    for call in calls:
        with pytest.raises(AccessDenied) as caught:
            call()
        assert caught.value.code == "AccessDeniedException"
        assert_no_account_details(caught.value.message)
    mine = backend_for(project, actor=owner, resource_owner=owner)
    assert mine.notebook_presigned_url(notebook_name=name, session_seconds=3600,
                                       owner_id=owner.owner_id)
    mine.notebook_stop(notebook_name=name)


def test_every_acting_call_in_a_colleagues_session_is_denied_by_aws(
        accounts: dict[str, tuple[Project, dict[str, Product]]], scientist: User,
        colleague: User) -> None:
    for project, products in accounts.values():
        colleague_denied_in(project, products, owner=scientist, other=colleague)
    for action in ("CreatePresignedNotebookInstanceUrl", "CreatePresignedDomainUrl",
                   "StopNotebookInstance", "TerminateProvisionedProduct"):
        assert {c.account for c in denied_calls(action)} == set(accounts), action


def test_an_admin_without_the_admin_role_is_refused_by_aws_clearly_and_audited(
        accounts: dict[str, tuple[Project, dict[str, Product]]], scientist: User,
        platform_admin: User, client: Client, django_capture_on_commit_callbacks: Any) -> None:
    client.force_login(platform_admin)
    project, products = accounts[SECOND_ACCOUNT]
    notebook = provisioned(project, products[NOTEBOOK], scientist)
    studio = provisioned(project, products[STUDIO], scientist)

    for environment in (notebook, studio):
        answer = client.post(f"/environments/{environment.pk}/open")
        assert answer.status_code == 403
        page = answer.content.decode()
        assert "AWS refused to open it (AccessDeniedException)." in page
        assert_no_account_details(page)
    refused = AuditEvent.objects.filter(action="environment.launch_refused",
                                        actor=platform_admin)
    assert [e.data["reason"] for e in refused] == ["aws_denied", "aws_denied"]
    assert "is not authorized to perform" in refused[0].data["detail"]  # AWS's text, for admins

    with django_capture_on_commit_callbacks(execute=False):
        environment_update_apply(request=change(notebook, by=platform_admin))
    notebook = settle(notebook)
    assert notebook.status == Status.AVAILABLE
    assert notebook.status_message.startswith("The change failed and was rolled back: "
                                              "UpdateProvisionedProduct: AccessDeniedException")
    assert_no_account_details(notebook.status_message)
    assert AuditEvent.objects.filter(action="environment.update_failed", object_id=str(
        notebook.pk)).exists()
    before = ProvisionedProduct.objects.get(pp_id=notebook.provisioned_product_id).parameters
    assert "ml.m5.xlarge" not in before.values()

    client.post(f"/environments/{notebook.pk}/terminate", {"confirm": "yes"})
    notebook = settle(notebook)
    assert notebook.status == Status.FAILED
    assert "TerminateProvisionedProduct: AccessDeniedException" in notebook.status_message
    assert_no_account_details(notebook.status_message)
    assert AuditEvent.objects.filter(action="environment.terminate", actor=platform_admin,
                                     object_id=str(notebook.pk)).exists()
    assert ProvisionedProduct.objects.get(
        pp_id=notebook.provisioned_product_id).status == "AVAILABLE"
    assert {c.operation for c in denied_calls("TerminateProvisionedProduct")} == {
        "TerminateProvisionedProduct"}


def test_an_admin_acts_on_others_environments_through_the_configured_admin_role(
        accounts: dict[str, tuple[Project, dict[str, Product]]], scientist: User,
        platform_admin: User, client: Client, settings: Any,
        django_capture_on_commit_callbacks: Any) -> None:
    settings.PORTAL_AWS_ADMIN_ROLE_NAME = settings.FAKEAWS_ADMIN_ROLE_NAME = "PortalAdmin"
    client.force_login(platform_admin)
    for project, products in accounts.values():
        notebook = provisioned(project, products[NOTEBOOK], scientist)
        studio = provisioned(project, products[STUDIO], scientist)
        for environment in (notebook, studio):
            answer = client.post(f"/environments/{environment.pk}/open")
            assert answer.status_code == 302, answer.content[:300]
        with django_capture_on_commit_callbacks(execute=False):
            environment_update_apply(request=change(notebook, by=platform_admin))
        assert settle(notebook).status == Status.AVAILABLE
        assert notebook.status_message == ""
        client.post(f"/environments/{notebook.pk}/terminate", {"confirm": "yes"})
        assert settle(notebook).status == Status.TERMINATED, notebook.status_message
    assert not CallLog.objects.filter(error_code="AccessDeniedException").exists()
    admin_calls = CallLog.objects.filter(principal__contains=":assumed-role/PortalAdmin/")
    assert {c.operation for c in admin_calls} >= {
        "CreatePresignedNotebookInstanceUrl", "CreatePresignedDomainUrl",
        "UpdateProvisionedProduct", "TerminateProvisionedProduct"}
