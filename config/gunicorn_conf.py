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

The application is loaded once, in the master, and the workers are forked from it (preload_app;
gunicorn's settings: "By preloading an application you can save some RAM resources as well as
speed up server boot times"). A worker replaced after max_requests is then a fork of a loaded
master instead of a fresh import of Django and every app (one to three seconds of CPU on the
2-core host, taken from the workers still serving). Before the first fork the master closes any
database connection (none may be shared by two processes) and freezes what it loaded (gc.freeze:
"move them to a permanent generation and ignore them in all the future collections"), so a
worker's full collections skip the ~180,000 objects of the imported code: at the bank's volume a
full collection of a worker cost about 0.2 s of CPU with every thread of the worker waiting, and
the collector's share of a page's CPU fell from about 5 % to 3 % (issue 16). Deploys replace the
container, so what preloading gives up (new code on SIGHUP) is not used.
"""

from __future__ import annotations

import gc
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
preload_app = True


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


def when_ready(server: Any) -> None:
    """In the master, once the application is loaded and before the first worker is forked."""
    from django.db import connections

    connections.close_all()  # a connection opened while loading must not be inherited
    gc.collect()  # what is garbage now would otherwise stay frozen for the process's lifetime
    gc.freeze()
