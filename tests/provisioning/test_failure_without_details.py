"""A record AWS reports FAILED without any RecordErrors still fails the environment with a message
that says so, rather than an empty one."""

from __future__ import annotations

from provisioning.models import Environment
from tests.provisioning.conftest import AwsStubs, run_until_settled
from tests.provisioning.test_environment_provision_run import describe, expect_provision


def test_a_failure_aws_gives_no_reason_for_says_so(aws: AwsStubs, queued: Environment) -> None:
    expect_provision(aws, queued)
    describe(aws, "FAILED", errors=[])
    environment = run_until_settled(queued)
    assert environment.status == Environment.Status.FAILED
    assert environment.status_message == "AWS reported a failure without details."
