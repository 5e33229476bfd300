"""Writes of the approval workflow, by concern; import the public names from here.

- ``create``: ``request_create`` (validation, the matched rule, the first step) and
  ``request_submit`` (the same, once per idempotency key).
- ``validate``: ``request_validate``, a request's fields checked one by one (``create`` runs it).
- ``idempotency``: ``idempotency_key_clean``, ``IdempotencyKeyReused`` (same key, other input).
- ``checks``: ``request_check_register``: apps above approvals may refuse a request (quotas).
- ``names``: ``live_name_check_register``: a new environment may not take a live one's name.
- ``delegations``: ``delegation_create``, ``delegation_end``, ``delegations_in_range``,
  ``task_delegator`` (who an out-of-office approver's delegate may decide for).
- ``decide``: ``request_approve``, ``request_reject``, ``tasks_approve``, ``request_cancel``.
- ``workflow``: who may decide (``task_approvers``, ``task_is_eligible``, ``earlier_deciders``),
  ``workflow_advance``, ``task_close``, ``request_close`` (also used by the sweep),
  ``request_reapproval`` (a stale change plan sends an approved request back).
- ``handoff``: ``hand_off_register`` and ``request_hand_off`` (approved requests to provisioning).
- ``environments``: ``environment_resolver_register`` and ``EnvironmentFacts``, how day-2
  requests learn about the environment they name without importing provisioning.

Every status change goes through ``approvals.states.status_transition``.
"""

from approvals.services.checks import (
    RequestToCheck,
    request_check_errors,
    request_check_register,
    request_checks,
    request_review_reasons,
    request_review_register,
)
from approvals.services.create import (
    RequestSubmitted,
    parameters_masked,
    request_create,
    request_submit,
)
from approvals.services.decide import (
    request_approve,
    request_cancel,
    request_reject,
    tasks_approve,
)
from approvals.services.delegations import (
    delegation_create,
    delegation_end,
    delegations_in_range,
    task_delegator,
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
from approvals.services.idempotency import (
    IDEMPOTENCY_KEY_MAX,
    IdempotencyKeyReused,
    idempotency_key_clean,
)
from approvals.services.names import live_name_check_register, live_name_checks
from approvals.services.workflow import (
    earlier_deciders,
    request_close,
    request_reapproval,
    task_approvers,
    task_close,
    task_is_eligible,
    workflow_advance,
)

__all__ = [
    "IDEMPOTENCY_KEY_MAX", "EnvironmentFacts", "HandOffMissing", "IdempotencyKeyReused",
    "RequestSubmitted", "RequestToCheck", "request_check_errors", "request_check_register",
    "request_review_reasons", "request_review_register",
    "request_checks",
    "delegation_create", "delegation_end", "delegations_in_range", "task_delegator",
    "earlier_deciders", "environment_current", "idempotency_key_clean",
    "live_name_check_register", "live_name_checks", "request_submit",
    "environment_resolver_register",
    "environment_resolvers", "hand_off_handlers", "hand_off_register", "parameters_masked",
    "request_approve", "request_cancel", "request_close", "request_reapproval", "request_create",
    "request_hand_off",
    "request_reject", "task_approvers", "task_close", "task_is_eligible", "tasks_approve",
    "workflow_advance",
]
