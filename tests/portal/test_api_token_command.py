"""`manage.py api_token USERNAME`: a new token, printed once, that the API accepts."""

from __future__ import annotations

import io
import re

import pytest
from django.core.management import CommandError, call_command
from rest_framework.test import APIClient

from portal.models import AuditEvent, User

pytestmark = pytest.mark.django_db


def _token_for(username: str) -> str:
    out = io.StringIO()
    call_command("api_token", username, stdout=out)
    match = re.fullmatch(r"Generated token (\S+) for user " + re.escape(username) + r"\n",
                         out.getvalue())
    assert match, out.getvalue()
    return match.group(1)


def _me(token: str) -> int:
    return APIClient().get("/api/v1/me", HTTP_AUTHORIZATION=f"Token {token}").status_code


def test_the_printed_token_works_and_a_new_one_replaces_it(scientist: User) -> None:
    first = _token_for(scientist.username)
    assert _me(first) == 200
    second = _token_for(scientist.username)
    assert second != first
    assert (_me(first), _me(second)) == (401, 200)
    assert AuditEvent.objects.filter(action="api_token.rotated",
                                     object_id=str(scientist.pk)).count() == 2


def test_an_unknown_or_inactive_person_gets_no_token(scientist: User) -> None:
    with pytest.raises(CommandError, match="No active person named 'nobody'"):
        call_command("api_token", "nobody")
    scientist.is_active = False
    scientist.save(update_fields=["is_active"])
    with pytest.raises(CommandError):
        call_command("api_token", scientist.username)
