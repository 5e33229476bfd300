"""Settings of the portal's work: e-mail and logs, the approval workflow, provisioning (follow-
ups, launch, tags, worker liveness, metrics) and the sweeps, read from the environment;
``config.settings`` takes them all.

Kept apart from ``config.settings`` so each stays readable; only the environment helpers are
needed here, so nothing depends on the order of the two files.
"""

from __future__ import annotations

import ipaddress as _ipaddress

from django.core.exceptions import ImproperlyConfigured

from portal.env import env_bool, env_int, env_list, env_str
from portal.logs import logging_config

# --- Email -----------------------------------------------------------------------------------
EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)  # STARTTLS on the relay connection
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")  # with the password: SMTP AUTH when set
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
# Seconds Django's SMTP backend waits on the relay's socket (connect and each reply) before the
# send fails and the task retries; without it a hung relay holds a worker for ever.
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 10, minimum=1)
# A notification the relay does not take is retried this many times (first after
# PORTAL_EMAIL_RETRY_SECONDS, doubling, capped at 10 minutes), then listed as a failed send.
PORTAL_EMAIL_MAX_RETRIES = env_int("PORTAL_EMAIL_MAX_RETRIES", 6, minimum=0)
PORTAL_EMAIL_RETRY_SECONDS = env_int("PORTAL_EMAIL_RETRY_SECONDS", 10, minimum=0)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "ml-portal@localhost")
PORTAL_BASE_URL = env_str("PORTAL_BASE_URL", "http://localhost:8000")

# Live pages (htmx, portal/live.py): seconds between polls of a page waiting for something (a
# decision, provisioning, a sync), and of what never settles (the inbox, the menu count).
PORTAL_LIVE_POLL_SECONDS = env_int("PORTAL_LIVE_POLL_SECONDS", 3, minimum=1)
PORTAL_LIVE_IDLE_POLL_SECONDS = env_int("PORTAL_LIVE_IDLE_POLL_SECONDS", 20, minimum=1)

CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# text: one classic line a record; json: one JSON object a line (for a log shipper). Either way
# every line carries the request id and is scrubbed of presigned URLs, tokens and NoEcho values.
PORTAL_LOG_FORMAT = env_str("PORTAL_LOG_FORMAT", "text").strip().lower()
if PORTAL_LOG_FORMAT not in {"text", "json"}:
    raise ImproperlyConfigured(f"PORTAL_LOG_FORMAT must be text or json, got {PORTAL_LOG_FORMAT!r}")
LOGGING = logging_config(log_format=PORTAL_LOG_FORMAT, level=env_str("LOG_LEVEL", "INFO"))
# The worker keeps Django's logging (its lines formatted and scrubbed like the web's) instead of
# replacing the root logger's handlers with Celery's own format.
CELERY_WORKER_HIJACK_ROOT_LOGGER = False

# --- Approvals --------------------------------------------------------------------------------
# When no approval rule matches a request: "auto" approves it, "group:<name>" asks that group.
PORTAL_APPROVAL_DEFAULT = env_str("PORTAL_APPROVAL_DEFAULT", "group:ml-platform-admins")
if PORTAL_APPROVAL_DEFAULT != "auto" and not (
    PORTAL_APPROVAL_DEFAULT.startswith("group:") and PORTAL_APPROVAL_DEFAULT[6:].strip()
):
    raise ImproperlyConfigured(
        f"PORTAL_APPROVAL_DEFAULT must be auto or group:<name>, got {PORTAL_APPROVAL_DEFAULT!r}"
    )
# Who decides a step nobody else can (no manager, no project lead, only the requester).
PORTAL_APPROVAL_FALLBACK_GROUP = env_str("PORTAL_APPROVAL_FALLBACK_GROUP", "ml-platform-admins")
# Days after which a request still pending expires.
PORTAL_APPROVAL_EXPIRY_DAYS = env_int("PORTAL_APPROVAL_EXPIRY_DAYS", 14, minimum=1)
# Seconds between runs of the reminder/escalation/expiry sweep.
PORTAL_APPROVAL_SWEEP_SECONDS = env_int("PORTAL_APPROVAL_SWEEP_SECONDS", 300, minimum=10)

# --- Provisioning ----------------------------------------------------------------------------
# Give up following a provisioning (DescribeRecord/DescribeProject) after this many seconds.
PORTAL_PROVISION_TIMEOUT_SECONDS = env_int("PORTAL_PROVISION_TIMEOUT_SECONDS", 3600, minimum=1)
# AWS is eventually consistent: a record or project it has just returned may answer
# ResourceNotFound for a while; the follow-up keeps asking for this long before failing.
PORTAL_AWS_CONSISTENCY_SECONDS = env_int("PORTAL_AWS_CONSISTENCY_SECONDS", 60, minimum=0)
# Follow-up backoff: first delay, doubling up to the cap, with jitter.
PORTAL_FOLLOW_FIRST_SECONDS = env_int("PORTAL_FOLLOW_FIRST_SECONDS", 5, minimum=0)
PORTAL_FOLLOW_MAX_SECONDS = env_int("PORTAL_FOLLOW_MAX_SECONDS", 60, minimum=1)
# Event-driven status (README, "Event-driven status"): EventBridge → SQS state changes read by
# ``manage.py consume_events``. While a consumer is healthy (it finished a receive within
# PORTAL_EVENTS_HEALTHY_SECONDS), a follow-up that events cover waits
# PORTAL_EVENTS_FALLBACK_SECONDS between DescribeRecord checks instead of the backoff above.
PORTAL_EVENTS_ENABLED = env_bool("PORTAL_EVENTS_ENABLED", False)
PORTAL_EVENTS_QUEUE_URL = env_str("PORTAL_EVENTS_QUEUE_URL", "")
if PORTAL_EVENTS_ENABLED and not PORTAL_EVENTS_QUEUE_URL.startswith("https://sqs."):
    raise ImproperlyConfigured(
        "PORTAL_EVENTS_QUEUE_URL must be an SQS queue URL "
        "(https://sqs.<region>.amazonaws.com/<account>/<name>) when PORTAL_EVENTS_ENABLED is on, "
        f"got {PORTAL_EVENTS_QUEUE_URL!r}")
PORTAL_EVENTS_FALLBACK_SECONDS = env_int("PORTAL_EVENTS_FALLBACK_SECONDS", 300, minimum=30)
PORTAL_EVENTS_HEALTHY_SECONDS = env_int("PORTAL_EVENTS_HEALTHY_SECONDS", 90, minimum=30)
PORTAL_EVENTS_KEEP_HOURS = env_int("PORTAL_EVENTS_KEEP_HOURS", 48, minimum=1)
# The fake AWS's events rule targets this queue (fake mode; empty: the fake sends no events).
FAKEAWS_EVENTS_QUEUE_URL = env_str(
    "FAKEAWS_EVENTS_QUEUE_URL", PORTAL_EVENTS_QUEUE_URL if PORTAL_EVENTS_ENABLED else "")
FAKEAWS_EVENTS_MAX_RECEIVE = env_int("FAKEAWS_EVENTS_MAX_RECEIVE", 5, minimum=1)
# Worker liveness: beat sends a heartbeat task this often; /healthz/workers and the admin index
# report a problem when no worker has run one for PORTAL_WORKER_SILENT_SECONDS.
PORTAL_WORKER_HEARTBEAT_SECONDS = env_int("PORTAL_WORKER_HEARTBEAT_SECONDS", 60, minimum=5)
PORTAL_WORKER_SILENT_SECONDS = env_int(
    "PORTAL_WORKER_SILENT_SECONDS", 3 * PORTAL_WORKER_HEARTBEAT_SECONDS, minimum=10)
# /metrics (Prometheus) answers only requests bearing this token; empty: /metrics is a 404.
PORTAL_METRICS_TOKEN = env_str("PORTAL_METRICS_TOKEN", "")
# Scrape-time collectors of the apps (portal/metrics.py adds its own first).
PORTAL_METRICS_COLLECTORS = [
    "approvals.metrics.request_families",
    "provisioning.metrics.environment_families",
]
# Reconcile environments with Service Catalog (0 turns the periodic reconcile off).
PORTAL_RECONCILE_SECONDS = env_int("PORTAL_RECONCILE_SECONDS", 900, minimum=0)
# Presigned launch: notebook session length (1800-43200), Studio URL lifetime (5-300) and session.
PORTAL_NOTEBOOK_SESSION_SECONDS = env_int("PORTAL_NOTEBOOK_SESSION_SECONDS", 3600, minimum=1800)
PORTAL_STUDIO_URL_EXPIRES_SECONDS = env_int("PORTAL_STUDIO_URL_EXPIRES_SECONDS", 60, minimum=5)
PORTAL_STUDIO_SESSION_SECONDS = env_int("PORTAL_STUDIO_SESSION_SECONDS", 3600, minimum=1800)
for _name in ("PORTAL_NOTEBOOK_SESSION_SECONDS", "PORTAL_STUDIO_SESSION_SECONDS"):
    if globals()[_name] > 43200:
        raise ImproperlyConfigured(f"{_name} must be at most 43200 (12 hours)")
if PORTAL_STUDIO_URL_EXPIRES_SECONDS > 300:
    raise ImproperlyConfigured("PORTAL_STUDIO_URL_EXPIRES_SECONDS must be at most 300")
# Presign with a role session tagged owner=<owner id> so IAM can match aws:PrincipalTag/owner.
PORTAL_LAUNCH_SESSION_TAGS = env_bool("PORTAL_LAUNCH_SESSION_TAGS", False)
# Addresses allowed to open environments (comma-separated CIDRs; empty allows any address).
PORTAL_LAUNCH_ALLOWED_CIDRS = env_list("PORTAL_LAUNCH_ALLOWED_CIDRS")
try:
    for _cidr in PORTAL_LAUNCH_ALLOWED_CIDRS:
        _ipaddress.ip_network(_cidr, strict=False)
except ValueError as _exc:
    raise ImproperlyConfigured(
        f"PORTAL_LAUNCH_ALLOWED_CIDRS must be comma-separated CIDRs such as 10.0.0.0/8: {_exc}"
    ) from None
PORTAL_ADMIN_CAN_LAUNCH_ANY = env_bool("PORTAL_ADMIN_CAN_LAUNCH_ANY", False)
# Tag keys on provisioned products: "owner=OwnerId,cost-center=CostCenter" renames keys.
PORTAL_TAG_KEYS: dict[str, str] = {
    name: name
    for name in ("owner", "owner-name", "owner-email", "department", "cost-center", "project",
                 "environment", "portal-request", "portal-environment")
}
for _pair in env_list("PORTAL_TAG_KEYS"):
    _key, _sep, _renamed = _pair.partition("=")
    if not _sep or _key.strip() not in PORTAL_TAG_KEYS or not _renamed.strip():
        raise ImproperlyConfigured(
            f"PORTAL_TAG_KEYS must look like 'owner=OwnerId,cost-center=CostCenter' with keys "
            f"from {sorted(PORTAL_TAG_KEYS)}, got {_pair!r}"
        )
    PORTAL_TAG_KEYS[_key.strip()] = _renamed.strip()

# --- AWS-side policy pack (portal/policy_pack.py) --------------------------------------------
# What a resource's owner tag is compared with in the generated IAM policies: the owner session
# tag the portal sets (principal-tag), or aws:userid (userid: only when PORTAL_OWNER_ID_TEMPLATE
# yields <RoleId>:<RoleSessionName> of the role the portal assumes).
PORTAL_POLICY_OWNER_MATCH = env_str("PORTAL_POLICY_OWNER_MATCH", "principal-tag")
if PORTAL_POLICY_OWNER_MATCH not in {"principal-tag", "userid"}:
    raise ImproperlyConfigured("PORTAL_POLICY_OWNER_MATCH must be principal-tag or userid, got "
                               f"{PORTAL_POLICY_OWNER_MATCH!r}")
# The portal's own AWS identity, named in the project roles' trust policies (empty in fake mode:
# the fake's portal user).
PORTAL_AWS_PORTAL_PRINCIPAL_ARN = env_str("PORTAL_AWS_PORTAL_PRINCIPAL_ARN", "")
# The Service Catalog launch-constraint role (same name in every project account).
PORTAL_AWS_LAUNCH_ROLE_NAME = env_str("PORTAL_AWS_LAUNCH_ROLE_NAME", "ServiceCatalogLaunchRole")

# --- Sweeps, retries and redelivery ---------------------------------------------------------
# The sweeper re-sends work whose next step is overdue by PORTAL_STALLED_AFTER_SECONDS (lost to a
# broker outage or a killed worker): queued environments, follow-ups, "Sync now" runs, approved
# requests never handed off. It runs every PORTAL_SWEEPER_SECONDS (0: off). Work is recorded
# with when its next step is due, so a scheduled retry or follow-up is never taken for lost,
# and a re-sent step carries a new attempt number that makes the old chain stale.
PORTAL_SWEEPER_SECONDS = env_int("PORTAL_SWEEPER_SECONDS", 30, minimum=0)
PORTAL_STALLED_AFTER_SECONDS = env_int("PORTAL_STALLED_AFTER_SECONDS", 60, minimum=1)
# Throttled ProvisionProduct/CreateProject: retried after 5 s doubling up to this cap (+0-30 %).
PORTAL_PROVISION_RETRY_MAX_SECONDS = env_int("PORTAL_PROVISION_RETRY_MAX_SECONDS", 300,
                                             minimum=5)
# Celery docs, "Using Redis" (Visibility timeout, Caveats): a message not acknowledged within the
# visibility timeout is delivered again, and a countdown/ETA message is held unacknowledged by
# the worker until it is due, so a countdown longer than the timeout runs twice (then again,
# in a loop). The longest countdown the portal uses is the capped retry or follow-up delay plus
# its jitter (x1.3); a shorter timeout is refused. The timeout is also how long the messages a
# killed worker had taken stay invisible in Redis (`unacked`), hence short, not Celery's 1 h.
PORTAL_BROKER_VISIBILITY_SECONDS = env_int("PORTAL_BROKER_VISIBILITY_SECONDS", 600, minimum=1)
PORTAL_LONGEST_COUNTDOWN_SECONDS = 1.3 * max(
    PORTAL_PROVISION_RETRY_MAX_SECONDS, PORTAL_FOLLOW_MAX_SECONDS,
    PORTAL_EVENTS_FALLBACK_SECONDS if PORTAL_EVENTS_ENABLED else 0)
if PORTAL_BROKER_VISIBILITY_SECONDS <= PORTAL_LONGEST_COUNTDOWN_SECONDS:
    raise ImproperlyConfigured(
        f"PORTAL_BROKER_VISIBILITY_SECONDS must be more than the longest countdown "
        f"({PORTAL_LONGEST_COUNTDOWN_SECONDS:.0f} s: 1.3 x the largest of "
        f"PORTAL_PROVISION_RETRY_MAX_SECONDS, PORTAL_FOLLOW_MAX_SECONDS and, with events on, "
        f"PORTAL_EVENTS_FALLBACK_SECONDS), got "
        f"{PORTAL_BROKER_VISIBILITY_SECONDS}: Redis would deliver waiting retries twice")
