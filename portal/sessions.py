"""The session engine (SESSION_ENGINE): Django's database sessions, loaded by a kept statement.

Every request of a signed-in person loads its session row; ``Session.objects.get`` built and
compiled the same query each time (issue 16). The row is read by the same query compiled once
(``portal.statements``): the session key and the current time are its only parameters, and an
expired or unknown key still reads no row, which starts an empty session with a new key.
Saving, deleting and the clean-up of expired rows are Django's.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from django.contrib.sessions.backends.db import SessionStore as DatabaseSessionStore
from django.contrib.sessions.models import Session
from django.db import router
from django.utils import timezone

from portal.statements import MARKER_TEXT, Slot, Statement

_SESSION_DATA = Statement(
    lambda key, now: Session.objects.filter(session_key=key, expire_date__gt=now)
    .values_list("session_data"),
    key=Slot(Session._meta.get_field("session_key"), MARKER_TEXT),
    now=Slot(Session._meta.get_field("expire_date"),
             datetime(1970, 1, 1, 0, 0, 7, tzinfo=UTC)),
)


class SessionStore(DatabaseSessionStore):
    """Django's database session store; ``load`` reads the row through ``_SESSION_DATA``."""

    def load(self) -> dict[str, Any]:
        rows = _SESSION_DATA.rows(using=router.db_for_read(Session), key=self.session_key,
                                  now=timezone.now())
        if not rows:
            self._session_key = None
            return {}
        return self.decode(rows[0][0])
