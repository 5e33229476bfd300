"""HTML forms of the catalog: the generated request form and the curation forms.

The request form only renders fields; its ``clean`` hands every value to
``catalog.parameters.parameters_validate`` so page, API and approvals validate the same way.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from django import forms
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError

from catalog.idle import IDLE_FIELDS
from catalog.models import ParameterOverride, Product, ProductVersion
from catalog.parameters import (
    ON_CHANGE_KEEP,
    ON_CHANGE_REPLACE,
    RESOURCE_LABELS,
    EffectiveParameter,
    parameters_validate,
    split_items,
)
from portal.models import Project, aws_region_validator
from portal.widgets import (
    NumberInputInOnePass,
    SelectInOnePass,
    SelectMultipleInOnePass,
    TextInputInOnePass,
)

REPLACES_HELP = "Changing it replaces the resource, its data is lost."
LOCKED_HELP = ("Names the resource, so it is kept as it is: changing it would replace the "
               "resource, and its data would be lost.")


def _field_for(parameter: EffectiveParameter, labels: list[tuple[str, str]]) -> forms.Field:
    """The form field that suits the parameter's type.

    ``labels``: the project account's resources for an AWS-typed parameter, (id, label) pairs.
    A list type with known choices is a multi-select, as CloudFormation's console offers it.
    """
    help_text = parameter.help_text
    if parameter.constraint_description and parameter.constraint_description not in help_text:
        help_text = f"{help_text} {parameter.constraint_description}".strip()
    common: dict[str, Any] = {
        "label": parameter.label, "help_text": help_text, "required": parameter.required,
    }
    if parameter.no_echo:
        attrs: dict[str, Any] = {"autocomplete": "new-password"}
        if parameter.max_length is not None:
            attrs["maxlength"] = parameter.max_length
        # Never echo a secret back, not even after a failed submit.
        return forms.CharField(widget=forms.PasswordInput(attrs=attrs, render_value=False),
                               strip=False, **common)
    options = [(v, v) for v in parameter.allowed_values] or labels
    if options and parameter.is_list:
        if parameter.default is not None:
            common["initial"] = split_items(parameter.default)
        return forms.MultipleChoiceField(choices=options, widget=SelectMultipleInOnePass,
                                         **common)
    if options:
        choices = list(options)
        if not parameter.required:
            common["initial"] = parameter.default
        else:
            choices = [("", "— choose —"), *choices]
        return forms.ChoiceField(choices=choices, widget=SelectInOnePass, **common)
    attrs = {}
    if parameter.is_number:
        attrs.update({"inputmode": "decimal"})
        if parameter.min_value is not None:
            attrs["min"] = f"{parameter.min_value.normalize():f}"
        if parameter.max_value is not None:
            attrs["max"] = f"{parameter.max_value.normalize():f}"
        widget: forms.Widget = NumberInputInOnePass(attrs={**attrs, "step": "any"})
    else:
        if parameter.allowed_pattern and not parameter.is_list:
            attrs["pattern"] = parameter.allowed_pattern.removeprefix("^").removesuffix("$")
            attrs["title"] = parameter.constraint_description or parameter.allowed_pattern
        if parameter.max_length is not None:
            attrs["maxlength"] = parameter.max_length
        if parameter.min_length is not None:
            attrs["minlength"] = parameter.min_length
        if parameter.resource_type:
            attrs["placeholder"] = RESOURCE_LABELS[parameter.resource_type].capitalize() + (
                ", comma-separated" if parameter.is_list else "")
        elif parameter.is_list:
            attrs["placeholder"] = "comma-separated values"
        widget = TextInputInOnePass(attrs=attrs)  # no widget templates (issue 16)
    if parameter.default is not None:
        common["initial"] = parameter.default
    return forms.CharField(widget=widget, **common)


class ProductRequestForm(forms.Form):
    """One field per visible effective parameter of a version; hidden ones are not rendered."""

    def __init__(self, *args: Any, version: ProductVersion, parameters: list[EffectiveParameter],
                 choice_labels: dict[str, list[tuple[str, str]]] | None = None,
                 current: dict[str, str] | None = None, carried: dict[str, str] | None = None,
                 **kwargs: Any) -> None:
        """``current``: a change request's starting point, the environment's values. The fields
        start from them (NoEcho ones excepted: a secret is never shown), and the parameters that
        name or identify the resource are read-only at their current value.

        ``carried``: a new request's starting values (from the product page, or an earlier
        request): the fields start from them, all editable; NoEcho ones are never pre-filled."""
        super().__init__(*args, **kwargs)
        self.version = version
        self.parameters = parameters
        self.locked: dict[str, str] = {}
        start = current if current is not None else carried
        for parameter in parameters:
            if not parameter.hidden:
                field = self.fields[parameter.key] = _field_for(
                    parameter, (choice_labels or {}).get(parameter.key, []))
                if start is None or parameter.key not in start or parameter.no_echo:
                    continue
                value = str(start[parameter.key])
                field.initial = split_items(value) if isinstance(
                    field, forms.MultipleChoiceField) else value
                if current is None:
                    continue
                if parameter.on_change == ON_CHANGE_KEEP:
                    self.locked[parameter.key] = value
                    field.disabled = True
                    field.help_text = LOCKED_HELP
                elif parameter.on_change == ON_CHANGE_REPLACE:
                    field.help_text = f"{field.help_text} {REPLACES_HELP}".strip()
                    field.widget.attrs["data-replaces-resource"] = "true"
        self.parameter_values: dict[str, str] = {}

    def clean(self) -> dict[str, Any]:
        # Validate the raw submission, so a field's own parse never hides the catalog's message.
        # A hidden parameter is not rendered; a crafted value for one is refused, not ignored.
        raw = {p.key: self._raw(p.key) for p in self.parameters
               if not p.hidden or p.key in self.data}
        try:
            self.parameter_values = parameters_validate(
                version=self.version, values=raw, parameters=self.parameters
            )
        except ValidationError as exc:
            for key, messages in exc.message_dict.items():
                target = key if key in self.fields else None
                for message in messages:
                    if target and target in self.errors and message in self.errors[target]:
                        continue
                    self.add_error(target, message)
        return self.cleaned_data

    def _raw(self, key: str) -> Any:
        """The submitted text; a multi-select's items joined by commas, as CloudFormation takes
        a list parameter. A read-only field is its current value, whatever was posted."""
        if key in self.locked:
            return self.locked[key]
        if isinstance(self.fields.get(key), forms.MultipleChoiceField) and hasattr(
            self.data, "getlist"
        ):
            return ",".join(self.data.getlist(key))
        return self.data.get(key, "")

    def _clean_fields(self) -> None:
        # Required/choice checks are the catalog's job (one set of messages everywhere).
        for name in self.fields:
            self.cleaned_data[name] = self._raw(name)


class ProductCurationForm(forms.Form):
    published = forms.BooleanField(required=False)
    kind = forms.ChoiceField(choices=Product.Kind.choices)
    default_version = forms.ModelChoiceField(queryset=ProductVersion.objects.none(), required=False,
                                             empty_label="Newest non-deprecated version")
    hide_deprecated = forms.BooleanField(required=False, label="Hide deprecated versions")
    visible_to_groups = forms.ModelMultipleChoiceField(
        queryset=Group.objects.order_by("name"), required=False,
        help_text="Leave empty for everyone; otherwise only members of these IdP groups.",
    )
    visible_to_projects = forms.ModelMultipleChoiceField(
        queryset=Project.objects.filter(active=True).order_by("name"), required=False,
        help_text="Leave empty for every project in the product's AWS account and region.",
    )
    lease_default_days = forms.IntegerField(
        required=False, min_value=1, max_value=3650, label="Default lease (days)",
        help_text="Offered on the request form; empty: the portal's default. A project's "
                  "shorter lease applies.")
    lease_max_days = forms.IntegerField(
        required=False, min_value=1, max_value=3650, label="Longest lease (days)",
        help_text="The most a requester may pick, and the longest extension; empty: the "
                  "portal's maximum. A project's shorter maximum applies.")

    def __init__(self, *args: Any, product: Product, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["default_version"].queryset = ProductVersion.objects.filter(  # type: ignore[attr-defined]
            product=product, retired_at__isnull=True, active=True
        )
        self.output_keys: list[str] = []
        for name, default_key in _output_fields(product).items():
            self.fields[f"output_{name}"] = forms.CharField(
                required=False, label=f"Output carrying {name.replace('_', ' ')}",
                initial=product.output_mapping.get(name, default_key),
            )
            self.output_keys.append(name)
        self.idle_keys: list[str] = []
        if product.kind == Product.Kind.STUDIO_USER_PROFILE:
            for name, label in IDLE_FIELDS.items():
                self.fields[f"idle_{name}"] = forms.CharField(
                    required=False, label=f"Parameter carrying the {label}",
                    initial=(product.idle_parameters or {}).get(name, ""),
                    help_text="Filled with the portal's idle-shutdown setting at provisioning; "
                              "empty: left to the template.")
                self.idle_keys.append(name)

    def output_mapping(self) -> dict[str, str]:
        return {name: self.cleaned_data.get(f"output_{name}", "") for name in self.output_keys}

    def idle_parameters(self) -> dict[str, str] | None:
        """The idle mapping entered (None: the form has no such fields for this kind)."""
        if not self.idle_keys:
            return None
        return {name: self.cleaned_data.get(f"idle_{name}", "") for name in self.idle_keys}


def _output_fields(product: Product) -> dict[str, str]:
    from catalog.models import OUTPUT_FIELDS

    return OUTPUT_FIELDS.get(product.kind, {})


class ParameterOverrideForm(forms.Form):
    key = forms.CharField(widget=forms.HiddenInput)
    label = forms.CharField(required=False, max_length=200)
    help_text = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))
    hidden = forms.BooleanField(required=False, label="Hide with a fixed value")
    fixed_value = forms.CharField(required=False)
    default = forms.CharField(required=False)
    narrow = forms.BooleanField(required=False, label="Narrow the allowed values")
    on_change = forms.ChoiceField(
        required=False, label="In a change request",
        choices=ParameterOverride._meta.get_field("on_change").choices)  # type: ignore[arg-type]
    allowed_values = forms.MultipleChoiceField(required=False, choices=[],
                                               widget=forms.CheckboxSelectMultiple)

    def __init__(self, *args: Any, aws_allowed: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["allowed_values"].choices = [(v, v) for v in aws_allowed]  # type: ignore[attr-defined]


class InstancePriceForm(forms.Form):
    instance_type = forms.RegexField(regex=r"^ml\.[a-z0-9]+\.[a-z0-9]+$", max_length=64,
                                     error_messages={"invalid": "Like ml.m5.xlarge."})
    region = forms.CharField(max_length=32, validators=[aws_region_validator])
    usd_per_hour = forms.DecimalField(min_value=Decimal("0"), max_digits=10, decimal_places=4,
                                      label="USD per hour")


INSTANCE_TYPE_PATTERN = r"^ml\.[a-z0-9]+\.[a-z0-9]+$"


class ProductEstimateForm(forms.Form):
    """What a product's cost estimate is made of (catalog.estimates)."""

    flat_monthly_usd = forms.DecimalField(
        required=False, min_value=Decimal("0"), max_digits=10, decimal_places=2,
        label="Flat monthly figure (USD)",
        help_text="When set, it is the estimate, whatever the parameters.")
    estimate_instance_types = forms.CharField(
        required=False, max_length=400, label="Instance types it runs by default",
        help_text="Space-separated, priced from the price table and summed: a Studio profile's "
                  "default app types, the instances a SageMaker project template declares.")

    def clean_estimate_instance_types(self) -> list[str]:
        text = self.cleaned_data.get("estimate_instance_types") or ""
        types = [t for t in text.replace(",", " ").split() if t]
        wrong = [t for t in types if not re.match(INSTANCE_TYPE_PATTERN, t)]
        if wrong:
            raise forms.ValidationError(
                f"Not an instance type: {', '.join(wrong[:3])} (like ml.m5.xlarge).")
        if len(types) > 10:
            raise forms.ValidationError("At most 10 instance types.")
        return types


class StoragePriceForm(forms.Form):
    region = forms.CharField(max_length=32, validators=[aws_region_validator])
    usd_per_gb_month = forms.DecimalField(min_value=Decimal("0"), max_digits=10,
                                          decimal_places=4, label="USD per GB-month")
