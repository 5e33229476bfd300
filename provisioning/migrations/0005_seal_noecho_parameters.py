"""Existing environments: NoEcho parameter values encrypted at rest (reversible)."""

from typing import Any

from django.db import migrations

from portal.sealing import rows_parameters_seal


def seal(apps: Any, schema_editor: Any) -> None:
    rows_parameters_seal(model=apps.get_model("provisioning", "Environment"),
                         spec_model=apps.get_model("catalog", "ParameterSpec"), seal=True)


def unseal(apps: Any, schema_editor: Any) -> None:
    rows_parameters_seal(model=apps.get_model("provisioning", "Environment"),
                         spec_model=apps.get_model("catalog", "ParameterSpec"), seal=False)


class Migration(migrations.Migration):

    dependencies = [
        ("provisioning", "0004_merge_20261201_1648"),
        ("catalog", "0002_sync_flags"),
    ]

    operations = [migrations.RunPython(seal, unseal)]
