from __future__ import annotations

from portal.services import saml_assertions_prune, sessions_clear_expired
from portal.tasking import shared_task


@shared_task(name="portal.tasks.saml_assertions_prune")
def saml_assertions_prune_task() -> int:
    return saml_assertions_prune()


@shared_task(name="portal.tasks.sessions_clear_expired")
def sessions_clear_expired_task() -> None:
    sessions_clear_expired()
