"""The environment state machine as data: every allowed (from, to) edge with the reason it exists.

``environment_status_set`` is the only code that changes ``Environment.status``; it refuses an
edge the table does not hold with ``InvalidTransition`` and audits every edge it takes
(``environment.status_changed``, from and to). ``docs/environment-states.md`` is
rendered from the table by ``states_markdown`` (a test fails when the file is out of date;
regenerate it with ``make manage ARGS="shell -c 'from provisioning.states import states_markdown
as m; print(m(), end=\"\")'" > docs/environment-states.md``).
"""

from __future__ import annotations

from portal.services import audit_record
from provisioning.models import Environment

Status = Environment.Status


class InvalidTransition(Exception):
    """The environment is not in a state that allows this action; the message says why."""


# (from, to) → why the edge exists. Order: the lifecycle as an owner meets it.
EDGES: dict[tuple[Status, Status], str] = {
    (Status.QUEUED, Status.PROVISIONING):
        "ProvisionProduct (or SageMaker CreateProject) was accepted by AWS.",
    (Status.QUEUED, Status.FAILED):
        "The tags were refused, or AWS refused the provision call (validation, access).",
    (Status.QUEUED, Status.TERMINATED):
        "Terminated before anything was created in AWS.",
    (Status.PROVISIONING, Status.AVAILABLE):
        "The provisioning record (or SageMaker project) succeeded.",
    (Status.PROVISIONING, Status.FAILED):
        "The record failed, AWS refused a follow-up call, or the provisioning timed out.",
    (Status.AVAILABLE, Status.STOPPING):
        "The owner stopped the notebook.",
    (Status.AVAILABLE, Status.STOPPED):
        "The notebook was stopped outside the portal (reconcile, or a launch that found it so).",
    (Status.AVAILABLE, Status.STARTING):
        "A launch found the notebook Pending in AWS (started outside the portal): follow it.",
    (Status.AVAILABLE, Status.UPDATING):
        "An approved change request is applied (UpdateProvisionedProduct).",
    (Status.AVAILABLE, Status.TERMINATING):
        "The owner, a platform admin or an approved request terminates it.",
    (Status.AVAILABLE, Status.TERMINATED):
        "The provisioned product was terminated outside the portal (reconcile).",
    (Status.STOPPING, Status.STOPPED):
        "The notebook reached Stopped.",
    (Status.STOPPING, Status.AVAILABLE):
        "AWS refused the stop: the notebook keeps running.",
    (Status.STOPPING, Status.FAILED):
        "The notebook went Failed in AWS, or the stop timed out.",
    (Status.STOPPED, Status.STARTING):
        "The owner started the notebook, or opened it while stopped.",
    (Status.STOPPED, Status.AVAILABLE):
        "The notebook was started outside the portal (reconcile).",
    (Status.STOPPED, Status.UPDATING):
        "An approved change request is applied to a stopped notebook.",
    (Status.STOPPED, Status.TERMINATING):
        "The owner, a platform admin or an approved request terminates it.",
    (Status.STOPPED, Status.TERMINATED):
        "The provisioned product was terminated outside the portal (reconcile).",
    (Status.STARTING, Status.AVAILABLE):
        "The notebook reached InService.",
    (Status.STARTING, Status.STOPPED):
        "AWS refused the start: the notebook stays stopped.",
    (Status.STARTING, Status.FAILED):
        "The notebook went Failed in AWS, or the start timed out.",
    (Status.UPDATING, Status.AVAILABLE):
        "The change was applied, or it failed and Service Catalog rolled it back.",
    (Status.TERMINATING, Status.TERMINATED):
        "The terminate record succeeded, or the provisioned product was already gone.",
    (Status.TERMINATING, Status.FAILED):
        "The terminate record failed, AWS refused it, or it timed out.",
    (Status.FAILED, Status.AVAILABLE):
        "AWS finished the provisioning after the portal stopped waiting (reconcile recovers it).",
    (Status.FAILED, Status.TERMINATING):
        "The owner or a platform admin cleans up a failed environment.",
    (Status.FAILED, Status.TERMINATED):
        "Nothing was created in AWS, or it was terminated outside the portal (reconcile).",
}

TRANSITIONS: dict[Status, frozenset[Status]] = {
    status: frozenset(to for (frm, to) in EDGES if frm == status) for status in Status
}


def environment_status_set(environment: Environment, *, to: Status | str) -> None:
    """Move ``environment`` to ``to`` if the table allows it; the caller saves (under its lock).

    Raises ``InvalidTransition`` naming both states otherwise, and changes nothing.
    """
    target = Status(to)
    current = Status(environment.status)
    if target not in TRANSITIONS[current]:
        raise InvalidTransition(
            f"An environment cannot go from {current.label.lower()} to {target.label.lower()}.")
    environment.status = target
    # Every edge is audited here, the one place status changes, so none can be missed; the
    # callers add their own event for what happened (who asked, AWS's answer).
    audit_record(action="environment.status_changed", obj=environment,
                 project=environment.project,
                 data={"from": current.value, "to": target.value})


def states_markdown() -> str:
    """The table as the Markdown page ``docs/environment-states.md``."""
    lines = [
        "# Environment states",
        "",
        "Generated from `provisioning/states.py` (`states_markdown`, regeneration command in its",
        "docstring); do not edit by hand.",
        "Every status change goes through `environment_status_set`, which refuses any other edge",
        "and writes an audit event for each one it takes (`environment.status_changed`).",
        "",
        "| From | To | Why |",
        "| --- | --- | --- |",
    ]
    lines += [f"| {frm.value} | {to.value} | {why} |" for (frm, to), why in EDGES.items()]
    terminal = [s.value for s in Status if not TRANSITIONS[s]]
    lines += ["", f"Terminal: {', '.join(terminal)}.", ""]
    return "\n".join(lines)
