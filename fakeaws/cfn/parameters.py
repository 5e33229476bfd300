"""Template parameters: declarations, the Service Catalog view of them, and value validation.

CloudFormation facts relied on (CloudFormation User Guide, "Parameters" section syntax, and the
Service Catalog API reference, ``ParameterConstraints``):
- Supported types are String, Number, List<Number>, CommaDelimitedList, the AWS-specific
  ``AWS::EC2::…``/``AWS::Route53::HostedZone::Id`` types and their ``List<…>`` forms, and the
  ``AWS::SSM::Parameter::…`` types; any other ``Type`` is a template format error.
- A Number's value is validated as a number but, referenced with Ref, it is a string.
- CommaDelimitedList members are "space trimmed"; a List<…> value is comma separated.
- AllowedPattern "must match the entire parameter value provided" (so it is anchored), and on a
  list type it applies to each member; AllowedValues likewise.
- MinLength/MaxLength apply to String types, MinValue/MaxValue to Number types.
- Without a ConstraintDescription a bad value reads "Parameter MyParameter must match pattern
  [A-Za-z0-9]+"; a ConstraintDescription replaces the part after the parameter name.
- A value that is not of an AWS-specific type's form is refused with "Parameter validation failed:
  parameter value … for parameter name … does not exist" (CloudFormation also checks that the
  resource exists; the fake only knows the form).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from .errors import ParameterError, TemplateError

# What each AWS-specific parameter type's values look like (resource ids: prefix + 8 or 17 hex).
_AWS_FORMATS: dict[str, str] = {
    "AWS::EC2::AvailabilityZone::Name": r"[a-z]{2}(-[a-z]+)+-\d[a-z]",
    "AWS::EC2::Image::Id": r"ami-([0-9a-f]{8}|[0-9a-f]{17})",
    "AWS::EC2::Instance::Id": r"i-([0-9a-f]{8}|[0-9a-f]{17})",
    "AWS::EC2::KeyPair::KeyName": r".{1,255}",
    "AWS::EC2::SecurityGroup::GroupName": r".{1,255}",
    "AWS::EC2::SecurityGroup::Id": r"sg-([0-9a-f]{8}|[0-9a-f]{17})",
    "AWS::EC2::Subnet::Id": r"subnet-([0-9a-f]{8}|[0-9a-f]{17})",
    "AWS::EC2::Volume::Id": r"vol-([0-9a-f]{8}|[0-9a-f]{17})",
    "AWS::EC2::VPC::Id": r"vpc-([0-9a-f]{8}|[0-9a-f]{17})",
    "AWS::Route53::HostedZone::Id": r"[A-Z0-9]{1,32}",
}
_SCALAR_TYPES = {"String", "Number", "AWS::SSM::Parameter::Name", *_AWS_FORMATS}
_LIST_TYPES = {"CommaDelimitedList", "List<Number>", *(f"List<{t}>" for t in _AWS_FORMATS)}


@dataclass(frozen=True)
class ParameterDecl:
    """One entry of a template's ``Parameters`` section, values as CloudFormation reads them."""

    key: str
    type: str
    default: str | None
    description: str
    no_echo: bool
    allowed_values: list[str]
    allowed_pattern: str | None
    min_length: int | None
    max_length: int | None
    min_value: str | None
    max_value: str | None
    constraint_description: str

    @property
    def is_list(self) -> bool:
        """Whether Ref of this parameter yields a list (CommaDelimitedList and List<…>)."""
        return self.type in _LIST_TYPES or self.type.startswith("AWS::SSM::Parameter::Value<List")

    @property
    def item_type(self) -> str:
        """The type of one member: ``List<AWS::EC2::Subnet::Id>`` → ``AWS::EC2::Subnet::Id``."""
        if self.type.startswith("List<"):
            return self.type[len("List<"):-1]
        return "String"


def template_scalar(value: Any) -> str:
    """A template scalar as CloudFormation reads it: YAML ``true``/``5`` become "true"/"5"."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _int_or_error(key: str, field: str, raw: Any) -> int | None:
    if raw is None:
        return None
    try:
        return int(template_scalar(raw))
    except ValueError:
        raise TemplateError(
            f"Template format error: {field} of parameter {key} must be an integer"
        ) from None


def parameter_decls(section: Any) -> list[ParameterDecl]:
    """Parse a template's ``Parameters`` section (template order), refusing malformed entries."""
    if section is None:
        return []
    if not isinstance(section, dict):
        raise TemplateError("Template format error: Parameters must be an object")
    decls = []
    for key, body in section.items():
        if not isinstance(body, dict) or "Type" not in body:
            raise TemplateError(
                "Template format error: Every Parameters object must contain a Type member."
            )
        type_ = str(body["Type"])
        known = (type_ in _SCALAR_TYPES or type_ in _LIST_TYPES
                 or re.fullmatch(r"AWS::SSM::Parameter::Value<.+>", type_))
        if not known:
            raise TemplateError(f"Template format error: Unrecognized parameter type: {type_}")
        allowed = body.get("AllowedValues", [])
        if not isinstance(allowed, list):
            raise TemplateError(
                f"Template format error: AllowedValues of parameter {key} must be a list"
            )
        default = body.get("Default")
        if isinstance(default, list):  # a YAML list default of a list type
            default = ",".join(template_scalar(item) for item in default)
        no_echo = template_scalar(body.get("NoEcho", False)).lower() == "true"
        decls.append(ParameterDecl(
            key=str(key), type=type_,
            default=None if default is None else template_scalar(default),
            description=str(body.get("Description", "")), no_echo=no_echo,
            allowed_values=[template_scalar(v) for v in allowed],
            allowed_pattern=(None if body.get("AllowedPattern") is None
                             else str(body["AllowedPattern"])),
            min_length=_int_or_error(key, "MinLength", body.get("MinLength")),
            max_length=_int_or_error(key, "MaxLength", body.get("MaxLength")),
            min_value=None if body.get("MinValue") is None else template_scalar(body["MinValue"]),
            max_value=None if body.get("MaxValue") is None else template_scalar(body["MaxValue"]),
            constraint_description=str(body.get("ConstraintDescription", "")),
        ))
    return decls


def provisioning_parameter(decl: ParameterDecl) -> dict[str, Any]:
    """The Service Catalog ``ProvisioningArtifactParameter`` botocore shape of one parameter.

    Keys the template does not set are absent (the service omits them); Min/Max values are
    strings because the service model types them as strings.
    """
    constraints: dict[str, Any] = {}
    if decl.allowed_values:
        constraints["AllowedValues"] = list(decl.allowed_values)
    if decl.allowed_pattern is not None:
        constraints["AllowedPattern"] = decl.allowed_pattern
    if decl.constraint_description:
        constraints["ConstraintDescription"] = decl.constraint_description
    for name, value in (("MaxLength", decl.max_length), ("MinLength", decl.min_length),
                        ("MaxValue", decl.max_value), ("MinValue", decl.min_value)):
        if value is not None:
            constraints[name] = str(value)
    item: dict[str, Any] = {"ParameterKey": decl.key}
    if decl.default is not None:
        item["DefaultValue"] = decl.default
    item.update({
        "ParameterType": decl.type,
        "IsNoEcho": decl.no_echo,
        "Description": decl.description,
        "ParameterConstraints": constraints,
    })
    return item


def parameter_members(decl: ParameterDecl, value: str) -> list[str]:
    """The members of a list-typed value (trimmed, as CloudFormation trims them)."""
    return [member.strip() for member in value.split(",")]


def _number(text: str) -> Decimal | None:
    try:
        number = Decimal(text.strip())
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


def _problems(decl: ParameterDecl, value: str) -> list[str]:
    """Everything wrong with one value of one parameter, in CloudFormation's words."""
    key = decl.key

    def constraint(default_text: str) -> str:
        # The ConstraintDescription replaces the rule's own text.
        return f"Parameter {key} {decl.constraint_description or default_text}"

    members = parameter_members(decl, value) if decl.is_list else [value]
    item_type = decl.item_type if decl.is_list else decl.type
    problems: list[str] = []
    if item_type in _AWS_FORMATS:
        for member in members:
            if not re.fullmatch(_AWS_FORMATS[item_type], member):
                # A NoEcho value is a secret: never echo it, even in an error message.
                shown = "****" if decl.no_echo else member
                problems.append(f"Parameter validation failed: parameter value {shown} "
                                f"for parameter name {key} does not exist")
    if item_type == "Number":
        numbers = [_number(member) for member in members]
        if any(number is None for number in numbers):
            problems.append(f"Parameter {key} must be a number")
        elif decl.type == "Number":
            number = numbers[0]
            assert number is not None
            if decl.min_value is not None and number < Decimal(decl.min_value):
                problems.append(constraint(f"must be a number not less than {decl.min_value}"))
            if decl.max_value is not None and number > Decimal(decl.max_value):
                problems.append(constraint(f"must be a number not greater than {decl.max_value}"))
    if decl.allowed_values and any(m not in decl.allowed_values for m in members):
        problems.append(constraint("must be one of AllowedValues"))
    if decl.allowed_pattern is not None:
        try:
            pattern = re.compile(decl.allowed_pattern)
        except re.error:
            # CloudFormation evaluates Java regular expressions; refusing here beats silently
            # accepting or refusing everything.
            raise TemplateError(f"Template error: AllowedPattern of parameter {key} "
                                f"is not a pattern this engine can evaluate") from None
        if any(not pattern.fullmatch(member) for member in members):
            problems.append(constraint(f"must match pattern {decl.allowed_pattern}"))
    if decl.type == "String":
        if decl.min_length is not None and len(value) < decl.min_length:
            problems.append(constraint(f"must contain at least {decl.min_length} characters"))
        if decl.max_length is not None and len(value) > decl.max_length:
            problems.append(constraint(f"must contain at most {decl.max_length} characters"))
    return problems


def parameters_resolve(decls: list[ParameterDecl], given: Mapping[str, str]) -> dict[str, str]:
    """Apply defaults and check every value; raise ParameterError listing every problem."""
    known = {decl.key for decl in decls}
    messages = [f"Parameters: [{key}] do not exist in the template"
                for key in given if key not in known]
    resolved: dict[str, str] = {}
    for decl in decls:
        value = given.get(decl.key, decl.default)
        if value is None:
            messages.append(f"Parameters: [{decl.key}] must have values")
            continue
        if not isinstance(value, str):
            messages.append(f"Parameter {decl.key} must be a string value")
            continue
        messages.extend(_problems(decl, value))
        resolved[decl.key] = value
    if messages:
        raise ParameterError(messages)
    return resolved
