"""``{% form_field %}`` writes the markup of ``portal/_field.html`` in one pass: the same bytes
for every kind of field, bound or not, with errors, help text, marks and markup to escape."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django import forms
from django.template import Context, Template
from django.template.loader import render_to_string

from catalog.forms import ProductRequestForm
from catalog.models import ParameterSpec, ProductVersion
from catalog.parameters import parameter_effective
from portal.widgets import SelectInOnePass, TextInputInOnePass

CHOICES = [("a", "Alpha <a>"), ("b", "Beta & co")]


class EveryKind(forms.Form):
    name = forms.CharField(label="Name <b>", help_text="Say <who> & why", max_length=5,
                           widget=TextInputInOnePass)
    note = forms.CharField(required=False, widget=forms.Textarea)
    kind = forms.ChoiceField(choices=CHOICES, widget=SelectInOnePass, help_text="One")
    kinds = forms.MultipleChoiceField(choices=CHOICES, widget=forms.CheckboxSelectMultiple,
                                      help_text="Some")
    radio = forms.ChoiceField(choices=CHOICES, widget=forms.RadioSelect, required=False)
    secret = forms.CharField(widget=forms.PasswordInput, help_text="Never shown")
    agreed = forms.BooleanField(label="I agree", required=True)
    token = forms.CharField(widget=forms.HiddenInput, required=False)
    described = forms.CharField(required=False, help_text="Kept",
                                widget=forms.TextInput(attrs={"aria-describedby": "elsewhere"}))

    def clean_name(self) -> str:
        raise forms.ValidationError("Not <this> one & not that")


def _reference(field: forms.BoundField, **options: Any) -> str:
    """What the inclusion tag rendered: the template with the tag's context."""
    return render_to_string("portal/_field.html", {
        "field": field, "required_mark": options.get("required_mark", False),
        "parameter": options.get("parameter", False),
        "errors_id": options.get("errors_id") or f"errors-{field.name}"})


def _tag(field: forms.BoundField, **options: Any) -> str:
    arguments = " ".join(f"{k}=o_{k}" for k in options)
    return Template("{% load portal_forms %}{% form_field field " + arguments + " %}").render(
        Context({"field": field, **{f"o_{k}": v for k, v in options.items()}}))


OPTIONS = [{}, {"required_mark": True}, {"required_mark": True, "parameter": True},
           {"errors_id": "errors-legacy"}]


@pytest.mark.parametrize("options", OPTIONS)
@pytest.mark.parametrize("data", [None, {"name": "x", "kinds": ["z"], "radio": "q",
                                         "described": "y"}])
def test_every_kind_of_field_is_written_as_the_template_writes_it(
        options: dict[str, Any], data: dict[str, Any] | None) -> None:
    form = EveryKind(data)
    if data is not None:
        assert not form.is_valid() and form.errors["name"] and form.errors["kinds"]
    for field in form:
        assert _tag(field, **options) == _reference(field, **options), field.name


def test_a_form_without_ids_is_written_as_the_template_writes_it() -> None:
    form = EveryKind({"name": "x"}, auto_id=False)
    form.is_valid()
    for field in form:
        assert _tag(field, required_mark=True) == _reference(field, required_mark=True)


def test_a_parameter_form_is_written_as_the_template_writes_it() -> None:
    specs = [
        ParameterSpec(key="InstanceType", description="The size <s>", default="ml.t3.medium",
                      allowed_values=["ml.t3.medium", "ml.m5.xlarge"]),
        ParameterSpec(key="VolumeSizeInGB", parameter_type="Number", min_value=Decimal("5"),
                      max_value=Decimal("100")),
        ParameterSpec(key="Subnets", parameter_type="List<AWS::EC2::Subnet::Id>",
                      allowed_values=["subnet-1", "subnet-2"]),
        ParameterSpec(key="Password", no_echo=True, constraint_description="Eight or more"),
    ]
    parameters = [parameter_effective(spec=spec, override=None) for spec in specs]
    for data in (None, {"VolumeSizeInGB": "1", "Subnets": ["subnet-9"]}):
        form = ProductRequestForm(data, version=ProductVersion(pk=1), parameters=parameters)
        if data is not None:
            form.is_valid()
        for field in form:
            options = {"required_mark": True, "parameter": True}
            assert _tag(field, **options) == _reference(field, **options), field.name
