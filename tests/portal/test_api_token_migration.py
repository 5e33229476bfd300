"""Migration 0005: tokens issued in clear before become digests and keep working."""

from __future__ import annotations

import importlib

from django.apps import apps
from django.test import Client
from rest_framework.authtoken.models import Token

from portal.models import ApiToken, User


def test_existing_clear_tokens_become_digests_that_still_authenticate(scientist: User) -> None:
    key = Token.objects.create(user=scientist).key
    migration = importlib.import_module("portal.migrations.0005_api_tokens_hashed")

    migration.hash_existing_tokens(apps, None)

    assert not Token.objects.exists()
    assert ApiToken.objects.get(user=scientist).digest == ApiToken.digest_of(key)
    response = Client().get("/api/v1/me", HTTP_AUTHORIZATION=f"Token {key}")
    assert response.json()["username"] == "dana.scientist"
