"""Writes of the approval workflow, by concern; import the public names from here.

- ``create``: ``request_create`` (validation, the matched rule, the first step).
- ``decide``: ``request_approve``, ``request_reject``, ``tasks_approve``, ``request_cancel``.
- ``workflow``: who may decide (``task_approvers``, ``task_is_eligible``, ``earlier_deciders``),
  ``workflow_advance``, ``task_close``, ``request_close`` (also used by the sweep).
- ``handoff``: ``hand_off_register`` and ``request_hand_off`` (approved requests to provisioning).
- ``environments``: ``environment_resolver_register`` and ``EnvironmentFacts``, how day-2
  requests learn about the environment they name without importing provisioning.

Every status change goes through ``approvals.states.status_transition``.
"""

from approvals.services.create import parameters_masked, request_create
from approvals.services.decide import (
    request_approve,
    request_cancel,
    request_reject,
    tasks_approve,
)
from approvals.services.environments import (
    EnvironmentFacts,
    environment_current,
    environment_resolver_register,
    environment_resolvers,
)
from approvals.services.handoff import (
    HandOffMissing,
    hand_off_handlers,
    hand_off_register,
    request_hand_off,
)
from approvals.services.workflow import (
    earlier_deciders,
    request_close,
    task_approvers,
    task_close,
    task_is_eligible,
    workflow_advance,
)

__all__ = [
    "EnvironmentFacts", "HandOffMissing", "earlier_deciders", "environment_current",
    "environment_resolver_register",
    "environment_resolvers", "hand_off_handlers", "hand_off_register", "parameters_masked",
    "request_approve", "request_cancel", "request_close", "request_create", "request_hand_off",
    "request_reject", "task_approvers", "task_close", "task_is_eligible", "tasks_approve",
    "workflow_advance",
]
