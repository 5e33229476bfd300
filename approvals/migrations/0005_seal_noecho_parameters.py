"""Existing requests: NoEcho parameter values encrypted at rest (reversible)."""

from typing import Any

from django.db import migrations

from portal.sealing import rows_parameters_seal


def seal(apps: Any, schema_editor: Any) -> None:
    rows_parameters_seal(model=apps.get_model("approvals", "Request"),
                         spec_model=apps.get_model("catalog", "ParameterSpec"), seal=True)


def unseal(apps: Any, schema_editor: Any) -> None:
    rows_parameters_seal(model=apps.get_model("approvals", "Request"),
                         spec_model=apps.get_model("catalog", "ParameterSpec"), seal=False)


class Migration(migrations.Migration):

    dependencies = [
        ("approvals", "0004_distinct_step_approvers"),
        ("catalog", "0002_sync_flags"),
    ]

    operations = [migrations.RunPython(seal, unseal)]
