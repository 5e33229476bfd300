"""The hook itself: routing, refusals of malformed calls, independence from the portal's apps,
and the fault command."""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError
from django.core.management import CommandError, call_command

from fakeaws.hook import attach
from fakeaws.models import CallLog, FaultRule
from tests.fakeaws.conftest import client

ROOT = Path(__file__).resolve().parents[2]


def test_the_fake_imports_nothing_of_the_portal() -> None:
    forbidden = {"config", "portal", "catalog", "approvals", "provisioning"}
    found = []
    for path in (ROOT / "fakeaws").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import) else
                     [node.module or ""] if isinstance(node, ast.ImportFrom) and node.level == 0
                     else [])
            found += [f"{path}: {n}" for n in names if n.split(".")[0] in forbidden]
    assert found == []


@pytest.mark.django_db
def test_an_operation_the_fake_does_not_offer_is_refused_not_answered() -> None:
    sm = client("sagemaker")
    with pytest.raises(ClientError) as caught:
        sm.list_training_jobs()
    assert caught.value.response["Error"]["Code"] == "UnknownOperationException"
    assert CallLog.objects.get().error_code == "UnknownOperationException"


@pytest.mark.django_db
def test_a_service_the_fake_does_not_offer_is_refused() -> None:
    s3 = client("s3")
    with pytest.raises(ClientError):
        s3.list_buckets()


@pytest.mark.django_db
def test_attaching_twice_answers_once() -> None:
    sts = attach(client("sts"))
    sts.get_caller_identity()
    assert CallLog.objects.count() == 1


@pytest.mark.django_db
def test_the_fault_command_injects_and_clears(capsys: Any) -> None:
    call_command("fakeaws_fault", "--service", "sts", "--operation", "GetCallerIdentity",
                 "--code", "AccessDenied", "--status", "403")
    with pytest.raises(ClientError) as caught:
        client("sts").get_caller_identity()
    assert caught.value.response["Error"]["Code"] == "AccessDenied"
    client("sts").get_caller_identity()  # once only
    call_command("fakeaws_fault", "--fail-next-stack", "Notebook: no capacity")
    assert FaultRule.objects.filter(code="StackFailure", remaining=1).exists()
    call_command("fakeaws_fault", "--fail-next-notebook-start", "No capacity")
    assert FaultRule.objects.filter(code="NotebookFailure", remaining=1).exists()
    call_command("fakeaws_fault", "--clear")
    assert not FaultRule.objects.exists()
    with pytest.raises(CommandError):
        call_command("fakeaws_fault", "--service", "sts")
    with pytest.raises(CommandError):
        call_command("fakeaws_fault", "--service", "sts", "--code", "X", "--times", "0")


@pytest.mark.django_db
def test_a_delay_rule_answers_late_after_doing_the_work_and_raises_nothing(
        monkeypatch: pytest.MonkeyPatch) -> None:
    from fakeaws import faults

    waits: list[float] = []
    seen_in_log: list[bool] = []

    def sleep(seconds: float) -> None:  # the call is already logged (done) when the wait starts
        seen_in_log.append(CallLog.objects.filter(operation="GetCallerIdentity").exists())
        waits.append(seconds)

    monkeypatch.setattr(faults.time, "sleep", sleep)
    call_command("fakeaws_fault", "--service", "sts", "--operation", "GetCallerIdentity",
                 "--delay-seconds", "2.5")
    faults.inject(service="sts", operation="GetCallerIdentity", code="AccessDenied", status=403)
    # The error rule is still taken first (a delay never counts as an error), then the delay.
    with pytest.raises(ClientError):
        client("sts").get_caller_identity()
    assert waits == []
    assert client("sts").get_caller_identity()["Account"]
    assert waits == [2.5] and seen_in_log == [True]
    client("sts").get_caller_identity()  # consumed: no second wait
    assert waits == [2.5]
    with pytest.raises(CommandError):
        call_command("fakeaws_fault", "--delay-seconds", "1")
