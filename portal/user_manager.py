"""The user model's manager: Django's ``UserManager``, with ``get(pk=...)`` from a kept statement.

Every request of a signed-in person fetches them by primary key (the authentication backends'
``get_user``); building and compiling that query was as costly as the session's (issue 16).
``get(pk=...)`` alone runs the manager's own ``filter(pk=...)`` compiled once
(``portal.statements``); anything else is the queryset's ``get``.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import UserManager
from django.db import router
from django.db.models import Model

from portal.statements import MARKER_ID, Slot, Statement

_by_pk: dict[type[Model], Statement] = {}


def _statement(model: type[Model]) -> Statement:
    """``model``'s ``filter(pk=...)``, one statement per model (a test may subclass it)."""
    statement = _by_pk.get(model)
    if statement is None:
        statement = _by_pk[model] = Statement(lambda pk: model._default_manager.filter(pk=pk),
                                              pk=Slot(model._meta.pk, MARKER_ID))
    return statement


class PortalUserManager(UserManager[Any]):
    """``UserManager``; ``get(pk=...)`` reads the row through a statement compiled once."""

    def get(self, *args: Any, **kwargs: Any) -> Any:
        if args or list(kwargs) != ["pk"] or self._db is not None:
            return super().get(*args, **kwargs)
        found = _statement(self.model).instances(self.model, using=router.db_for_read(self.model),
                                             pk=kwargs["pk"])
        if not found:
            raise self.model.DoesNotExist(
                f"{self.model._meta.object_name} matching query does not exist.")
        return found[0]
