"""The audit actions the portal writes: the audit trail's action filter lists them.

A registry rather than a `SELECT DISTINCT action` over the audit table, which grows to hundreds
of thousands of rows: listing the filter must cost no query. The portal registers its own
actions here; each app above it registers its own from its `AppConfig.ready()` (portal names
no app above it). `tests/portal/test_audit_actions.py` checks that every action the code writes
(the literal ones in the source, the day-2 verbs, the request and task statuses, the audited
admin pages) is registered.
"""

from __future__ import annotations

from itertools import groupby

_known: set[str] = {
    "api_token.rotated",
    "audit.archived", "audit.exported",
    "auth.session_roles_expired", "auth.sign_in", "auth.sign_in_failed", "auth.sign_in_locked",
    "auth.sign_out", "auth.sign_out_refused",
    # <model>.created/changed/deleted: the audited admin pages (portal/admin.py AuditedAdmin)
    "membership.changed", "membership.created", "membership.deleted",
    "notification.failed", "notification.read",
    "policy_pack.downloaded",
    "project.changed", "project.created", "project.deactivated", "project.deleted",
    "user.changed", "user.created", "user.deleted", "user.roles_changed",
    "user.time_zone_changed",
}


def audit_actions_register(*actions: str) -> None:
    """Declare actions an app writes with `audit_record` (called from its `AppConfig.ready`)."""
    _known.update(actions)


def known_audit_actions() -> tuple[str, ...]:
    return tuple(sorted(_known))


def audit_action_choices(*, current: str = "") -> list[tuple[str, object]]:
    """Choices for a select: "any", then one group per family ("auth.": every auth event, then
    each action). A ``current`` value that is not listed (an older bookmark's prefix) is kept
    as the first option so the filter still shows what it filters on."""
    known = known_audit_actions()
    families = {action.split(".")[0] for action in known}
    choices: list[tuple[str, object]] = [("", "Any action")]
    if current and current not in known and current.removesuffix(".") not in families:
        choices.append((current, f"{current} (starts with)"))
    for family, actions in groupby(known, key=lambda a: a.split(".")[0]):
        group = [(f"{family}.", f"every {family} event")] + [(a, a) for a in actions]
        choices.append((family, group))
    return choices
