"""Container health checks: ``python scripts/healthcheck.py web|worker|beat|events``; 0: healthy.

web     GET /healthz on this container (PORTAL_HEALTHCHECK_URL), sent with a Host header the
        portal accepts (the first ALLOWED_HOSTS entry), so host validation stays on.
worker  this worker answers a Celery ping through the broker.
beat    the broker accepts a connection (beat can enqueue its periodic tasks).
events  an events consumer finished a receive within PORTAL_EVENTS_HEALTHY_SECONDS.
"""

from __future__ import annotations

import os
import socket
import sys
import urllib.request

DEFAULT_URL = "http://127.0.0.1:8000/healthz"


def host_header(allowed_hosts: str) -> str:
    """A host name matching the first ALLOWED_HOSTS entry ('.bank.example' -> 'bank.example')."""
    first = next((h.strip() for h in allowed_hosts.split(",") if h.strip()), "localhost")
    return "localhost" if first == "*" else first.lstrip(".")


def web() -> bool:
    request = urllib.request.Request(
        os.environ.get("PORTAL_HEALTHCHECK_URL", DEFAULT_URL),
        headers={"Host": host_header(os.environ.get("ALLOWED_HOSTS", ""))},
    )
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return bool(response.status == 200 and response.read().strip() == b"ok")
    except OSError as exc:
        print(f"healthz: {exc}", file=sys.stderr)
        return False


def worker() -> bool:
    from config.celery import app

    node = f"celery@{socket.gethostname()}"
    if app.control.ping(destination=[node], timeout=5):
        return True
    print(f"worker: no ping reply from {node}", file=sys.stderr)
    return False


def beat() -> bool:
    from config.celery import app

    with app.connection_for_write() as connection:
        connection.ensure_connection(max_retries=1, timeout=5)
    return True


def events() -> bool:
    import django

    django.setup()
    from provisioning.events_health import events_consumer_healthy

    if events_consumer_healthy():
        return True
    print("events: no consumer finished a receive recently", file=sys.stderr)
    return False


CHECKS = {"web": web, "worker": worker, "beat": beat, "events": events}

if __name__ == "__main__":
    if len(sys.argv) != 2 or sys.argv[1] not in CHECKS:
        sys.exit(f"usage: {sys.argv[0]} {'|'.join(CHECKS)}")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    try:
        healthy = CHECKS[sys.argv[1]]()
    except Exception as exc:  # any failure to check is "unhealthy", with the reason in the log
        print(f"{sys.argv[1]}: {exc!r}", file=sys.stderr)
        healthy = False
    sys.exit(0 if healthy else 1)
