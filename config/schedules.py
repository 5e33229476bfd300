"""Every periodic task of the portal, in one place. Apps add their entries here."""

from __future__ import annotations

from typing import Any

from django.conf import settings


def beat_schedule() -> dict[str, dict[str, Any]]:
    schedule: dict[str, dict[str, Any]] = {
        "portal-forget-expired-assertions": {
            "task": "portal.tasks.saml_assertions_prune",
            "schedule": 3600.0,
        },
        "portal-clear-expired-sessions": {  # Django's clearsessions
            "task": "portal.tasks.sessions_clear_expired",
            "schedule": 3600.0,
        },
        "portal-worker-heartbeat": {  # /healthz/workers and the admin index read its rows
            "task": "portal.tasks.worker_heartbeat",
            "schedule": float(settings.PORTAL_WORKER_HEARTBEAT_SECONDS),
            "options": {"expires": float(settings.PORTAL_WORKER_HEARTBEAT_SECONDS)},
        },
        "approvals-sweep": {
            "task": "approvals.tasks.approval_tasks_sweep",
            "schedule": float(settings.PORTAL_APPROVAL_SWEEP_SECONDS),
        },
    }
    if settings.PORTAL_CATALOG_SYNC_SECONDS:
        schedule["catalog-sync"] = {
            "task": "catalog.tasks.catalog_sync_periodic",
            "schedule": float(settings.PORTAL_CATALOG_SYNC_SECONDS),
        }
    if settings.PORTAL_SWEEPER_SECONDS:
        schedule["provisioning-sweep"] = {
            "task": "provisioning.tasks.environments_sweep",
            "schedule": float(settings.PORTAL_SWEEPER_SECONDS),
        }
        schedule["catalog-sync-runs-sweep"] = {
            "task": "catalog.tasks.sync_runs_sweep",
            "schedule": float(settings.PORTAL_SWEEPER_SECONDS),
        }
    if settings.PORTAL_RECONCILE_SECONDS:
        schedule["provisioning-reconcile"] = {
            "task": "provisioning.tasks.environments_reconcile",
            "schedule": float(settings.PORTAL_RECONCILE_SECONDS),
        }
    if settings.PORTAL_LEASE_SWEEP_SECONDS:
        schedule["leases-sweep"] = {  # warnings, stop at the end, terminate after the grace
            "task": "leases.tasks.leases_sweep",
            "schedule": float(settings.PORTAL_LEASE_SWEEP_SECONDS),
        }
    if settings.PORTAL_AUTOSTOP_SWEEP_SECONDS:
        schedule["autostop-sweep"] = {  # schedules and idle stops of notebooks
            "task": "leases.tasks.schedules_sweep",
            "schedule": float(settings.PORTAL_AUTOSTOP_SWEEP_SECONDS),
        }
    if settings.PORTAL_LEAVER_SWEEP_SECONDS:
        schedule["leavers-sweep"] = {  # leavers' environments terminated after the grace days
            "task": "identity.tasks.handovers_sweep",
            "schedule": float(settings.PORTAL_LEAVER_SWEEP_SECONDS),
        }
    if settings.PORTAL_BUDGET_SWEEP_SECONDS:
        schedule["budget-notices-sweep"] = {  # 80 % / 100 % of budget, once per month each
            "task": "quotas.tasks.budget_notices_sweep",
            "schedule": float(settings.PORTAL_BUDGET_SWEEP_SECONDS),
        }
    if settings.PORTAL_COST_ACTUALS_SECONDS:
        schedule["cost-actuals"] = {  # Cost Explorer, once per account per UTC day
            "task": "provisioning.tasks.cost_actuals_fetch",
            "schedule": float(settings.PORTAL_COST_ACTUALS_SECONDS),
        }
    return schedule
