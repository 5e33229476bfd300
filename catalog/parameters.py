"""Effective parameter specs (AWS spec + the platform team's override) and their validation.

``parameters_validate`` is the one validation used by the HTML form, the API and the approvals
workflow, so a value the page refuses is refused everywhere. Rules follow CloudFormation: a
parameter without a default is required; AllowedPattern must match the whole value; MinLength/
MaxLength apply to strings, MinValue/MaxValue to numbers; list types are comma-separated.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError

from catalog.models import ParameterOverride, ParameterSpec, ProductVersion

HIDDEN_VALUE_ERROR = "This parameter is set by the platform team and cannot be changed."


def is_list_type(parameter_type: str) -> bool:
    return parameter_type.startswith("List<") or parameter_type == "CommaDelimitedList"


@dataclass(frozen=True)
class EffectiveParameter:
    """What the requester's form shows and the server enforces for one parameter."""

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

    @property
    def required(self) -> bool:
        return not self.hidden and self.default is None

    @property
    def is_number(self) -> bool:
        return self.parameter_type == "Number"

    @property
    def is_list(self) -> bool:
        return is_list_type(self.parameter_type)

    @property
    def is_number_list(self) -> bool:
        return self.parameter_type == "List<Number>"


def _effective(spec: ParameterSpec, override: ParameterOverride | None) -> EffectiveParameter:
    allowed = tuple(spec.allowed_values or [])
    default = spec.default
    label = spec.key
    help_text = spec.description
    hidden = False
    fixed_value = ""
    if override is not None:
        if override.allowed_values is not None:
            narrowed = [v for v in override.allowed_values if not allowed or v in allowed]
            allowed = tuple(narrowed)
        if override.default is not None:
            default = override.default
        label = override.label or label
        help_text = override.help_text or help_text
        hidden = override.hidden
        fixed_value = override.fixed_value if override.hidden else ""
    if default is not None and allowed and any(
        item not in allowed
        for item in ([v.strip() for v in default.split(",")]
                     if is_list_type(spec.parameter_type) else [default])
    ):
        default = None  # the AWS default was narrowed away: the requester must choose
    return EffectiveParameter(
        key=spec.key, parameter_type=spec.parameter_type, label=label, help_text=help_text,
        default=default, allowed_values=allowed, allowed_pattern=spec.allowed_pattern,
        constraint_description=spec.constraint_description, min_length=spec.min_length,
        max_length=spec.max_length, min_value=spec.min_value, max_value=spec.max_value,
        no_echo=spec.no_echo, hidden=hidden, fixed_value=fixed_value,
    )


def parameters_effective(*, version: ProductVersion) -> list[EffectiveParameter]:
    """The version's live parameters with the product's overrides applied, in template order.

    Uses ``version.parameters`` and ``version.product.overrides`` prefetches when present.
    """
    overrides = {o.key: o for o in version.product.overrides.all()}
    specs = [s for s in version.parameters.all() if s.retired_at is None]
    specs.sort(key=lambda s: (s.position, s.key))
    return [_effective(spec, overrides.get(spec.key)) for spec in specs]


def _spec_errors(parameter: EffectiveParameter, value: str) -> list[str]:
    """Errors of one non-empty submitted value against the effective constraints."""
    items = [v.strip() for v in value.split(",")] if parameter.is_list else [value]
    errors: list[str] = []
    if parameter.allowed_values:
        bad = [item for item in items if item not in parameter.allowed_values]
        if bad:
            errors.append("Choose one of: " + ", ".join(parameter.allowed_values) + ".")
    if parameter.is_number or parameter.is_number_list:
        for item in items:
            try:
                number = Decimal(item)
                if not number.is_finite():
                    raise InvalidOperation
            except InvalidOperation:
                errors.append(f"“{item}” is not a number.")
                continue
            if parameter.min_value is not None and number < parameter.min_value:
                errors.append(f"Must be at least {parameter.min_value.normalize():f}.")
            if parameter.max_value is not None and number > parameter.max_value:
                errors.append(f"Must be at most {parameter.max_value.normalize():f}.")
    else:
        if parameter.min_length is not None and len(value) < parameter.min_length:
            errors.append(f"Must be at least {parameter.min_length} characters long.")
        if parameter.max_length is not None and len(value) > parameter.max_length:
            errors.append(f"Must be at most {parameter.max_length} characters long.")
        if parameter.allowed_pattern:
            try:
                matches = re.fullmatch(parameter.allowed_pattern, value) is not None
            except re.error:
                matches = False
            if not matches:
                errors.append(parameter.constraint_description
                              or f"Must match the pattern {parameter.allowed_pattern}.")
    return errors


def parameter_value_errors(parameter: EffectiveParameter, value: str) -> list[str]:
    return _spec_errors(parameter, value)


def parameters_validate(
    *, version: ProductVersion, values: Mapping[str, Any],
    parameters: Iterable[EffectiveParameter] | None = None,
) -> dict[str, str]:
    """Check submitted parameter values; return the full parameter set to provision with.

    Hidden parameters get their fixed value; submitting a value for one is an error. Empty values
    fall back to the default. Unknown keys are refused. Raises ``ValidationError`` with a message
    list per parameter key.
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
        submitted = "" if raw is None else str(raw).strip()
        if isinstance(raw, bool | dict | list):
            errors[parameter.key] = ["Must be a text value."]
            continue
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
        field_errors = _spec_errors(parameter, submitted)
        if field_errors:
            errors[parameter.key] = field_errors
        else:
            result[parameter.key] = submitted
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
        if p.allowed_values and not p.is_list:
            schema["enum"] = list(p.allowed_values)
        if p.is_number:
            schema["type"] = "number"  # a JSON number or its text both validate
            if p.default is not None and not p.no_echo:
                schema["default"] = _json_number(p.default)
            if p.min_value is not None:
                schema["minimum"] = _json_number(p.min_value)
            if p.max_value is not None:
                schema["maximum"] = _json_number(p.max_value)
        elif not p.is_list:
            if p.allowed_pattern:
                # CloudFormation matches AllowedPattern against the whole value; a JSON Schema
                # pattern is a search, so anchor it.
                pattern = p.allowed_pattern
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
