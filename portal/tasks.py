from __future__ import annotations

from celery import shared_task

from portal.services import saml_assertions_prune


@shared_task(name="portal.tasks.saml_assertions_prune")
def saml_assertions_prune_task() -> int:
    return saml_assertions_prune()
