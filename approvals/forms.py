"""HTML forms of the approval workflow. They only shape input; the services validate it."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet

from approvals.models import Decision
from catalog.checks import tag_options_requestable
from catalog.leases import LeaseTerms
from catalog.models import Product
from portal.models import Project

TAG_FIELD_PREFIX = "tag:"


class RequestDetailsForm(forms.Form):
    """The part of the request form that is not the product's parameters."""

    project = forms.ChoiceField(label="Project")
    justification = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4}), max_length=4000,
        help_text="What you will use it for; approvers read this.",
    )

    def __init__(self, *args: Any, projects: QuerySet[Project], product: Product,
                 lease: LeaseTerms | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["project"].choices = [  # type: ignore[attr-defined]
            (p.slug, f"{p.name} ({p.get_environment_display()})") for p in projects
        ]
        if lease is not None:  # a new environment: its lease, within the terms (checked again)
            self.fields["lease_days"] = forms.IntegerField(
                label="Lease (days)", min_value=1, max_value=lease.max_days, required=False,
                initial=lease.default_days,
                help_text=f"The environment is stopped when its lease ends and terminated "
                          f"{lease.grace_days} days later unless extended; at most "
                          f"{lease.max_days} days; empty: {lease.default_days}.")
        by_key = tag_options_requestable(product=product)
        self.tag_keys = sorted(by_key)
        for key in self.tag_keys:
            self.fields[TAG_FIELD_PREFIX + key] = forms.ChoiceField(
                label=f"Tag: {key}",
                choices=[("", "— choose —"), *[(v, v) for v in sorted(by_key[key])]],
            )

    def tag_choices(self) -> dict[str, str]:
        return {key: self.cleaned_data.get(TAG_FIELD_PREFIX + key, "") for key in self.tag_keys}

    def add_service_errors(self, errors: dict[str, Any]) -> None:
        for field in ("project", "justification", "lease_days"):
            if field not in self.fields:
                continue
            for message in errors.get(field, []):
                self.add_error(field, message)
        for key, messages in (errors.get("tag_choices") or {}).items():
            target = TAG_FIELD_PREFIX + key
            for message in messages:
                self.add_error(target if target in self.fields else None, message)
        for field in ("version", "action", "environment_ref", "idempotency_key", "limits"):
            for message in errors.get(field, []):
                self.add_error(None, message)


class DecisionForm(forms.Form):
    verdict = forms.ChoiceField(choices=Decision.Verdict.choices)
    comment = forms.CharField(required=False, max_length=4000,
                              widget=forms.Textarea(attrs={"rows": 3}))


class BulkApproveForm(forms.Form):
    tasks = forms.TypedMultipleChoiceField(coerce=int, choices=[])
    comment = forms.CharField(required=False, max_length=4000)

    def __init__(self, *args: Any, task_ids: list[int], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["tasks"].choices = [(pk, pk) for pk in task_ids]  # type: ignore[attr-defined]
        self.fields["tasks"].error_messages["required"] = "Select at least one request."


class DelegationForm(forms.Form):
    """Name a delegate for a date range (out of office); the service validates the rest."""

    delegate = forms.CharField(label="Delegate (username)", max_length=150,
                               help_text="An active colleague who decides for you meanwhile.")
    starts_on = forms.DateField(label="First day", widget=forms.DateInput(attrs={"type": "date"}))
    ends_on = forms.DateField(label="Last day", widget=forms.DateInput(attrs={"type": "date"}),
                              help_text="Included: the delegation ends at the end of this day.")
    reason = forms.CharField(label="Reason", max_length=500, required=False,
                             help_text="E.g. annual leave; the delegate and auditors see it.")

    def add_service_errors(self, errors: dict[str, list[str]]) -> None:
        for key, field_messages in errors.items():
            for message in field_messages:
                self.add_error(key if key in self.fields else None, message)
