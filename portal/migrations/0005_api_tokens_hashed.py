"""Existing rest_framework tokens become digests (same key keeps working) and leave the table."""

from __future__ import annotations

import hashlib
from datetime import timedelta
from typing import Any

from django.db import migrations
from django.utils import timezone

# Tokens issued before expiry existed get the default lifetime from the day of this migration.
DEFAULT_DAYS = 90


def hash_existing_tokens(apps: Any, schema_editor: Any) -> None:
    Token = apps.get_model("authtoken", "Token")
    ApiToken = apps.get_model("portal", "ApiToken")
    expires_at = timezone.now() + timedelta(days=DEFAULT_DAYS)
    for token in Token.objects.all().iterator():
        ApiToken.objects.update_or_create(
            user_id=token.user_id,
            defaults={"digest": hashlib.sha256(token.key.encode()).hexdigest(),
                      "created_at": token.created, "expires_at": expires_at},
        )
    Token.objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [
        ("portal", "0004_api_token"),
        ("authtoken", "0004_alter_tokenproxy_options"),
    ]

    # Not reversible: the keys in clear are gone, which is the point.
    operations = [migrations.RunPython(hash_existing_tokens, migrations.RunPython.noop)]
