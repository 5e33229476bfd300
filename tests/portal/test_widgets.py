"""The one-pass selects write what Django's select templates write (issue 16)."""

from __future__ import annotations

from datetime import date
from functools import partial
from typing import Any

import pytest
from django import forms
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy

from portal.widgets import (
    DateInputInOnePass,
    NumberInputInOnePass,
    SelectInOnePass,
    SelectMultipleInOnePass,
    TextInputInOnePass,
)

CHOICES: list[tuple[Any, Any]] = [
    ("", "Any action"),
    ("odd <\"value\"> & 'more'", "A <b>label</b> & \"quotes\""),
    ("auth", [("auth.", "every auth event"), ("auth.sign_in", "auth.sign_in")]),
    ("group <&>", [(3, "three"), (None, "none")]),
    ("plain", "plain"),
    (None, [("nameless", "in a group without a name")]),
    ("plain", "the same value again (only the first is selected)"),
]


@pytest.mark.parametrize("value", ["", "auth.sign_in", "odd <\"value\"> & 'more'", 3, None,
                                   "not a choice"])
@pytest.mark.parametrize("attrs", [None, {"id": "id_action", "required": True,
                                          "disabled": False, "aria-describedby": "x \"y\""}])
def test_the_select_writes_what_djangos_template_writes(value: Any,
                                                        attrs: dict[str, Any] | None) -> None:
    django_select = forms.Select(choices=CHOICES, attrs={"class": "wide"})
    one_pass = SelectInOnePass(choices=CHOICES, attrs={"class": "wide"})
    expected = django_select.render("action", value, attrs=attrs)
    assert one_pass.render("action", value, attrs=attrs) == expected
    assert "&lt;b&gt;label&lt;/b&gt;" in expected  # labels escaped on both


@pytest.mark.parametrize("value", [[], ["auth.sign_in", 3], ["plain"]])
def test_the_multiple_select_writes_what_djangos_template_writes(value: list[Any]) -> None:
    expected = forms.SelectMultiple(choices=CHOICES).render("subnets", value,
                                                             attrs={"id": "id_subnets"})
    rendered = SelectMultipleInOnePass(choices=CHOICES).render("subnets", value,
                                                               attrs={"id": "id_subnets"})
    assert rendered == expected
    assert " multiple" in rendered


def test_a_bound_field_renders_through_the_one_pass_widget() -> None:
    class Filter(forms.Form):
        fast = forms.ChoiceField(choices=CHOICES, widget=SelectInOnePass, required=False)
        slow = forms.ChoiceField(choices=CHOICES, required=False)

    form = Filter({"fast": "auth.sign_in", "slow": "auth.sign_in"})
    assert str(form["fast"]).replace("fast", "slow") == str(form["slow"])
    assert '<option value="auth.sign_in" selected>auth.sign_in</option>' in str(form["fast"])


def test_safe_and_lazy_labels_are_written_as_djangos_template_writes_them() -> None:
    """Plain text is escaped on the fast path; a safe label stays as it is, a lazy one is
    translated text, escaped."""
    choices = [("safe", mark_safe("<i>safe</i>")), ("lazy", gettext_lazy("Any <kind>")),
               ("plain", "<b>")]
    expected = forms.Select(choices=choices).render("kind", "lazy")
    assert SelectInOnePass(choices=choices).render("kind", "lazy") == expected
    assert "<i>safe</i>" in expected and "Any &lt;kind&gt;" in expected


VALUE_WITH_TAGS = "<b>\"quoted\" & 'more'</b>"


@pytest.mark.parametrize("value", [None, "", "plain", VALUE_WITH_TAGS,
                                   mark_safe("<i>safe</i>"), 42, date(2026, 3, 1)])
@pytest.mark.parametrize("attrs", [None, {"id": "id_q", "required": True, "disabled": False,
                                          "maxlength": 100, "aria-describedby": "x \"y\""}])
@pytest.mark.parametrize(("django_widget", "one_pass"), [
    (forms.TextInput, TextInputInOnePass),
    (partial(forms.DateInput, attrs={"type": "date"}),
     partial(DateInputInOnePass, attrs={"type": "date"})),
    (forms.DateInput, DateInputInOnePass),
    (partial(forms.NumberInput, attrs={"step": "any", "min": "0"}),
     partial(NumberInputInOnePass, attrs={"step": "any", "min": "0"})),
])
def test_the_inputs_write_what_djangos_templates_write(
        value: Any, attrs: dict[str, Any] | None, django_widget: Any, one_pass: Any) -> None:
    expected = django_widget().render("since", value, attrs=attrs)
    assert one_pass().render("since", value, attrs=attrs) == expected
    assert "<b>" not in expected and ("&lt;b&gt;" in expected) is (value == VALUE_WITH_TAGS)


def test_an_input_with_its_own_template_renders_through_it() -> None:
    class Framed(TextInputInOnePass):
        template_name = "django/forms/widgets/textarea.html"

    assert Framed().render("note", "x") == forms.Textarea().render("note", "x").replace(
        ' cols="40" rows="10"', "")


def test_a_form_field_renders_through_the_one_pass_input() -> None:
    class Search(forms.Form):
        q = forms.CharField(max_length=100, label="Search", widget=TextInputInOnePass)

    class Plain(forms.Form):
        q = forms.CharField(max_length=100, label="Search")

    assert str(Search({"q": "<x>"})["q"]) == str(Plain({"q": "<x>"})["q"])
