"""Live region of the environment page (portal/live.py): its timeline, while the status moves.

The status badge and the action buttons have their own poller (static/portal/environments.js,
on ``status.json``); this one brings the new timeline entries, and stops at the same settled
statuses.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from portal.http import request_user
from portal.live import live_fragment, poll_context
from provisioning.environment_read import environment_read_for_user, environment_timeline_read
from provisioning.models import Environment

# The statuses nothing moves out of by itself (as environments.js's SETTLED).
SETTLED = frozenset({Environment.Status.AVAILABLE, Environment.Status.STOPPED,
                     Environment.Status.FAILED, Environment.Status.TERMINATED})


def timeline_context(environment: Environment) -> dict[str, Any]:
    """What the timeline include needs, on the page and in the fragment: the newest
    ``environment_read.TIMELINE_LENGTH`` events (one statement compiled once)."""
    return {"environment": environment,
            "timeline": environment_timeline_read(environment=environment),
            **poll_context(live=environment.status not in SETTLED)}


@live_fragment
def environment_timeline_live(request: HttpRequest, pk: str) -> HttpResponse:
    environment = environment_read_for_user(user=request_user(request), pk=pk)
    return render(request, "provisioning/_timeline.html", timeline_context(environment))
