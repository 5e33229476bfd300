"""The platform admin's guardrails form: every rule of ``guardrails.rules.Guardrails`` as a
field, checked so a bad value is a clear error on its field (never a 500), plus the reason."""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.core.exceptions import ValidationError

from catalog.parameters import RESOURCE_FORMATS
from guardrails.rules import CONVENTIONAL_KEYS, ENVIRONMENTS, KINDS, Guardrails

INSTANCE_TYPE_FORMAT = re.compile(r"ml\.[a-z0-9-]+\.[a-z0-9]+")
PRODUCT_ID_FORMAT = re.compile(r"prod-[a-z0-9]{1,50}")
PARAMETER_KEY_FORMAT = re.compile(r"[A-Za-z0-9]{1,255}")  # CloudFormation's logical id rule
LIST_HELP = "Separated by commas, spaces or new lines; empty: no rule."
ALIAS_HELP = ("One product a line: its Service Catalog id, a colon, then conventional=its key "
              "pairs separated by commas, e.g. “prod-abc123: InstanceType=NotebookType”. "
              "Conventional keys: " + ", ".join(CONVENTIONAL_KEYS) + ".")


def _items(text: str) -> list[str]:
    return list(dict.fromkeys(i for i in re.split(r"[\s,]+", text or "") if i))


def _list_field(label: str, help_text: str = LIST_HELP) -> forms.CharField:
    return forms.CharField(label=label, required=False, max_length=4000, help_text=help_text,
                           widget=forms.Textarea(attrs={"rows": 2}))


def _formatted(text: str, pattern: re.Pattern[str], what: str) -> list[str]:
    items = _items(text)
    bad = [i for i in items if pattern.fullmatch(i) is None]
    if bad:
        raise ValidationError(f"Not {what}: {', '.join(bad[:5])}.")
    return items


class GuardrailForm(forms.Form):
    kms_key_required = forms.BooleanField(
        label="A KMS key is required (KmsKeyId)", required=False)
    root_access_disabled = forms.BooleanField(
        label="Root access must be Disabled (RootAccess)", required=False)
    direct_internet_disabled = forms.BooleanField(
        label="Direct internet access must be Disabled (DirectInternetAccess)", required=False)
    network_required = forms.BooleanField(
        label="A subnet and security groups are required (SubnetId, SecurityGroupIds)",
        required=False)
    allowed_subnets = _list_field("Allowed subnets (subnet-…)")
    allowed_security_groups = _list_field("Allowed security groups (sg-…)")
    volume_min_gb = forms.IntegerField(label="Smallest volume (GB, VolumeSizeInGB)",
                                       required=False, min_value=5, max_value=16384)
    volume_max_gb = forms.IntegerField(label="Largest volume (GB, VolumeSizeInGB)",
                                       required=False, min_value=5, max_value=16384)
    max_lease_days = forms.IntegerField(label="Longest lease (days)", required=False,
                                        min_value=1, max_value=3650)
    aliases = forms.CharField(label="Parameter keys per product", required=False,
                              max_length=8000, help_text=ALIAS_HELP,
                              widget=forms.Textarea(attrs={"rows": 3}))
    reason = forms.CharField(label="Why this change", max_length=1000,
                             widget=forms.Textarea(attrs={"rows": 2}),
                             help_text="Kept with the version and in the audit trail.")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        fields = {f"instance_types_{e}": _list_field(f"Allowed instance types in {e} projects")
                  for e in ENVIRONMENTS}
        fields |= {f"instance_types_{k}": _list_field(
            f"Allowed instance types for {k.replace('_', ' ')} products") for k in KINDS}
        # The instance-type fields first: the most used rules.
        self.fields = {**fields, **self.fields}

    @staticmethod
    def initial_for(rules: Guardrails) -> dict[str, Any]:
        """The form's starting values: the rules in force."""
        data: dict[str, Any] = {k: v for k, v in rules.to_json().items()
                                if not isinstance(v, dict | list)}
        for group in (rules.instance_types_by_environment, rules.instance_types_by_kind):
            data |= {f"instance_types_{k}": ", ".join(v) for k, v in group.items()}
        data["allowed_subnets"] = ", ".join(rules.allowed_subnets)
        data["allowed_security_groups"] = ", ".join(rules.allowed_security_groups)
        data["aliases"] = "\n".join(
            f"{p}: " + ", ".join(f"{k}={v}" for k, v in m.items())
            for p, m in rules.aliases.items())
        return data

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        for name in self.fields:
            if name.startswith("instance_types_") and name in data:
                try:
                    data[name] = _formatted(data[name], INSTANCE_TYPE_FORMAT,
                                            "instance types (ml.family.size)")
                except ValidationError as exc:
                    self.add_error(name, exc)
        for name, kind in (("allowed_subnets", "AWS::EC2::Subnet::Id"),
                           ("allowed_security_groups", "AWS::EC2::SecurityGroup::Id")):
            if name in data:
                try:
                    data[name] = _formatted(data[name], RESOURCE_FORMATS[kind],
                                            "subnet ids" if "subnet" in name
                                            else "security group ids")
                except ValidationError as exc:
                    self.add_error(name, exc)
        low, high = data.get("volume_min_gb"), data.get("volume_max_gb")
        if low is not None and high is not None and low > high:
            self.add_error("volume_max_gb", "Must be at least the smallest volume.")
        if "aliases" in data:
            try:
                data["aliases"] = _aliases(data["aliases"])
            except ValidationError as exc:
                self.add_error("aliases", exc)
        return data

    def rules(self) -> Guardrails:
        """The valid form as rules (call after ``is_valid()``)."""
        data = self.cleaned_data
        return Guardrails(
            instance_types_by_environment={e: tuple(data[f"instance_types_{e}"])
                                           for e in ENVIRONMENTS if data[f"instance_types_{e}"]},
            instance_types_by_kind={k: tuple(data[f"instance_types_{k}"])
                                    for k in KINDS if data[f"instance_types_{k}"]},
            kms_key_required=data["kms_key_required"],
            root_access_disabled=data["root_access_disabled"],
            direct_internet_disabled=data["direct_internet_disabled"],
            network_required=data["network_required"],
            allowed_subnets=tuple(data["allowed_subnets"]),
            allowed_security_groups=tuple(data["allowed_security_groups"]),
            volume_min_gb=data["volume_min_gb"], volume_max_gb=data["volume_max_gb"],
            max_lease_days=data["max_lease_days"], aliases=data["aliases"])


def _aliases(text: str) -> dict[str, dict[str, str]]:
    aliases: dict[str, dict[str, str]] = {}
    for number, line in enumerate((text or "").splitlines(), start=1):
        if not line.strip():
            continue
        product, colon, pairs = line.partition(":")
        product = product.strip()
        if not colon or PRODUCT_ID_FORMAT.fullmatch(product) is None:
            raise ValidationError(f"Line {number}: start with a Service Catalog product id "
                                  "(prod-…) and a colon.")
        mapping: dict[str, str] = {}
        for pair in (p.strip() for p in pairs.split(",") if p.strip()):
            conventional, equals, key = (s.strip() for s in pair.partition("="))
            if not equals or conventional not in CONVENTIONAL_KEYS:
                raise ValidationError(f"Line {number}: “{pair[:60]}” is not conventional=key "
                                      f"with one of {', '.join(CONVENTIONAL_KEYS)}.")
            if PARAMETER_KEY_FORMAT.fullmatch(key) is None:
                raise ValidationError(f"Line {number}: “{key[:60]}” is not a parameter key "
                                      "(letters and digits).")
            mapping[conventional] = key
        if not mapping:
            raise ValidationError(f"Line {number}: name at least one conventional=key pair.")
        aliases[product] = mapping
    return aliases
