"""How a parameter's effective form is made: the parameters that name the resource are kept on
change, for every kind; the platform team's allowed values narrow AWS's, or stand alone where AWS
has none; resource choices are unknown until read; list types are read the way CloudFormation
writes them, and a malformed one is left as it is."""

from __future__ import annotations

import pytest

from catalog.models import ParameterOverride, ProductVersion
from catalog.parameters import ON_CHANGE_KEEP, item_type, parameters_effective, resource_type
from portal.models import Project
from tests.catalog.factories import product_make

pytestmark = pytest.mark.django_db

IDENTITY = ["NotebookInstanceName", "UserProfileName", "DomainId", "SageMakerProjectName",
            "SageMakerProjectId"]


def test_every_parameter_naming_the_resource_is_kept_on_change_and_no_other(
        project: Project) -> None:
    product = product_make(project=project, parameters=[
        {"key": key} for key in [*IDENTITY, "InstanceType", "UserProfileNameSuffix"]])
    version = ProductVersion.objects.get(product=product)
    on_change = {p.key: p.on_change for p in parameters_effective(version=version)}
    assert on_change == {**dict.fromkeys(IDENTITY, ON_CHANGE_KEEP), "InstanceType": "",
                         "UserProfileNameSuffix": ""}


@pytest.mark.parametrize(("parameter_type", "item"), [
    ("List<AWS::EC2::Subnet::Id>", "AWS::EC2::Subnet::Id"),
    ("CommaDelimitedList", "String"),
    ("List<Number", "List<Number"),  # no closing bracket: not a list type CloudFormation knows
    ("Number>", "Number>"),
    ("String", "String"),
])
def test_the_item_type_of_a_list_is_what_is_inside_its_brackets(
        parameter_type: str, item: str) -> None:
    assert item_type(parameter_type) == item


def test_a_malformed_list_type_is_no_resource_type() -> None:
    assert resource_type("List<AWS::EC2::Subnet::Id") == ""
    assert resource_type("List<AWS::KMS::Key::Id>") == "AWS::KMS::Key::Id"


def test_the_platform_teams_allowed_values_narrow_aws_ones_or_stand_alone(
        project: Project) -> None:
    product = product_make(project=project, parameters=[
        {"key": "Free"}, {"key": "Listed", "allowed_values": ["a", "b"]}])
    ParameterOverride.objects.create(product=product, key="Free", allowed_values=["x", "y"])
    ParameterOverride.objects.create(product=product, key="Listed", allowed_values=["b", "c"])
    version = ProductVersion.objects.get(product=product)
    allowed = {p.key: p.allowed_values for p in parameters_effective(version=version)}
    # No AWS list: the team's list applies; an AWS list: only what both allow (never "c").
    assert allowed == {"Free": ("x", "y"), "Listed": ("b",)}


def test_resource_choices_are_unknown_until_read(project: Project) -> None:
    product = product_make(project=project, parameters=[{"key": "InstanceType"}])
    (parameter,) = parameters_effective(version=ProductVersion.objects.get(product=product))
    assert parameter.choices == ()
