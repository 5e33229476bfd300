"""The rules on their own: where they apply, and how they narrow a form's parameters."""

from __future__ import annotations

from decimal import Decimal

from catalog.parameters import EffectiveParameter
from guardrails.rules import Guardrails, Subject, parameters_narrowed, violations


def _parameter(key: str, **extra: object) -> EffectiveParameter:
    fields: dict[str, object] = {
        "key": key, "parameter_type": "String", "label": key, "help_text": "",
        "default": None, "allowed_values": (), "allowed_pattern": "",
        "constraint_description": "", "min_length": None, "max_length": None,
        "min_value": None, "max_value": None, "no_echo": False, "hidden": False,
        "fixed_value": ""} | extra
    return EffectiveParameter(**fields)  # type: ignore[arg-type]


def _broken(rules: Guardrails, kind: str, **values: str) -> list[str]:
    subject = Subject(kind=kind, product_id="prod-x", project_environment="prod",
                      parameters=values)
    return [v.rule for v in violations(rules, subject, version=1)]


def test_notebook_rules_bind_a_notebook_without_the_parameter_but_not_other_kinds() -> None:
    rules = Guardrails(root_access_disabled=True, direct_internet_disabled=True,
                       kms_key_required=True, network_required=True)
    assert _broken(rules, "notebook_instance") == [
        "KMS key required", "root access disabled", "direct internet access disabled",
        "subnet within the allowed set", "security groups within the allowed set"]
    assert _broken(rules, "studio_user_profile", UserProfileName="dana") == []
    assert _broken(rules, "studio_user_profile", RootAccess="Enabled") == [
        "root access disabled"]


def test_an_allowed_set_alone_does_not_require_the_parameter() -> None:
    rules = Guardrails(allowed_subnets=("subnet-0123456789abcdef0",))
    assert _broken(rules, "notebook_instance") == []
    assert _broken(rules, "notebook_instance", SubnetId="") == []
    assert _broken(rules, "notebook_instance", SubnetId="subnet-0fedcba9876543210") == [
        "subnet within the allowed set"]


def test_exactly_at_the_volume_bounds_is_allowed() -> None:
    rules = Guardrails(volume_min_gb=10, volume_max_gb=50)
    assert _broken(rules, "notebook_instance", VolumeSizeInGB="10") == []
    assert _broken(rules, "notebook_instance", VolumeSizeInGB="50") == []
    assert _broken(rules, "notebook_instance", VolumeSizeInGB="50.5") == ["volume size bounds"]
    assert _broken(rules, "notebook_instance", VolumeSizeInGB="NaN") == ["volume size bounds"]


def test_narrowing_takes_the_stricter_of_curation_and_guardrail() -> None:
    rules = Guardrails(root_access_disabled=True, volume_min_gb=10, volume_max_gb=40,
                       instance_types_by_environment={"prod": ("ml.m5.xlarge", "ml.t3.medium")},
                       kms_key_required=True)
    narrowed = {p.key: p for p in parameters_narrowed(rules, [
        _parameter("RootAccess", default="Enabled"),
        _parameter("InstanceType", default="ml.p3.2xlarge",
                   allowed_values=("ml.t3.medium", "ml.p3.2xlarge", "ml.m5.xlarge")),
        _parameter("VolumeSizeInGB", parameter_type="Number", default="20",
                   min_value=Decimal(5), max_value=Decimal(100)),
        _parameter("KmsKeyId", default=""),
        _parameter("Hidden", hidden=True, fixed_value="x"),
    ], kind="notebook_instance", product_id="prod-x", project_environment="prod")}
    # No curated list: the guardrail's; its one value becomes the default.
    assert narrowed["RootAccess"].allowed_values == ("Disabled",)
    assert narrowed["RootAccess"].default == "Disabled"
    # The curation's order, only what both allow; the default narrowed away: choose.
    assert narrowed["InstanceType"].allowed_values == ("ml.t3.medium", "ml.m5.xlarge")
    assert narrowed["InstanceType"].default is None
    assert (narrowed["VolumeSizeInGB"].min_value, narrowed["VolumeSizeInGB"].max_value) == (
        Decimal(10), Decimal(40))
    assert narrowed["VolumeSizeInGB"].default == "20"
    assert narrowed["KmsKeyId"].required
    assert narrowed["Hidden"].fixed_value == "x" and narrowed["Hidden"].allowed_values == ()


def test_rules_survive_their_json() -> None:
    rules = Guardrails(instance_types_by_kind={"notebook_instance": ("ml.t3.medium",)},
                       allowed_security_groups=("sg-0123456789abcdef0",), max_lease_days=7,
                       aliases={"prod-x": {"InstanceType": "Type"}})
    assert Guardrails.from_json(rules.to_json()) == rules
