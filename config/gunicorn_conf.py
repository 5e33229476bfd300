"""gunicorn settings for the image and ``make demo`` (``--config python:config.gunicorn_conf``).

The access log leaves out query strings and referers: a launch link (the fake AWS's signed token,
or anything else a client puts in a query string) must never land in a log file.
"""

access_log_format = '%(h)s - %(u)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(b)s %(L)ss "%(a)s"'
accesslog = "-"
forwarded_allow_ips = "*"  # TLS ends at the bank's proxy; Django decides what to trust.
