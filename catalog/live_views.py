"""Live region of the catalog admin page (portal/live.py): the recent syncs after "Sync now"."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from catalog.models import SyncRun
from catalog.selectors import sync_runs_for_admin
from portal.http import request_user
from portal.live import live_fragment, poll_context
from portal.models import User

RECENT_RUNS = 5
UNFINISHED = (SyncRun.Status.QUEUED, SyncRun.Status.RUNNING)


def sync_runs_context(user: User) -> dict[str, Any]:
    """The recent runs; the region polls while one of them is queued or running."""
    runs = list(sync_runs_for_admin(user=user)[:RECENT_RUNS])
    return {"runs": runs, **poll_context(live=any(r.status in UNFINISHED for r in runs))}


@live_fragment
def sync_runs_live(request: HttpRequest) -> HttpResponse:
    user = request_user(request)
    if not user.is_catalog_admin:
        raise PermissionDenied("Only platform admins manage the catalog.")
    return render(request, "catalog/_sync_runs.html", sync_runs_context(user))
