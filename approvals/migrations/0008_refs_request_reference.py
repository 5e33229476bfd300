"""Requests get a sequential number (REQ-1042) and the environment name their requester knows.

Existing requests are numbered from 1001 in the order they were made (created_at, then id), and
the counter continues after the highest; a new request's name is the name parameter it chose
(not the template's default, which the portal replaces at provisioning).
"""

from django.db import migrations, models

FIRST_NUMBER = 1001
# catalog.parameters.RESOURCE_NAME_PARAMETERS as it stands at this migration.
NAME_PARAMETERS = {"notebook_instance": "NotebookInstanceName",
                   "studio_user_profile": "UserProfileName"}


def backfill(apps, schema_editor):  # type: ignore[no-untyped-def]
    Request = apps.get_model("approvals", "Request")
    RequestNumber = apps.get_model("approvals", "RequestNumber")
    ParameterSpec = apps.get_model("catalog", "ParameterSpec")
    number = FIRST_NUMBER - 1
    for request in Request.objects.select_related("product").order_by("created_at", "id"):
        number += 1
        request.number = number
        key = NAME_PARAMETERS.get(request.product.kind, "")
        value = str((request.parameters or {}).get(key) or "").strip() if key else ""
        default = ParameterSpec.objects.filter(version_id=request.version_id, key=key).values_list(
            "default", flat=True).first() if value else None
        request.name = value if value and value != (default or "") else ""
        request.save(update_fields=["number", "name"])
    RequestNumber.objects.update_or_create(name="request", defaults={"last": number})


class Migration(migrations.Migration):

    dependencies = [
        ("approvals", "0007_lease_terms"),
        ("catalog", "0003_parameteroverride_on_change"),
    ]

    operations = [
        migrations.CreateModel(
            name="RequestNumber",
            fields=[
                ("name", models.CharField(default="request", max_length=20, primary_key=True,
                                          serialize=False)),
                ("last", models.PositiveBigIntegerField(default=FIRST_NUMBER - 1)),
            ],
        ),
        migrations.AddField(
            model_name="request",
            name="number",
            field=models.PositiveBigIntegerField(editable=False, null=True),
        ),
        migrations.AddField(
            model_name="request",
            name="name",
            field=models.CharField(blank=True, default="", max_length=128),
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="request",
            name="number",
            field=models.PositiveBigIntegerField(editable=False, unique=True),
        ),
    ]
