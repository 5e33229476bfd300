"""The counting rules: which instance types are GPUs, and a product's daily credits."""

from __future__ import annotations

from decimal import Decimal

import pytest

from quotas.usage import Consumption, Usage, consumption_of, daily_credits, is_gpu_instance

PRICES = {("ml.p3.2xlarge", "eu-west-1"): Decimal("3.8250"),
          ("ml.t3.medium", "eu-west-1"): Decimal("0.0500")}


@pytest.mark.parametrize("instance_type", [
    "ml.p2.xlarge", "ml.p3.2xlarge", "ml.p3dn.24xlarge", "ml.p4d.24xlarge", "ml.p4de.24xlarge",
    "ml.p5.48xlarge", "ml.p5e.48xlarge", "ml.g4dn.xlarge", "ml.g5.2xlarge", "ml.g6.xlarge",
    "ml.g6e.12xlarge", "ml.gr6.4xlarge", " ML.G5.XLARGE ",
])
def test_p_and_g_families_are_gpu_instances(instance_type: str) -> None:
    assert is_gpu_instance(instance_type)


@pytest.mark.parametrize("instance_type", [
    "ml.t3.medium", "ml.m5.xlarge", "ml.c5.xlarge", "ml.r5.large",
    # Graviton: the "g" comes after the generation digit.
    "ml.m6g.large", "ml.c6g.xlarge", "ml.c7g.2xlarge", "ml.r6g.large",
    # Accelerators that are not GPUs.
    "ml.inf1.xlarge", "ml.inf2.xlarge", "ml.trn1.2xlarge", "ml.eia2.medium",
    # Not an instance type at all.
    "", "p3.2xlarge", "ml.", "gpu", "ml.p.xlarge",
])
def test_other_instance_types_are_not(instance_type: str) -> None:
    assert not is_gpu_instance(instance_type)


def test_daily_credits_are_the_hourly_price_times_24() -> None:
    assert daily_credits(instance_type="ml.p3.2xlarge", region="eu-west-1",
                         prices=PRICES) == Decimal("91.80")
    assert daily_credits(instance_type="ml.t3.medium", region="eu-west-1",
                         prices=PRICES) == Decimal("1.20")


def test_an_unpriced_type_has_unknown_credits_and_no_type_costs_none() -> None:
    assert daily_credits(instance_type="ml.t3.medium", region="us-east-1", prices=PRICES) is None
    assert daily_credits(instance_type="", region="eu-west-1", prices=PRICES) == Decimal("0")


def test_what_one_environment_takes_and_a_total() -> None:
    gpu = consumption_of(parameters={"InstanceType": "ml.p3.2xlarge"}, region="eu-west-1",
                         prices=PRICES)
    assert gpu == Consumption(instance_type="ml.p3.2xlarge", gpu=1, credits=Decimal("91.80"))
    studio = consumption_of(parameters={"UserProfileName": "dana"}, region="eu-west-1",
                            prices=PRICES)
    assert (studio.running, studio.gpu, studio.credits) == (1, 0, Decimal("0"))
    unpriced = consumption_of(parameters={"InstanceType": "ml.g5.xlarge"}, region="eu-west-1",
                              prices=PRICES)
    total = Usage().plus(gpu).plus(studio).plus(unpriced)
    assert (total.running, total.gpu, total.credits, total.unpriced) == (
        3, 2, Decimal("91.80"), 1)
    assert total.of("daily_credits") == Decimal("91.80")
    assert total.of("gpu_instances") == 2
