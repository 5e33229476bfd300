"""The guardrail rules, what they mean for one set of parameter values, and how they narrow a form.

Rules name product parameters by their conventional keys (``CONVENTIONAL_KEYS``); a product whose
template uses other keys is mapped by ``aliases`` (Service Catalog product id → conventional key →
the product's key). A rule about a parameter applies where the product has that parameter. A
notebook instance product that does not offer one of the notebook's network and encryption
parameters breaks the rule anyway: SageMaker's ``CreateNotebookInstance`` then uses its defaults,
and those are the unsafe ones (``RootAccess`` and ``DirectInternetAccess`` default to
``Enabled``; without ``KmsKeyId`` the volume is encrypted with an AWS managed key, not the
organisation's; without ``SubnetId`` the instance is not in the organisation's VPC).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from decimal import Decimal, InvalidOperation
from typing import Any

from catalog.parameters import EffectiveParameter, split_items

INSTANCE_TYPE, KMS_KEY, ROOT_ACCESS = "InstanceType", "KmsKeyId", "RootAccess"
DIRECT_INTERNET, SUBNET, SECURITY_GROUPS = "DirectInternetAccess", "SubnetId", "SecurityGroupIds"
VOLUME_SIZE = "VolumeSizeInGB"
CONVENTIONAL_KEYS = (INSTANCE_TYPE, KMS_KEY, ROOT_ACCESS, DIRECT_INTERNET, SUBNET,
                     SECURITY_GROUPS, VOLUME_SIZE)
# What a notebook instance product must offer when the rule about it is on (see the docstring).
NOTEBOOK_KIND = "notebook_instance"
NOTEBOOK_PROPERTIES = frozenset({KMS_KEY, ROOT_ACCESS, DIRECT_INTERNET, SUBNET, SECURITY_GROUPS})
DISABLED = "Disabled"
ENVIRONMENTS = ("dev", "uat", "prod")
KINDS = ("notebook_instance", "studio_user_profile", "sagemaker_project", "other")
NOT_OFFERED = "(not offered by the product: AWS's default applies)"


def _texts(value: Any) -> tuple[str, ...]:
    return tuple(str(v).strip() for v in (value or []) if str(v).strip())


def _int_or_none(value: Any) -> int | None:
    return None if value in (None, "") else int(value)


@dataclass(frozen=True)
class Guardrails:
    """One version's rules. Empty lists and None mean "no rule"."""

    instance_types_by_environment: dict[str, tuple[str, ...]] = field(default_factory=dict)
    instance_types_by_kind: dict[str, tuple[str, ...]] = field(default_factory=dict)
    kms_key_required: bool = False
    root_access_disabled: bool = False
    direct_internet_disabled: bool = False
    network_required: bool = False
    allowed_subnets: tuple[str, ...] = ()
    allowed_security_groups: tuple[str, ...] = ()
    volume_min_gb: int | None = None
    volume_max_gb: int | None = None
    max_lease_days: int | None = None
    aliases: dict[str, dict[str, str]] = field(default_factory=dict)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Guardrails:
        return cls(
            instance_types_by_environment={
                k: _texts(v) for k, v in (data.get("instance_types_by_environment") or {}).items()
                if _texts(v)},
            instance_types_by_kind={
                k: _texts(v) for k, v in (data.get("instance_types_by_kind") or {}).items()
                if _texts(v)},
            kms_key_required=bool(data.get("kms_key_required")),
            root_access_disabled=bool(data.get("root_access_disabled")),
            direct_internet_disabled=bool(data.get("direct_internet_disabled")),
            network_required=bool(data.get("network_required")),
            allowed_subnets=_texts(data.get("allowed_subnets")),
            allowed_security_groups=_texts(data.get("allowed_security_groups")),
            volume_min_gb=_int_or_none(data.get("volume_min_gb")),
            volume_max_gb=_int_or_none(data.get("volume_max_gb")),
            max_lease_days=_int_or_none(data.get("max_lease_days")),
            aliases={str(p): {str(k): str(v) for k, v in m.items()}
                     for p, m in (data.get("aliases") or {}).items()},
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "instance_types_by_environment": {k: list(v) for k, v in
                                              self.instance_types_by_environment.items()},
            "instance_types_by_kind": {k: list(v) for k, v in self.instance_types_by_kind.items()},
            "kms_key_required": self.kms_key_required,
            "root_access_disabled": self.root_access_disabled,
            "direct_internet_disabled": self.direct_internet_disabled,
            "network_required": self.network_required,
            "allowed_subnets": list(self.allowed_subnets),
            "allowed_security_groups": list(self.allowed_security_groups),
            "volume_min_gb": self.volume_min_gb, "volume_max_gb": self.volume_max_gb,
            "max_lease_days": self.max_lease_days,
            "aliases": self.aliases,
        }

    def key_for(self, product_id: str, conventional: str) -> str:
        """The product's parameter key for a conventional one."""
        return self.aliases.get(product_id, {}).get(conventional, conventional)


@dataclass(frozen=True)
class Violation:
    """One broken rule: which rule, the parameter, its value and what would be allowed."""

    rule: str
    key: str
    value: str
    allowed: str
    version: int

    @property
    def message(self) -> str:
        return (f"Guardrail “{self.rule}” (version {self.version}) refuses {self.key} = "
                f"“{self.value}”; allowed: {self.allowed}.")


@dataclass(frozen=True)
class Subject:
    """What the rules are applied to: a product (kind, Service Catalog id) in a project
    environment (dev/uat/prod), with parameter values and, for a new one, a lease."""

    kind: str
    product_id: str
    project_environment: str
    parameters: Mapping[str, Any]
    lease_days: int | None = None


def instance_type_limits(rules: Guardrails, subject_kind: str, environment: str
                         ) -> list[tuple[str, tuple[str, ...]]]:
    """The instance-type rules that apply: (rule name, allowed types)."""
    limits = []
    if environment in rules.instance_types_by_environment:
        limits.append((f"allowed instance types in {environment} projects",
                       rules.instance_types_by_environment[environment]))
    if subject_kind in rules.instance_types_by_kind:
        limits.append((f"allowed instance types for {subject_kind.replace('_', ' ')} products",
                       rules.instance_types_by_kind[subject_kind]))
    return limits


def _one_of(values: Iterable[str]) -> str:
    return "one of " + ", ".join(values)


def violations(rules: Guardrails, subject: Subject, *, version: int) -> list[Violation]:
    """Every rule ``subject`` breaks (empty: it may go)."""
    check = _Check(rules, subject, version)
    check.instance_type()
    check.kms_key()
    check.disabled_settings()
    check.network()
    check.volume()
    check.lease()
    return check.found


class _Check:
    """One subject against one version's rules: each method checks a rule, adding what breaks
    it to ``found``."""

    def __init__(self, rules: Guardrails, subject: Subject, version: int) -> None:
        self.rules, self.subject, self.version = rules, subject, version
        self.values = {str(k): "" if v is None else str(v).strip()
                       for k, v in subject.parameters.items()}
        self.found: list[Violation] = []

    def add(self, rule: str, key: str, value: str, allowed: str) -> None:
        self.found.append(Violation(rule=rule, key=key, value=value, allowed=allowed,
                                    version=self.version))

    def value_of(self, conventional: str, required: bool) -> tuple[str, str | None]:
        """The key and value, or None when the rule does not apply; absent on a notebook."""
        key = self.rules.key_for(self.subject.product_id, conventional)
        if key in self.values:
            return key, self.values[key]
        if required and self.subject.kind == NOTEBOOK_KIND \
                and conventional in NOTEBOOK_PROPERTIES:
            self.add(rule_name_of(conventional), key, NOT_OFFERED,
                     allowed_of(self.rules, conventional))
        return key, None

    def instance_type(self) -> None:
        key, value = self.value_of(INSTANCE_TYPE, False)
        if value is None:
            return
        for rule, allowed in instance_type_limits(self.rules, self.subject.kind,
                                                  self.subject.project_environment):
            if value not in allowed:
                self.add(rule, key, value, _one_of(allowed))

    def kms_key(self) -> None:
        if not self.rules.kms_key_required:
            return
        key, value = self.value_of(KMS_KEY, True)
        if value == "":
            self.add(rule_name_of(KMS_KEY), key, value, allowed_of(self.rules, KMS_KEY))

    def disabled_settings(self) -> None:
        for conventional, on in ((ROOT_ACCESS, self.rules.root_access_disabled),
                                 (DIRECT_INTERNET, self.rules.direct_internet_disabled)):
            if not on:
                continue
            key, value = self.value_of(conventional, True)
            if value is not None and value != DISABLED:
                self.add(rule_name_of(conventional), key, value, DISABLED)

    def network(self) -> None:
        self.network_item(SUBNET, self.rules.allowed_subnets)
        self.network_item(SECURITY_GROUPS, self.rules.allowed_security_groups)

    def network_item(self, conventional: str, allowed_set: tuple[str, ...]) -> None:
        required = self.rules.network_required
        if not (required or allowed_set):
            return
        key, value = self.value_of(conventional, required)
        if value is None:
            return
        items = [i for i in split_items(value) if i]
        outside = [i for i in items if allowed_set and i not in allowed_set]
        if (required and not items) or outside:
            self.add(rule_name_of(conventional), key, ", ".join(outside) or value,
                     allowed_of(self.rules, conventional))

    def volume(self) -> None:
        low, high = self.rules.volume_min_gb, self.rules.volume_max_gb
        if low is None and high is None:
            return
        key, value = self.value_of(VOLUME_SIZE, False)
        if value is not None and not _within(value, low, high):
            self.add(rule_name_of(VOLUME_SIZE), key, value, allowed_of(self.rules, VOLUME_SIZE))

    def lease(self) -> None:
        most, days = self.rules.max_lease_days, self.subject.lease_days
        if most is not None and days is not None and days > most:
            self.add("maximum lease", "lease", f"{days} days", f"at most {most} days")


def _within(value: str, low: int | None, high: int | None) -> bool:
    try:
        number = Decimal(value)
    except InvalidOperation:
        return False
    return number.is_finite() and (low is None or number >= low) \
        and (high is None or number <= high)


def rule_name_of(conventional: str) -> str:
    return {KMS_KEY: "KMS key required", ROOT_ACCESS: "root access disabled",
            DIRECT_INTERNET: "direct internet access disabled",
            SUBNET: "subnet within the allowed set",
            SECURITY_GROUPS: "security groups within the allowed set",
            VOLUME_SIZE: "volume size bounds"}[conventional]


def allowed_of(rules: Guardrails, conventional: str) -> str:
    if conventional == KMS_KEY:
        return "a KMS key (id, key ARN or alias)"
    if conventional in (ROOT_ACCESS, DIRECT_INTERNET):
        return DISABLED
    if conventional == VOLUME_SIZE:
        low, high = rules.volume_min_gb, rules.volume_max_gb
        return (f"from {low} to {high} GB" if low is not None and high is not None
                else f"at least {low} GB" if low is not None else f"at most {high} GB")
    allowed_set = rules.allowed_subnets if conventional == SUBNET \
        else rules.allowed_security_groups
    what = "a subnet id" if conventional == SUBNET else "one or more security group ids"
    return _one_of(allowed_set) if allowed_set else what


def _narrow_allowed(parameter: EffectiveParameter, allowed: Iterable[str], rule: str
                    ) -> EffectiveParameter:
    """The stricter of the curation's allowed values and the rule's (order: the curation's)."""
    wanted = tuple(allowed)
    kept = tuple(v for v in parameter.allowed_values if v in wanted) \
        if parameter.allowed_values else wanted
    if not kept:  # nothing both allow: the form keeps the curation's, the check refuses it
        return replace(parameter, help_text=_noted(parameter, f"Guardrail {rule}: none of these "
                                                             "values is allowed."))
    default = parameter.default
    if default is not None and any(i not in kept for i in (
            split_items(default) if parameter.is_list else [default])):
        default = kept[0] if len(kept) == 1 else None
    return replace(parameter, allowed_values=kept, default=default,
                   help_text=_noted(parameter, f"Guardrail: {rule}."))


def _noted(parameter: EffectiveParameter, note: str) -> str:
    return f"{parameter.help_text} {note}".strip()


def parameters_narrowed(rules: Guardrails, parameters: Iterable[EffectiveParameter], *,
                        kind: str, product_id: str, project_environment: str
                        ) -> list[EffectiveParameter]:
    """The form's parameters with the guardrails applied: the stricter of both wins."""
    keys = {rules.key_for(product_id, c): c for c in CONVENTIONAL_KEYS}
    narrowed = []
    for parameter in parameters:
        conventional = keys.get(parameter.key)
        if conventional is not None and not parameter.hidden:
            parameter = _narrow_one(rules, parameter, conventional, kind, project_environment)
        narrowed.append(parameter)
    return narrowed


def _narrow_one(rules: Guardrails, parameter: EffectiveParameter, conventional: str, kind: str,
                environment: str) -> EffectiveParameter:
    if conventional == INSTANCE_TYPE:
        for rule, allowed in instance_type_limits(rules, kind, environment):
            parameter = _narrow_allowed(parameter, allowed, rule)
    elif conventional in (ROOT_ACCESS, DIRECT_INTERNET) and (
            rules.root_access_disabled if conventional == ROOT_ACCESS
            else rules.direct_internet_disabled):
        parameter = _narrow_allowed(parameter, [DISABLED], rule_name_of(conventional))
    elif conventional in (SUBNET, SECURITY_GROUPS):
        parameter = _narrow_network(rules, parameter, conventional)
    elif conventional == KMS_KEY and rules.kms_key_required and parameter.default == "":
        parameter = replace(parameter, default=None,
                            help_text=_noted(parameter, "Guardrail: KMS key required."))
    elif conventional == VOLUME_SIZE:
        parameter = _narrow_volume(rules, parameter)
    return parameter


def _narrow_network(rules: Guardrails, parameter: EffectiveParameter, conventional: str
                    ) -> EffectiveParameter:
    """Within the allowed set, if any; no empty default when a network is required."""
    allowed_set = rules.allowed_subnets if conventional == SUBNET \
        else rules.allowed_security_groups
    if allowed_set:
        parameter = _narrow_allowed(parameter, allowed_set, rule_name_of(conventional))
    if rules.network_required and parameter.default == "":
        parameter = replace(parameter, default=None)
    return parameter


def _narrow_volume(rules: Guardrails, parameter: EffectiveParameter) -> EffectiveParameter:
    """The stricter of the curation's and the rule's bounds; a default outside them is dropped."""
    if rules.volume_min_gb is None and rules.volume_max_gb is None:
        return parameter
    low = [v for v in (parameter.min_value, rules.volume_min_gb) if v is not None]
    high = [v for v in (parameter.max_value, rules.volume_max_gb) if v is not None]
    default = parameter.default
    if default is not None and not _within(default, rules.volume_min_gb, rules.volume_max_gb):
        default = None
    return replace(parameter, min_value=Decimal(max(low)) if low else None,
                   max_value=Decimal(min(high)) if high else None, default=default,
                   help_text=_noted(parameter, "Guardrail: volume size "
                                    f"{allowed_of(rules, VOLUME_SIZE)}."))
