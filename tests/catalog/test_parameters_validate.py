"""Effective parameter specs and the one validation used by the form, the API and approvals."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import ValidationError

from catalog.models import ParameterOverride, Product, ProductVersion
from catalog.parameters import (
    HIDDEN_VALUE_ERROR,
    parameters_effective,
    parameters_json_schema,
    parameters_validate,
)
from portal.models import Project
from tests.catalog.factories import product_make

pytestmark = pytest.mark.django_db

SPECS: list[dict[str, Any]] = [
    {"key": "InstanceType", "default": "ml.t3.medium",
     "allowed_values": ["ml.t3.medium", "ml.m5.xlarge", "ml.p3.2xlarge"]},
    {"key": "VolumeSizeInGB", "parameter_type": "Number", "default": "20",
     "min_value": Decimal("5"), "max_value": Decimal("100")},
    {"key": "NotebookInstanceName", "allowed_pattern": "^[a-z](-*[a-z0-9])*$", "min_length": 3,
     "max_length": 12, "constraint_description": "Lower-case letters, digits and hyphens."},
    {"key": "Subnets", "parameter_type": "CommaDelimitedList", "default": "a,b",
     "allowed_values": ["a", "b", "c"]},
    {"key": "Ports", "parameter_type": "List<Number>", "default": "8080",
     "min_value": Decimal("1024"), "max_value": Decimal("65535")},
    {"key": "GitToken", "no_echo": True, "default": "", "max_length": 40},
    {"key": "KmsKeyId", "default": "alias/ml", "allowed_values": ["alias/ml", "alias/other"]},
]


@pytest.fixture
def version(project: Project) -> ProductVersion:
    return product_make(project=project, parameters=SPECS).versions.get()


def _errors(version: ProductVersion, **values: Any) -> dict[str, list[str]]:
    with pytest.raises(ValidationError) as caught:
        parameters_validate(version=version, values={"NotebookInstanceName": "nb-1", **values})
    return caught.value.message_dict


def test_defaults_fill_what_the_requester_left_empty(version: ProductVersion) -> None:
    assert parameters_validate(version=version, values={"NotebookInstanceName": "nb-1"}) == {
        "InstanceType": "ml.t3.medium", "VolumeSizeInGB": "20", "NotebookInstanceName": "nb-1",
        "Subnets": "a,b", "Ports": "8080", "GitToken": "", "KmsKeyId": "alias/ml"}


def test_a_parameter_without_default_is_required(version: ProductVersion) -> None:
    assert _errors(version, NotebookInstanceName="") == {
        "NotebookInstanceName": ["This parameter is required."]}


def test_it_refuses_a_value_outside_the_allowed_values(version: ProductVersion) -> None:
    assert _errors(version, InstanceType="ml.x1.32xlarge") == {
        "InstanceType": ["Choose one of: ml.t3.medium, ml.m5.xlarge, ml.p3.2xlarge."]}


@pytest.mark.parametrize(("value", "message"), [
    ("4", "Must be at least 5."), ("101", "Must be at most 100."),
    ("lots", "“lots” is not a number."), ("NaN", "“NaN” is not a number."),
])
def test_it_checks_numbers_and_their_bounds(version: ProductVersion, value: str,
                                            message: str) -> None:
    assert _errors(version, VolumeSizeInGB=value) == {"VolumeSizeInGB": [message]}


def test_it_accepts_numbers_on_the_bounds_and_json_numbers(version: ProductVersion) -> None:
    assert parameters_validate(version=version, values={
        "NotebookInstanceName": "nb-1", "VolumeSizeInGB": 100})["VolumeSizeInGB"] == "100"
    assert parameters_validate(version=version, values={
        "NotebookInstanceName": "nb-1", "VolumeSizeInGB": "5"})["VolumeSizeInGB"] == "5"


@pytest.mark.parametrize(("value", "message"), [
    ("ab", "Must be at least 3 characters long."),
    ("abcdefghijklm", "Must be at most 12 characters long."),
    ("Notebook", "Lower-case letters, digits and hyphens."),
    ("nb-1\n", None),  # stripped: whitespace around a value is not part of it
])
def test_it_checks_string_length_and_the_whole_value_against_the_pattern(
    version: ProductVersion, value: str, message: str | None,
) -> None:
    if message is None:
        assert parameters_validate(version=version, values={"NotebookInstanceName": value})
    else:
        assert _errors(version, NotebookInstanceName=value) == {"NotebookInstanceName": [message]}


def test_a_pattern_that_only_matches_a_prefix_is_not_enough(version: ProductVersion) -> None:
    assert "NotebookInstanceName" in _errors(version, NotebookInstanceName="nb-1 DROP")


def test_list_parameters_check_every_item(version: ProductVersion) -> None:
    assert _errors(version, Subnets="a,z") == {"Subnets": ["Choose one of: a, b, c."]}
    assert _errors(version, Ports="8080,80") == {"Ports": ["Must be at least 1024."]}
    assert parameters_validate(version=version, values={
        "NotebookInstanceName": "nb-1", "Subnets": "a, c", "Ports": "8080,9090"})["Ports"] == (
        "8080,9090")


def test_unknown_parameters_and_non_text_values_are_refused(version: ProductVersion) -> None:
    assert _errors(version, Surprise="1") == {"Surprise": ["Unknown parameter for this version."]}
    assert _errors(version, InstanceType=["ml.t3.medium"]) == {
        "InstanceType": ["Must be a text value."]}


def test_a_narrowed_override_refuses_a_value_aws_would_allow(version: ProductVersion) -> None:
    ParameterOverride.objects.create(product=version.product, key="InstanceType",
                                     allowed_values=["ml.t3.medium", "ml.m5.xlarge"])
    assert _errors(version, InstanceType="ml.p3.2xlarge") == {
        "InstanceType": ["Choose one of: ml.t3.medium, ml.m5.xlarge."]}


def test_a_hidden_parameter_gets_its_fixed_value_and_refuses_another(
    version: ProductVersion,
) -> None:
    ParameterOverride.objects.create(product=version.product, key="KmsKeyId", hidden=True,
                                     fixed_value="alias/other")
    values = parameters_validate(version=version, values={"NotebookInstanceName": "nb-1"})
    assert values["KmsKeyId"] == "alias/other"
    assert _errors(version, KmsKeyId="alias/ml") == {"KmsKeyId": [HIDDEN_VALUE_ERROR]}
    # Sending the fixed value itself is harmless.
    assert parameters_validate(version=version, values={
        "NotebookInstanceName": "nb-1", "KmsKeyId": "alias/other"})["KmsKeyId"] == "alias/other"


def test_override_default_label_and_help_text_shape_the_effective_spec(
    version: ProductVersion,
) -> None:
    ParameterOverride.objects.create(product=version.product, key="InstanceType",
                                     default="ml.m5.xlarge", label="Instance size",
                                     help_text="Bigger costs more.")
    effective = {p.key: p for p in parameters_effective(version=version)}
    assert effective["InstanceType"].default == "ml.m5.xlarge"
    assert effective["InstanceType"].label == "Instance size"
    assert effective["InstanceType"].help_text == "Bigger costs more."


def test_a_default_narrowed_away_makes_the_parameter_required(version: ProductVersion) -> None:
    ParameterOverride.objects.create(product=version.product, key="InstanceType",
                                     allowed_values=["ml.m5.xlarge"])
    assert _errors(version) == {"InstanceType": ["This parameter is required."]}


def test_the_json_schema_carries_the_effective_constraints(version: ProductVersion) -> None:
    ParameterOverride.objects.create(product=version.product, key="KmsKeyId", hidden=True,
                                     fixed_value="alias/ml")
    ParameterOverride.objects.create(product=version.product, key="InstanceType",
                                     allowed_values=["ml.t3.medium"])
    schema = parameters_json_schema(parameters=parameters_effective(version=version))
    props = schema["properties"]
    assert "KmsKeyId" not in props
    assert props["InstanceType"]["enum"] == ["ml.t3.medium"]
    assert props["VolumeSizeInGB"] | {} == {
        "type": "number", "title": "VolumeSizeInGB", "default": 20, "minimum": 5,
        "maximum": 100, "x-parameter-type": "Number"}
    assert props["NotebookInstanceName"]["pattern"] == "^[a-z](-*[a-z0-9])*$"
    assert props["NotebookInstanceName"]["minLength"] == 3
    assert props["GitToken"]["writeOnly"] is True and "default" not in props["GitToken"]
    assert schema["required"] == ["NotebookInstanceName"]
    assert schema["additionalProperties"] is False


def test_retired_parameters_are_not_part_of_the_form(version: ProductVersion) -> None:
    from django.utils import timezone

    version.parameters.filter(key="Ports").update(retired_at=timezone.now())
    assert "Ports" not in {p.key for p in parameters_effective(version=version)}
    assert Product.objects.count() == 1


def test_a_hidden_parameter_in_the_middle_leaves_the_later_ones_validated_and_sent(
    version: ProductVersion,
) -> None:
    # VolumeSizeInGB is second of seven: everything after it must still be checked and returned.
    ParameterOverride.objects.create(product=version.product, key="VolumeSizeInGB", hidden=True,
                                     fixed_value="50")
    assert parameters_validate(version=version, values={"NotebookInstanceName": "nb-1"}) == {
        "InstanceType": "ml.t3.medium", "VolumeSizeInGB": "50", "NotebookInstanceName": "nb-1",
        "Subnets": "a,b", "Ports": "8080", "GitToken": "", "KmsKeyId": "alias/ml"}
    assert _errors(version, NotebookInstanceName="X", VolumeSizeInGB="50", Ports="1") == {
        "NotebookInstanceName": ["Must be at least 3 characters long.",
                                 "Lower-case letters, digits and hyphens."],
        "Ports": ["Must be at least 1024."]}


def test_a_non_text_value_is_refused_even_for_a_hidden_parameter(version: ProductVersion) -> None:
    ParameterOverride.objects.create(product=version.product, key="InstanceType", hidden=True,
                                     fixed_value="ml.t3.medium")
    assert _errors(version, InstanceType={"a": 1}) == {"InstanceType": ["Must be a text value."]}
    assert _errors(version, InstanceType=True) == {"InstanceType": ["Must be a text value."]}


def test_every_error_of_a_value_is_reported_once(version: ProductVersion) -> None:
    assert _errors(version, Ports="1,2,70000") == {
        "Ports": ["Must be at least 1024.", "Must be at most 65535."]}
    assert _errors(version, Subnets="z,y") == {"Subnets": ["Choose one of: a, b, c."]}


def test_a_no_echo_value_is_never_echoed_in_an_error(project: Project) -> None:
    version = product_make(project=project, parameters=[
        {"key": "Pin", "parameter_type": "Number", "no_echo": True},
        {"key": "Plain", "parameter_type": "Number", "default": "1"},
    ]).versions.get()
    with pytest.raises(ValidationError) as caught:
        parameters_validate(version=version, values={"Pin": "s3cret-pin", "Plain": "oops"})
    assert caught.value.message_dict == {"Pin": ["Must be a number."],
                                         "Plain": ["“oops” is not a number."]}
    assert "s3cret-pin" not in str(caught.value)


def test_a_pattern_without_constraint_description_names_the_pattern(project: Project) -> None:
    version = product_make(project=project, parameters=[
        {"key": "Team", "allowed_pattern": "[a-z]+", "max_length": 5, "min_length": 2},
    ]).versions.get()
    with pytest.raises(ValidationError) as caught:
        parameters_validate(version=version, values={"Team": "AB"})
    assert caught.value.message_dict == {"Team": ["Must match the pattern [a-z]+."]}
    assert parameters_validate(version=version, values={"Team": "ab"}) == {"Team": "ab"}
    assert parameters_validate(version=version, values={"Team": "abcde"}) == {"Team": "abcde"}


def test_an_override_default_that_is_not_allowed_makes_the_parameter_required(
    version: ProductVersion,
) -> None:
    ParameterOverride.objects.create(product=version.product, key="Subnets", default="a,z")
    effective = {p.key: p for p in parameters_effective(version=version)}
    assert effective["Subnets"].default is None and effective["Subnets"].required
    ParameterOverride.objects.filter(key="Subnets").update(default="c, a")
    effective = {p.key: p for p in parameters_effective(version=version)}
    assert effective["Subnets"].default == "c, a"
    assert parameters_validate(version=version, values={"NotebookInstanceName": "nb-1"})[
        "Subnets"] == "c,a"


def test_parameters_come_in_template_order(project: Project) -> None:
    version = product_make(project=project, parameters=[
        {"key": "B", "default": "1"}, {"key": "A", "default": "2"},
    ]).versions.get()
    version.parameters.filter(key="B").update(position=5)
    assert [p.key for p in parameters_effective(version=version)] == ["A", "B"]


def test_a_missing_required_parameter_does_not_stop_the_checks_of_the_later_ones(
    version: ProductVersion,
) -> None:
    assert _errors(version, NotebookInstanceName="", Ports="1", KmsKeyId="alias/none") == {
        "NotebookInstanceName": ["This parameter is required."],
        "Ports": ["Must be at least 1024."], "KmsKeyId": ["Choose one of: alias/ml, alias/other."]}


def test_a_visible_parameter_has_no_fixed_value_even_with_one_left_in_its_override(
    version: ProductVersion,
) -> None:
    ParameterOverride.objects.create(product=version.product, key="InstanceType",
                                     fixed_value="ml.p3.2xlarge", label="Size")
    effective = {p.key: p for p in parameters_effective(version=version)}
    assert (effective["InstanceType"].hidden, effective["InstanceType"].fixed_value) == (False, "")
    assert (effective["VolumeSizeInGB"].hidden, effective["VolumeSizeInGB"].fixed_value) == (
        False, "")


def test_the_json_schema_keeps_whole_numbers_whole_and_fractions_exact(project: Project) -> None:
    version = product_make(project=project, parameters=[
        {"key": "Ratio", "parameter_type": "Number", "default": "0.25",
         "min_value": Decimal("0.5"), "max_value": Decimal("10")},
        {"key": "Name", "default": "a", "max_length": 8},
    ]).versions.get()
    schema = parameters_json_schema(parameters=parameters_effective(version=version))
    ratio = schema["properties"]["Ratio"]
    assert (ratio["default"], ratio["minimum"], ratio["maximum"]) == (0.25, 0.5, 10)
    assert isinstance(ratio["maximum"], int) and isinstance(ratio["minimum"], float)
    assert schema["properties"]["Name"]["maxLength"] == 8
    assert "minLength" not in schema["properties"]["Name"]
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["type"] == "object"


def test_a_non_number_item_does_not_stop_the_checks_of_the_later_items(
    version: ProductVersion,
) -> None:
    assert _errors(version, Ports="http,80") == {
        "Ports": ["“http” is not a number.", "Must be at least 1024."]}


def test_a_non_text_value_does_not_stop_the_checks_of_the_later_parameters(
    version: ProductVersion,
) -> None:
    assert _errors(version, InstanceType=["ml.t3.medium"], Ports="80") == {
        "InstanceType": ["Must be a text value."], "Ports": ["Must be at least 1024."]}
