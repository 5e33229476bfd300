"""Effective parameter specs (AWS spec + the platform team's override) and their validation.

``parameters_validate`` is the one validation used by the HTML form, the API and the approvals
workflow, so a value the page refuses is refused everywhere. Rules follow CloudFormation's
template reference ("Parameters" section):

- a parameter without a default is required;
- list types (``CommaDelimitedList``, ``List<Number>``, ``List<AWS::EC2::Subnet::Id>`` …) are split
  on commas and each item is trimmed of the spaces around it;
- AllowedValues and AllowedPattern apply to each item of a list ("when applied to a parameter of
  type CommaDelimitedList, the pattern must match each value in the list"), to the whole value
  otherwise; a pattern must match the whole item;
- MinLength/MaxLength apply to String values, MinValue/MaxValue to each number;
- AWS-specific types (``AWS::EC2::VPC::Id`` …) take the identifiers of existing resources of the
  project account: each item must have the identifier's format, and when the caller knows the
  account's resources (``choices``) it must be one of them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError

from catalog.models import ParameterOverride, ParameterSpec, Product, ProductVersion

HIDDEN_VALUE_ERROR = "This parameter is set by the platform team and cannot be changed."

# Parameters that name or identify the provisioned resource: a change request shows them
# read-only (CloudFormation replaces a notebook instance or user profile whose name changes, and
# its data is lost), and provisioning sends them with UsePreviousValue on update.
RESOURCE_IDENTITY_PARAMETERS = frozenset({
    "NotebookInstanceName", "UserProfileName", "DomainId", "SageMakerProjectName",
    "SageMakerProjectId",
})
# The parameter that names each kind's resource: AWS refuses two of one name in an account, so
# a new environment may not take a live one's name, and provisioning fills in an empty one.
RESOURCE_NAME_PARAMETERS: dict[str, str] = {
    Product.Kind.NOTEBOOK_INSTANCE: "NotebookInstanceName",
    Product.Kind.STUDIO_USER_PROFILE: "UserProfileName",
}
ON_CHANGE_KEEP, ON_CHANGE_REPLACE = "keep", "replace"
# SageMaker fills these itself for a project template (CreateProject refuses them): never a form
# field of a SageMaker project product, whatever the template or the curation says.
SAGEMAKER_PROJECT_PARAMETERS = ("SageMakerProjectName", "SageMakerProjectId")

_HEX_ID = r"[0-9a-f]{8}(?:[0-9a-f]{9})?"  # EC2 ids: 8 hex digits (older) or 17 (since 2018)
_UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
_KMS_ARN = r"arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:"
_KMS_ALIAS = r"alias/[A-Za-z0-9/_-]{1,250}"
# The identifier format of each AWS-specific item type the portal offers as a choice; KMS keys
# are named by key id, key ARN, alias name or alias ARN, as KMS accepts them.
RESOURCE_FORMATS: dict[str, re.Pattern[str]] = {
    "AWS::EC2::Subnet::Id": re.compile(rf"subnet-{_HEX_ID}"),
    "AWS::EC2::VPC::Id": re.compile(rf"vpc-{_HEX_ID}"),
    "AWS::EC2::SecurityGroup::Id": re.compile(rf"sg-{_HEX_ID}"),
    "AWS::KMS::Key::Id": re.compile(
        rf"{_UUID}|{_KMS_ALIAS}|{_KMS_ARN}key/{_UUID}|{_KMS_ARN}{_KMS_ALIAS}"
    ),
}
RESOURCE_LABELS = {
    "AWS::EC2::Subnet::Id": "a subnet id (subnet-…)",
    "AWS::EC2::VPC::Id": "a VPC id (vpc-…)",
    "AWS::EC2::SecurityGroup::Id": "a security group id (sg-…)",
    "AWS::KMS::Key::Id": "a KMS key id, key ARN or alias (alias/…)",
}


def is_list_type(parameter_type: str) -> bool:
    return parameter_type.startswith("List<") or parameter_type == "CommaDelimitedList"


def item_type(parameter_type: str) -> str:
    """The type of one item: ``List<X>`` → ``X``, ``CommaDelimitedList`` → ``String``."""
    if parameter_type == "CommaDelimitedList":
        return "String"
    if parameter_type.startswith("List<") and parameter_type.endswith(">"):
        return parameter_type[len("List<"):-1]
    return parameter_type


def resource_type(parameter_type: str) -> str:
    """The AWS-specific item type the portal knows (KMS variants folded into one), or ""."""
    item = item_type(parameter_type)
    if item.startswith("AWS::KMS::Key"):
        return "AWS::KMS::Key::Id"
    return item if item in RESOURCE_FORMATS else ""


def pattern_error(pattern: str) -> str:
    """Why Python cannot use an AllowedPattern (CloudFormation's regexes are Java's), or ""."""
    try:
        re.compile(pattern)
    except re.error as exc:
        return str(exc)
    return ""


def split_items(value: str) -> list[str]:
    return [item.strip() for item in value.split(",")]


@dataclass(frozen=True)
class EffectiveParameter:
    """What the requester's form shows and the server enforces for one parameter.

    ``choices``: identifiers of the project account's resources for an AWS-specific type, when the
    caller read them (see ``catalog.resource_choices``); empty means "not known", not "none".
    """

    key: str
    parameter_type: str
    label: str
    help_text: str
    default: str | None
    allowed_values: tuple[str, ...]
    allowed_pattern: str
    constraint_description: str
    min_length: int | None
    max_length: int | None
    min_value: Decimal | None
    max_value: Decimal | None
    no_echo: bool
    hidden: bool
    fixed_value: str
    choices: tuple[str, ...] = field(default=())
    # In a change request: "keep" (names the resource: read-only), "replace" (the admin lets it
    # change, flagged: the resource is replaced and its data lost) or "" (a plain value).
    on_change: str = ""

    @property
    def required(self) -> bool:
        return not self.hidden and self.default is None

    @property
    def is_number(self) -> bool:
        return self.parameter_type == "Number"

    @property
    def has_number_items(self) -> bool:
        """Number or List<Number>: MinValue/MaxValue apply to each item."""
        return item_type(self.parameter_type) == "Number"

    @property
    def is_list(self) -> bool:
        return is_list_type(self.parameter_type)

    @property
    def resource_type(self) -> str:
        return resource_type(self.parameter_type)

    @property
    def usable_pattern(self) -> str:
        """AllowedPattern when Python can apply it; one it cannot compile is flagged at sync and
        not applied (refusing every value would make the product unrequestable)."""
        return "" if pattern_error(self.allowed_pattern) else self.allowed_pattern


def parameter_effective(
    *, spec: ParameterSpec, override: ParameterOverride | None
) -> EffectiveParameter:
    """One AWS spec with the platform team's override applied."""
    allowed = tuple(spec.allowed_values or [])
    default = spec.default
    label, help_text = spec.key, spec.description
    hidden, fixed_value = False, ""
    on_change = ON_CHANGE_KEEP if spec.key in RESOURCE_IDENTITY_PARAMETERS else ""
    if override is not None:
        on_change = override.on_change or on_change
        if override.allowed_values is not None:
            allowed = tuple(v for v in override.allowed_values if not allowed or v in allowed)
        if override.default is not None:
            default = override.default
        label = override.label or label
        help_text = override.help_text or help_text
        if override.hidden:
            hidden, fixed_value = True, override.fixed_value
    if default is not None and allowed and any(
        item not in allowed
        for item in (split_items(default) if is_list_type(spec.parameter_type) else [default])
    ):
        default = None  # the AWS default was narrowed away: the requester must choose
    return EffectiveParameter(
        key=spec.key, parameter_type=spec.parameter_type, label=label, help_text=help_text,
        default=default, allowed_values=allowed, allowed_pattern=spec.allowed_pattern,
        constraint_description=spec.constraint_description, min_length=spec.min_length,
        max_length=spec.max_length, min_value=spec.min_value, max_value=spec.max_value,
        no_echo=spec.no_echo, hidden=hidden, fixed_value=fixed_value, on_change=on_change,
    )


def parameters_effective(*, version: ProductVersion) -> list[EffectiveParameter]:
    """The version's live parameters with the product's overrides applied, in template order.

    Uses ``version.parameters`` and ``version.product.overrides`` prefetches when present.
    """
    return parameters_effective_of(
        specs=version.parameters.all(), kind=version.product.kind,
        overrides={o.key: o for o in version.product.overrides.all()})


def parameters_effective_of(
    *, specs: Iterable[ParameterSpec], overrides: Mapping[str, ParameterOverride], kind: str
) -> list[EffectiveParameter]:
    """``parameters_effective`` of specs and overrides already read (the live specs of one
    version, in any order; the product's overrides by key; the product's kind)."""
    live = sorted((s for s in specs if s.retired_at is None), key=lambda s: (s.position, s.key))
    effective = [parameter_effective(spec=spec, override=overrides.get(spec.key))
                 for spec in live]
    if kind == Product.Kind.SAGEMAKER_PROJECT:
        effective = [replace(p, hidden=True, fixed_value="", default="")
                     if p.key in SAGEMAKER_PROJECT_PARAMETERS else p for p in effective]
    return effective


def _number_errors(parameter: EffectiveParameter, items: list[str]) -> list[str]:
    errors: list[str] = []
    for item in items:
        try:
            number = Decimal(item)
            if not number.is_finite():
                raise InvalidOperation
        except InvalidOperation:
            # A NoEcho value is never echoed back, not even in an error.
            errors.append("Must be a number." if parameter.no_echo
                          else f"“{item}” is not a number.")
            continue
        if parameter.min_value is not None and number < parameter.min_value:
            errors.append(f"Must be at least {parameter.min_value.normalize():f}.")
        if parameter.max_value is not None and number > parameter.max_value:
            errors.append(f"Must be at most {parameter.max_value.normalize():f}.")
    return errors


def parameter_value_errors(parameter: EffectiveParameter, value: str) -> list[str]:
    """Errors of one non-empty value against the effective constraints (no message repeats)."""
    items = split_items(value) if parameter.is_list else [value]
    errors: list[str] = []
    if parameter.allowed_values and any(i not in parameter.allowed_values for i in items):
        errors.append("Choose one of: " + ", ".join(parameter.allowed_values) + ".")
    if parameter.has_number_items:
        errors.extend(_number_errors(parameter, items))
    elif parameter.resource_type:
        kind = parameter.resource_type
        if any(RESOURCE_FORMATS[kind].fullmatch(i) is None for i in items):
            errors.append(f"Each value must be {RESOURCE_LABELS[kind]}.")
        elif parameter.choices and (missing := [i for i in items if i not in parameter.choices]):
            # CloudFormation refuses such a value too ("Parameter validation failed: parameter
            # value … for parameter name … does not exist"), only later, after the approvals.
            verb = "does" if len(missing) == 1 else "do"
            errors.append(f"{', '.join(missing)} {verb} not exist in the project's AWS account; "
                          "choose one of its resources.")
    elif not parameter.is_list:
        if parameter.min_length is not None and len(value) < parameter.min_length:
            errors.append(f"Must be at least {parameter.min_length} characters long.")
        if parameter.max_length is not None and len(value) > parameter.max_length:
            errors.append(f"Must be at most {parameter.max_length} characters long.")
    pattern = parameter.usable_pattern
    if pattern and not parameter.has_number_items and any(
        re.fullmatch(pattern, i) is None for i in items
    ):
        errors.append(parameter.constraint_description or f"Must match the pattern {pattern}.")
    return list(dict.fromkeys(errors))


def parameters_validate(
    *, version: ProductVersion, values: Mapping[str, Any],
    parameters: Iterable[EffectiveParameter] | None = None,
) -> dict[str, str]:
    """Check submitted parameter values; return the full parameter set to provision with.

    Hidden parameters get their fixed value; submitting a value for one is an error. Empty values
    fall back to the default. Unknown keys are refused. List values are returned with their items
    trimmed and joined by commas. Raises ``ValidationError`` with a message list per key.
    """
    effective = list(parameters) if parameters is not None else parameters_effective(
        version=version
    )
    by_key = {p.key: p for p in effective}
    errors: dict[str, list[str]] = {}
    for key in values:
        if key not in by_key:
            errors[str(key)] = ["Unknown parameter for this version."]
    result: dict[str, str] = {}
    for parameter in effective:
        raw = values.get(parameter.key)
        if isinstance(raw, bool | dict | list):
            errors[parameter.key] = ["Must be a text value."]
            continue
        submitted = "" if raw is None else str(raw).strip()
        if parameter.hidden:
            if submitted and submitted != parameter.fixed_value:
                errors[parameter.key] = [HIDDEN_VALUE_ERROR]
            else:
                result[parameter.key] = parameter.fixed_value
            continue
        if not submitted:
            if parameter.default is None:
                errors[parameter.key] = ["This parameter is required."]
                continue
            submitted = parameter.default
        field_errors = parameter_value_errors(parameter, submitted)
        if field_errors:
            errors[parameter.key] = field_errors
        else:
            result[parameter.key] = (",".join(split_items(submitted)) if parameter.is_list
                                     else submitted)
    if errors:
        raise ValidationError({key: [ValidationError(m) for m in msgs]
                               for key, msgs in errors.items()})
    return result


def _json_number(value: Decimal | str) -> int | float | str:
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        return str(value)
    return int(number) if number == number.to_integral_value() else float(number)


def parameters_json_schema(*, parameters: Iterable[EffectiveParameter]) -> dict[str, Any]:
    """The requester's form as JSON Schema (draft 2020-12); hidden parameters are left out."""
    properties: dict[str, Any] = {}
    required: list[str] = []
    for p in parameters:
        if p.hidden:
            continue
        schema: dict[str, Any] = {"type": "string", "title": p.label}
        if p.help_text:
            schema["description"] = p.help_text
        if p.default is not None and not p.no_echo:
            schema["default"] = p.default
        offered = p.allowed_values or p.choices  # the curation's and guardrails', or the account's
        if offered and not p.is_list:
            schema["enum"] = list(offered)
            if len(offered) == 1:  # fixed (e.g. a guardrail's RootAccess "Disabled")
                schema["const"] = offered[0]
        elif offered:  # a comma-separated list: each item is one of these
            schema["x-allowed-items"] = list(offered)
        if p.is_number:
            schema["type"] = "number"  # a JSON number or its text both validate
            if p.default is not None and not p.no_echo:
                schema["default"] = _json_number(p.default)
            if p.min_value is not None:
                schema["minimum"] = _json_number(p.min_value)
            if p.max_value is not None:
                schema["maximum"] = _json_number(p.max_value)
        elif not p.is_list:
            if p.usable_pattern:
                # CloudFormation matches AllowedPattern against the whole value; a JSON Schema
                # pattern is a search, so anchor it.
                pattern = p.usable_pattern
                if not (pattern.startswith("^") and pattern.endswith("$")):
                    pattern = f"^(?:{pattern})$"
                schema["pattern"] = pattern
            if p.min_length is not None:
                schema["minLength"] = p.min_length
            if p.max_length is not None:
                schema["maxLength"] = p.max_length
        if p.no_echo:
            schema["writeOnly"] = True
            schema["format"] = "password"
        schema["x-parameter-type"] = p.parameter_type
        properties[p.key] = schema
        if p.required:
            required.append(p.key)
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "type": "object",
        "properties": properties,
        "required": required,
        "additionalProperties": False,
    }
