"""Issue 9: every day-2 request the demo makes reaches someone who can decide it.

An earlier manual run of ``make demo`` left a change request pending with nobody to approve it.
Here each change and terminate request of the demo's cast, under the demo's own policies
(``seed_demo_policies``), is either approved by a named rule (audited with the rule as actor) or
sits in the inbox of the person the policies name, where they can approve it.
"""

from __future__ import annotations

from io import StringIO
from typing import Any

import pytest
from django.core import mail
from django.core.management import call_command

from approvals.models import Request
from approvals.selectors import inbox_for_user
from approvals.services import request_approve
from catalog.models import Product
from portal.models import AuditEvent, Project, User
from tests.approvals.conftest import make_environment, notebook_values

pytestmark = pytest.mark.django_db


def _day2(requester: User, project: Project, product: Product, action: str,
          environment: Any, parameters: dict[str, str]) -> Request:
    from approvals.services import request_create

    return request_create(
        requester=requester, project_slug=project.slug, product_id=product.pk,
        parameters=parameters, action=action, environment_ref=str(environment.pk),
        tag_choices={"data-classification": "confidential"} if product.tag_options.exists()
        else {},
        justification="Day two of the demo.",
    )


@pytest.mark.parametrize(("product_fixture", "action", "parameters", "decider", "step"), [
    # Over the CPU rule's $150/month: no demo rule matches, PORTAL_APPROVAL_DEFAULT's group.
    ("notebook", "update", notebook_values("ml.m5.xlarge"), "platform_admin", "Platform review"),
    # A change to a GPU is a GPU notebook again: the manager first.
    ("notebook", "update", notebook_values("ml.p3.2xlarge"), "manager", "Requester's manager"),
    # A terminate has no parameters and no cost: the default group.
    ("notebook", "terminate", {}, "platform_admin", "Platform review"),
    ("studio", "update", {"UserProfileName": "dana"}, "manager", "Project lead"),
    ("studio", "terminate", {}, "manager", "Project lead"),
    ("mlops", "update", {}, "manager", "Project lead"),  # the portal names projects
    ("mlops", "terminate", {}, "manager", "Project lead"),
])
def test_each_day2_request_of_the_demo_waits_in_its_deciders_inbox_and_can_be_approved(
    demo_policies: None, scientist: User, manager: User, platform_admin: User, project: Project,
    request: pytest.FixtureRequest, product_fixture: str, action: str,
    parameters: dict[str, str], decider: str, step: str,
) -> None:
    product: Product = request.getfixturevalue(product_fixture)
    environment = make_environment(scientist, project, product)
    day2 = _day2(scientist, project, product, action, environment, parameters)
    assert day2.status == Request.Status.PENDING
    person: User = request.getfixturevalue(decider)
    [task] = [t for t in inbox_for_user(user=person) if t.request_id == day2.pk]
    assert task.name == step
    request_approve(task=task, approver=person, comment="ok")
    day2.refresh_from_db()
    # One step, or the next one's decider finds it in their inbox in turn.
    if day2.status == Request.Status.PENDING:
        [next_task] = [t for t in inbox_for_user(user=platform_admin) if t.request_id == day2.pk]
        request_approve(task=next_task, approver=platform_admin, comment="ok")
        day2.refresh_from_db()
    assert day2.status == Request.Status.APPROVED


def test_a_cheap_cpu_change_is_approved_by_the_visible_cpu_rule(
    demo_policies: None, scientist: User, project: Project, notebook: Product,
) -> None:
    environment = make_environment(scientist, project, notebook)
    change = _day2(scientist, project, notebook, "update", environment,
                   notebook_values("ml.t3.medium"))  # $36.50/month
    assert change.status == Request.Status.APPROVED and not change.tasks.exists()
    approved = AuditEvent.objects.get(action="request.approved", object_id=str(change.pk))
    assert approved.actor_username == ("policy:Demo: SageMaker environments / "
                                       "rule:CPU notebooks under $150/month")


def test_before_pat_admin_ever_signed_in_the_platform_review_is_theirs_and_they_are_told(
    demo_policies: None, notebook: Product, django_capture_on_commit_callbacks: Any,
) -> None:
    """The known demo break: Dana's change over $150/month waited for "Platform review", the
    ml-platform-admins group had nobody in it until pat.admin's first sign-in, so no inbox showed
    it and nobody was e-mailed. The seed puts the demo people in their IdP groups, as their
    first sign-in would (roles still come from SAML only)."""
    call_command("seed_demo", stdout=StringIO())
    dana = User.objects.get(username="dana.scientist")
    pat = User.objects.get(username="pat.admin")
    assert pat.last_saml_sign_in is None and pat.roles == []
    fraud = Project.objects.get(slug="fraud-detection")
    environment = make_environment(dana, fraud, notebook)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):  # the e-mails go after the commit
        change = _day2(dana, fraud, notebook, "update", environment,
                       notebook_values("ml.m5.xlarge"))
    assert [t.request_id for t in inbox_for_user(user=pat)] == [change.pk]
    [asked] = [m for m in mail.outbox if "Approval needed" in m.subject]
    assert asked.to == [pat.email]
    assert not change.tasks.get().escalated
