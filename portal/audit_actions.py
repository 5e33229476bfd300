"""The audit actions the portal writes: the audit trail's action filter lists them.

A registry rather than a `SELECT DISTINCT action` over the audit table, which grows to hundreds
of thousands of rows: listing the filter must cost no query. `tests/portal/test_audit_actions.py`
checks that every action the code writes (the literal ones in the source, the day-2 verbs,
the request and task statuses, the audited admin pages) is here.
"""

from __future__ import annotations

from itertools import groupby

KNOWN_AUDIT_ACTIONS: tuple[str, ...] = (
    # portal: sign-in, tokens, people, projects, the audit trail itself
    "api_token.rotated",
    "audit.exported",
    "auth.session_roles_expired", "auth.sign_in", "auth.sign_in_failed", "auth.sign_in_locked",
    "auth.sign_out", "auth.sign_out_refused",
    "membership.changed", "membership.created", "membership.deleted",
    "notification.failed",
    "project.changed", "project.created", "project.deactivated", "project.deleted",
    "user.changed", "user.created", "user.deleted", "user.roles_changed",
    # catalog
    "catalog.parameter_override_cleared", "catalog.parameter_override_set", "catalog.price_set",
    "catalog.product_updated", "catalog.sync_requested", "catalog.synced",
    # approvals (request.<status> and approval.task_<status> from approvals/services/workflow.py)
    "approval.decided", "approval.task_approved", "approval.task_created",
    "approval.task_escalated", "approval.task_expired", "approval.task_rejected",
    "approval.task_reminded", "approval.task_skipped",
    "approvalpolicy.changed", "approvalpolicy.created", "approvalpolicy.deleted",
    "approvalrule.changed", "approvalrule.created", "approvalrule.deleted",
    "approvalstep.changed", "approvalstep.created", "approvalstep.deleted",
    "request.approved", "request.cancelled", "request.created", "request.expired",
    "request.handed_off", "request.rejected", "request.submit_repeated",
    # provisioning (environment.<verb> from provisioning/lifecycle.py)
    "environment.available", "environment.aws_unreachable", "environment.created",
    "environment.failed", "environment.launch", "environment.launch_refused",
    "environment.out_of_band", "environment.provisioning", "environment.start",
    "environment.status_changed", "environment.stop", "environment.terminate",
    "environment.terminated", "environment.update", "environment.update_failed",
    "environment.updated",
)


def audit_action_choices(*, current: str = "") -> list[tuple[str, object]]:
    """Choices for a select: "any", then one group per family ("auth.": every auth event, then
    each action). A ``current`` value that is not listed (an older bookmark's prefix) is kept
    as the first option so the filter still shows what it filters on."""
    choices: list[tuple[str, object]] = [("", "Any action")]
    if current and current not in KNOWN_AUDIT_ACTIONS and not any(
            current == f"{family}." for family in _families()):
        choices.append((current, f"{current} (starts with)"))
    for family, actions in groupby(sorted(KNOWN_AUDIT_ACTIONS), key=lambda a: a.split(".")[0]):
        group = [(f"{family}.", f"every {family} event")] + [(a, a) for a in actions]
        choices.append((family, group))
    return choices


def _families() -> set[str]:
    return {action.split(".")[0] for action in KNOWN_AUDIT_ACTIONS}
