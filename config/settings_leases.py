"""Lease settings (the ``leases`` app), read from the environment like every other setting."""

from __future__ import annotations

from django.core.exceptions import ImproperlyConfigured

from portal.env import env_int, env_list, env_str
from portal.time_zones import time_zone_or_none

# Lease offered on the request form and the longest one a requester may pick, when neither the
# product nor the project sets one (days).
PORTAL_LEASE_DEFAULT_DAYS = env_int("PORTAL_LEASE_DEFAULT_DAYS", 30, minimum=1)
PORTAL_LEASE_MAX_DAYS = env_int("PORTAL_LEASE_MAX_DAYS", 90, minimum=1)
if PORTAL_LEASE_DEFAULT_DAYS > PORTAL_LEASE_MAX_DAYS:
    raise ImproperlyConfigured(
        f"PORTAL_LEASE_DEFAULT_DAYS ({PORTAL_LEASE_DEFAULT_DAYS}) must not be more than "
        f"PORTAL_LEASE_MAX_DAYS ({PORTAL_LEASE_MAX_DAYS})")
# Days between the lease end (notebooks stopped, the owner told) and termination, when the
# project sets none.
PORTAL_LEASE_GRACE_DAYS = env_int("PORTAL_LEASE_GRACE_DAYS", 7, minimum=0)


def _warn_days(values: list[str], *, name: str = "PORTAL_LEASE_WARN_DAYS") -> tuple[int, ...]:
    try:
        days = sorted({int(v) for v in values}, reverse=True)
    except ValueError:
        days = []
    if not days or days[-1] < 1:
        raise ImproperlyConfigured(
            f"{name} must be a comma-separated list of whole days of at least 1 (like 7,1), "
            f"got {','.join(values)!r}")
    return tuple(days)


# Warnings before the lease end, days before it (each sent once per lease end).
PORTAL_LEASE_WARN_DAYS = _warn_days(env_list("PORTAL_LEASE_WARN_DAYS", "7,1"))
# Seconds between lease sweeps (0: off), and the leases one sweep hands to the workers at most.
PORTAL_LEASE_SWEEP_SECONDS = env_int("PORTAL_LEASE_SWEEP_SECONDS", 300, minimum=0)
PORTAL_LEASE_SWEEP_BATCH = env_int("PORTAL_LEASE_SWEEP_BATCH", 500, minimum=1)

# Budgets (quotas.notices): how often the 80 % / 100 % threshold notices are checked; 0: never.
PORTAL_BUDGET_SWEEP_SECONDS = env_int("PORTAL_BUDGET_SWEEP_SECONDS", 900, minimum=0)

# Auto-stop (leases.autostop): the time zone of people who set none (an IANA name; the
# schedules run on the owner's clock), and the sweep: seconds between runs (0: off), and the
# environments one sweep looks at at most.
PORTAL_OWNER_TIME_ZONE = env_str("PORTAL_OWNER_TIME_ZONE", "Europe/London")
if time_zone_or_none(PORTAL_OWNER_TIME_ZONE) is None:
    raise ImproperlyConfigured(
        f"PORTAL_OWNER_TIME_ZONE must be an IANA time zone name (like Europe/London), got "
        f"{PORTAL_OWNER_TIME_ZONE!r}")
PORTAL_AUTOSTOP_SWEEP_SECONDS = env_int("PORTAL_AUTOSTOP_SWEEP_SECONDS", 300, minimum=0)
PORTAL_AUTOSTOP_SWEEP_BATCH = env_int("PORTAL_AUTOSTOP_SWEEP_BATCH", 500, minimum=1)
# Leavers (identity.tasks): seconds between sweeps terminating leavers' environments whose grace
# days are over (0: off), and the terminations one sweep hands to the workers at most.
PORTAL_LEAVER_SWEEP_SECONDS = env_int("PORTAL_LEAVER_SWEEP_SECONDS", 900, minimum=0)
PORTAL_LEAVER_SWEEP_BATCH = env_int("PORTAL_LEAVER_SWEEP_BATCH", 500, minimum=1)
# Cost Explorer actuals (provisioning.actuals): seconds between checks; each account is read at
# most once per UTC day whatever this is (0: never read).
PORTAL_COST_ACTUALS_SECONDS = env_int("PORTAL_COST_ACTUALS_SECONDS", 3600, minimum=0)


def _idle_minutes(values: list[str]) -> tuple[int, int, int] | None:
    """``timeout,min,max`` in minutes, each 60-525600 (SageMaker's IdleSettings bounds) and
    min <= timeout <= max; empty: the portal sets no idle shutdown."""
    if not values:
        return None
    try:
        timeout, lowest, highest = (int(v) for v in values)
    except ValueError:
        timeout = lowest = highest = -1
    if not (60 <= lowest <= timeout <= highest <= 525600):
        raise ImproperlyConfigured(
            "PORTAL_STUDIO_IDLE_MINUTES must be 'timeout,min,max' in minutes, each 60 to "
            f"525600 with min <= timeout <= max (like 120,60,480), got {','.join(values)!r}")
    return timeout, lowest, highest


# Studio idle shutdown (catalog.idle): what the curated idle parameters of a Studio product get.
PORTAL_STUDIO_IDLE_MINUTES = _idle_minutes(env_list("PORTAL_STUDIO_IDLE_MINUTES", "120,60,480"))
