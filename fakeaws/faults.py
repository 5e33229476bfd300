"""Faults on demand: the next N matching calls answer an AWS error instead.

``inject(service="servicecatalog", operation="DescribeRecord", code="ThrottlingException",
status=400, times=2)``; ``fail_next_stack(message=...)`` makes the next stack the fake creates
fail the way CloudFormation reports a resource failure; ``delay_answer(service=…, operation=…,
seconds=…)`` makes the next matching call do its work and then wait before answering (a slow
network: the call has reached AWS, its answer has not come back — what a test needs to kill a
worker in between).
"""

from __future__ import annotations

import time

from django.db import transaction
from django.db.models import F

from fakeaws import clock
from fakeaws.models import FaultRule
from fakeaws.protocol import AwsError

STACK_SERVICE = "cloudformation"
STACK_OPERATION = "StackCreate"
STACK_CODE = "StackFailure"

# AWS's wording for the common ones (botocore retries the throttling codes itself).
MESSAGES = {
    "ThrottlingException": "Rate exceeded",
    "Throttling": "Rate exceeded",
    "AccessDeniedException": "User is not authorized to perform this action",
    "AccessDenied": "User is not authorized to perform this action",
    "ServiceUnavailable": "Service is unavailable",
    "ServiceUnavailableException": "Service is unavailable",
    "InternalFailure": "We encountered an internal error. Please try again.",
}


def inject(*, service: str, code: str, operation: str = "", status: int = 400, times: int = 1,
           account: str = "", message: str = "") -> FaultRule:
    if times < 1:
        raise ValueError("times must be at least 1")
    return FaultRule.objects.create(
        service=service, operation=operation, account=account, code=code, status=status,
        message=message or MESSAGES.get(code, code), remaining=times, created_at=clock.now())


def fail_next_stack(*, message: str, account: str = "", times: int = 1) -> FaultRule:
    return inject(service=STACK_SERVICE, operation=STACK_OPERATION, code=STACK_CODE,
                  message=message, account=account, times=times)


NOTEBOOK_OPERATION = "NotebookStart"
NOTEBOOK_CODE = "NotebookFailure"


def fail_next_notebook_start(*, message: str, account: str = "", times: int = 1) -> FaultRule:
    """The next notebook start ends in Failed with this FailureReason (e.g. no capacity)."""
    return inject(service="sagemaker", operation=NOTEBOOK_OPERATION, code=NOTEBOOK_CODE,
                  message=message, account=account, times=times)


def notebook_failure_take(*, account: str) -> str:
    rule = _take(service="sagemaker", operation=NOTEBOOK_OPERATION, account=account)
    return rule.message if rule is not None else ""


DELAY_CODE = "AnswerDelay"  # not an AWS error: the rule's message holds the seconds to wait


def delay_answer(*, service: str, operation: str, seconds: float, account: str = "",
                 times: int = 1) -> FaultRule:
    """The next ``times`` matching calls succeed, but their answers leave ``seconds`` later."""
    if seconds <= 0:
        raise ValueError("seconds must be positive")
    return inject(service=service, operation=operation, code=DELAY_CODE, status=200,
                  message=str(seconds), account=account, times=times)


def answer_delay_wait(*, service: str, operation: str, account: str) -> None:
    """Wait as a pending delay rule for this call says (consumed); no rule: return at once.

    Real time, not ``clock``: the point is a call that is really still on its way back.
    """
    rule = _take(service=service, operation=operation, account=account, code=DELAY_CODE)
    if rule is not None:
        time.sleep(float(rule.message))


def _take(*, service: str, operation: str, account: str, code: str = "") -> FaultRule | None:
    """Consume one matching rule: of ``code`` when given, else any error rule (never a delay).

    Every fake AWS call asks twice (an error rule, a delay rule) and almost none has a rule: one
    plain read answers that, without the savepoint and row lock of the consuming read (a rule
    added meanwhile is one the call came too early for)."""
    if not FaultRule.objects.filter(remaining__gt=0).exists():
        return None
    with transaction.atomic():
        rules = (FaultRule.objects.select_for_update()
                 .filter(service=service, remaining__gt=0, operation__in=[operation, ""],
                         account__in=[account, ""]))
        rules = rules.filter(code=code) if code else rules.exclude(code=DELAY_CODE)
        rule = rules.order_by("created_at", "id").first()
        if rule is None:
            return None
        FaultRule.objects.filter(pk=rule.pk).update(remaining=F("remaining") - 1)
        return rule


def raise_if_injected(*, service: str, operation: str, account: str) -> None:
    if operation in (STACK_OPERATION, NOTEBOOK_OPERATION):
        return
    rule = _take(service=service, operation=operation, account=account)
    if rule is not None:
        raise AwsError(rule.code, rule.message, rule.status, sender=rule.status < 500)


def stack_failure_take(*, account: str) -> str:
    """The message of a pending "fail the next stack" rule (consumed), or empty."""
    rule = _take(service=STACK_SERVICE, operation=STACK_OPERATION, account=account)
    return rule.message if rule is not None else ""


def clear() -> None:
    FaultRule.objects.all().delete()
