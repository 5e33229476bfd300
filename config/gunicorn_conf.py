"""gunicorn settings for the image and ``make demo`` (``--config python:config.gunicorn_conf``).

The access log leaves out query strings and referers: a launch link (the fake AWS's signed token,
or anything else a client puts in a query string) must never land in a log file.

Keep-alive is off. With the gthread worker (gunicorn 23), a kept-alive connection whose last
request carried a body the application did not read (more than gunicorn's 8 KiB read buffer)
comes back readable, a thread picks it up and blocks parsing the leftover body as the next
request until the client goes away (benoitc/gunicorn#3301, open). A handful of such idle
connections froze every thread and /healthz with them. Without keep-alive gunicorn closes the
connection after each response, so no thread ever waits on an idle client; the bank's proxy in
front keeps its own client connections alive, so the cost is one local TCP handshake per request.
"""

from __future__ import annotations

from typing import Any

access_log_format = '%(h)s - %(u)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(b)s %(L)ss "%(a)s"'
accesslog = "-"
forwarded_allow_ips = "*"  # TLS ends at the bank's proxy; Django decides what to trust.

worker_class = "gthread"
keepalive = 0
# A worker is replaced after this many requests (jittered so they do not all restart at once):
# whatever a large response grew the process by is given back to the system.
max_requests = 2000
max_requests_jitter = 200


def on_starting(server: Any) -> None:
    """Refuse to start when a command-line flag or GUNICORN_CMD_ARGS brought keep-alive back."""
    cfg = server.cfg
    # gunicorn runs the sync worker class as gthread as soon as it has more than one thread.
    threaded = cfg.worker_class_str == "gthread" or cfg.threads > 1
    if cfg.keepalive and threaded:
        raise RuntimeError(
            "keep-alive must stay 0 with the gthread worker (idle connections with an unread "
            "body freeze its threads: benoitc/gunicorn#3301); drop --keep-alive"
        )
