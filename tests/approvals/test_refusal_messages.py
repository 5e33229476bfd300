"""What each refused decision says, word for word (people act on these messages), and the
comment length limit at its boundary."""

from __future__ import annotations

import pytest

from approvals.errors import (
    AlreadyDecided,
    ApprovalError,
    CommentRequired,
    InvalidTransition,
    NotAllowed,
    NotEligible,
    SelfApproval,
)
from approvals.models import Request
from approvals.services import request_approve, request_cancel, request_reject
from approvals.services.decide import COMMENT_MAX
from catalog.models import Product
from portal.models import Project, User
from tests.approvals.conftest import request_notebook, snapshot

pytestmark = pytest.mark.django_db


def _says(exc: pytest.ExceptionInfo[ApprovalError], message: str) -> None:
    assert exc.value.message == message and str(exc.value) == message


def test_the_limit_is_four_thousand_characters(gpu_request: Request, manager: User) -> None:
    assert COMMENT_MAX == 4000
    task = gpu_request.tasks.get()
    before = snapshot()
    for refuse in (lambda: request_approve(task=task, approver=manager, comment="x" * 4001),
                   lambda: request_reject(task=task, approver=manager, comment="x" * 4001)):
        with pytest.raises(CommentRequired) as refused:
            refuse()
        _says(refused, "The comment can be at most 4000 characters.")
    assert snapshot() == before
    decision = request_approve(task=task, approver=manager, comment=" " + "x" * 4000 + " ")
    assert decision.comment == "x" * 4000


def test_a_rejection_at_the_limit_is_accepted(gpu_request: Request, manager: User) -> None:
    decision = request_reject(task=gpu_request.tasks.get(), approver=manager, comment="n" * 4000)
    assert decision.verdict == "reject" and len(decision.comment) == 4000


def test_a_rejection_without_a_reason_says_so(gpu_request: Request, manager: User) -> None:
    with pytest.raises(CommentRequired) as refused:
        request_reject(task=gpu_request.tasks.get(), approver=manager, comment="")
    _says(refused, "Say why you reject the request: a comment is required.")


def test_the_refusals_of_a_decision_say_why(
    demo_policies: None, scientist: User, manager: User, colleague: User, platform_admin: User,
    project: Project, notebook: Product,
) -> None:
    request = request_notebook(scientist, project, notebook, "ml.p3.2xlarge")
    first = request.tasks.get()
    first.eligible_approvers.add(scientist)
    with pytest.raises(SelfApproval) as refused:
        request_approve(task=first, approver=scientist)
    _says(refused, "You cannot decide your own request.")
    with pytest.raises(NotEligible) as refused:
        request_approve(task=first, approver=colleague)
    _says(refused, "You are not an approver of this step.")
    request_approve(task=first, approver=manager)
    with pytest.raises(AlreadyDecided) as refused:
        request_approve(task=first, approver=manager)
    _says(refused, "Already decided: this step is approved and the request is pending approval.")
    second = request.tasks.get(status="pending")
    second.eligible_approvers.add(manager)
    with pytest.raises(NotEligible) as refused:
        request_approve(task=second, approver=manager)
    _says(refused, "You decided an earlier step of this request; someone else must decide "
                   "this one.")


def test_the_refusals_of_a_cancel_say_why(
    gpu_request: Request, scientist: User, colleague: User,
) -> None:
    with pytest.raises(NotAllowed) as refused:
        request_cancel(request=gpu_request, user=colleague)
    _says(refused, "Only the requester can cancel a request.")
    request_cancel(request=gpu_request, user=scientist)
    with pytest.raises(InvalidTransition) as refused:
        request_cancel(request=gpu_request, user=scientist)
    _says(refused, "Only a pending request can be cancelled; this one is cancelled.")
