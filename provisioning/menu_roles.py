"""What the menu offers beyond everybody's entries: the approvals inbox (the person may approve
at all) and "Projects" (a lead's or line manager's project view), kept in the session.

Both answers cost several EXISTS over tasks, memberships and reports, and change rarely; asking
them on every page was a fifth of a page's time at a bank's volume (issue 16). They are worked
out at sign-in and again once they are older than PORTAL_MENU_ROLE_SECONDS (0: on every page).
A person newly named on a task, made a lead or given a report sees the entry within that time;
every page still checks the person's scope on each request, whatever the menu shows.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.utils import timezone

from approvals.selectors import may_approve
from portal.models import User
from provisioning.team import has_project_view

MENU_SESSION_KEY = "portal_menu_roles"


def _asked(user: User) -> tuple[bool, bool]:
    approver = may_approve(user=user)
    # Leads and line managers are approvers already: nobody else pays for the second query.
    return approver, approver and has_project_view(user=user)


def menu_roles(request: HttpRequest, user: User) -> tuple[bool, bool]:
    """(may approve, has a project view) for the menu of this person's request."""
    lifetime = settings.PORTAL_MENU_ROLE_SECONDS
    session = getattr(request, "session", None)
    if session is None or not lifetime:
        return _asked(user)
    now = timezone.now().timestamp()
    # Kept for this person with these roles only: a sign-in that brings new roles from the IdP
    # (after the answers were kept, the sign-in's own receiver included) asks again at once.
    roles = ",".join(sorted(str(role) for role in user.roles or [])) + f"|{user.is_active}"
    kept = session.get(MENU_SESSION_KEY)
    if (isinstance(kept, list) and len(kept) == 5 and kept[0] == user.pk and kept[4] == roles
            and 0 <= now - float(kept[1]) < lifetime):
        return bool(kept[2]), bool(kept[3])
    approver, projects = _asked(user)
    session[MENU_SESSION_KEY] = [user.pk, now, approver, projects, roles]
    return approver, projects


def menu_roles_at_sign_in(sender: Any, request: HttpRequest | None, user: User,
                          **kwargs: Any) -> None:
    """``user_logged_in`` receiver: the first page after signing in finds the answers kept."""
    if request is not None and getattr(request, "session", None) is not None \
            and settings.PORTAL_MENU_ROLE_SECONDS:
        menu_roles(request, user)
