"""Log lines: the request id on every record, secrets scrubbed, text or one JSON object a line.

The request id lives in a context variable: the web middleware sets it for the request, the
Celery publisher copies it into a task header (``portal_request_id``) and the worker sets it again
around the task, so a worker's lines carry the id of the request that caused them.

Scrubbing is done by the formatters on the finished text (message and traceback alike), so no
handler can print a secret a record happened to carry: presigned URLs (any query string of an
http(s) URL), credentials in query parameters, ``Bearer``/``Token`` authorisation values, SAML
messages, sealed NoEcho values and long base64 runs, and the values registered with
`secret_register` (NoEcho parameter values, passed in as they are sealed or opened).
"""

from __future__ import annotations

import contextvars
import json
import logging
import re
from datetime import UTC, datetime
from typing import Any

REQUEST_ID_HEADER = "portal_request_id"
REDACTED = "[redacted]"

request_id_var: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "portal_request_id", default=None)
_secrets_var: contextvars.ContextVar[frozenset[str]] = contextvars.ContextVar(
    "portal_log_secrets", default=frozenset())

# A URL's query string is where presigned URLs keep their signature or auth token.
_URL_QUERY = re.compile(r"(?i)\b(https?://[^\s?#\"'<>]+)\?[^\s\"'<>]*")
_SECRET_PARAMS = re.compile(
    r"(?i)\b(authtoken|token|access_token|id_token|refresh_token|password|secret|signature|"
    r"x-amz-[a-z-]+|samlresponse|samlrequest|relaystate|sessiontoken|session_token)"
    r"(=|\"?\s*:\s*\"?)[^\s&\"',}]+")
_AUTHORIZATION = re.compile(r"(?i)\b(bearer|token|basic)\s+[A-Za-z0-9._~+/=-]{16,}")
_SAML_XML = re.compile(r"(?is)<(?:\w+:)?(?:Response|Assertion|EncryptedAssertion)\b.*")
# portal.sealing's sealed NoEcho values (prefix + Fernet token): ciphertext stays off the logs too.
_SEALED_VALUE = re.compile(r"sealed:v\d+:[A-Za-z0-9_=-]+")
_BASE64_RUN = re.compile(r"[A-Za-z0-9+/]{120,}={0,2}")


def secret_register(value: str) -> None:
    """Never print ``value`` in a log line of the current request or task (values shorter than
    6 characters are left alone: scrubbing them would mangle ordinary words)."""
    if isinstance(value, str) and len(value) >= 6:
        _secrets_var.set(_secrets_var.get() | {value})


def request_context_start(request_id: str | None) -> None:
    """A new request or task: its id, and no secrets carried over from the last one."""
    request_id_var.set(request_id)
    _secrets_var.set(frozenset())


def redact(text: str) -> str:
    for value in sorted(_secrets_var.get(), key=len, reverse=True):
        text = text.replace(value, REDACTED)
    text = _SEALED_VALUE.sub(REDACTED, text)
    text = _SAML_XML.sub(REDACTED, text)
    text = _URL_QUERY.sub(lambda m: f"{m.group(1)}?{REDACTED}", text)
    text = _SECRET_PARAMS.sub(lambda m: f"{m.group(1)}{m.group(2)}{REDACTED}", text)
    text = _AUTHORIZATION.sub(lambda m: f"{m.group(1)} {REDACTED}", text)
    return _BASE64_RUN.sub(REDACTED, text)


class RequestIdFilter(logging.Filter):
    """Puts ``request_id`` (the current request's or task's, else ``None``) on every record."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = request_id_var.get()
        return True


class TextFormatter(logging.Formatter):
    """The classic one-line format, with the request id, scrubbed."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        if not hasattr(record, "request_id"):
            record.request_id = request_id_var.get()
        return redact(super().format(record))


class JsonFormatter(logging.Formatter):
    """One JSON object a line: time, level, logger, message, request_id (and the traceback)."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": redact(record.getMessage()),
            "request_id": getattr(record, "request_id", request_id_var.get()),
        }
        if record.exc_info:
            line["exception"] = redact(self.formatException(record.exc_info))
        elif record.exc_text:
            line["exception"] = redact(record.exc_text)
        return json.dumps(line, ensure_ascii=False, default=str)


class ExpectedRefusalFilter(logging.Filter):
    """A refusal the portal answers on purpose (a 403 from ``PermissionDenied``: a role that may
    not) is one line: Django's ``log_response`` passes the exception, whose traceback would make
    an expected answer look like a crash. Server errors (5xx) keep their traceback."""

    def filter(self, record: logging.LogRecord) -> bool:
        status = getattr(record, "status_code", None)
        if isinstance(status, int) and status < 500 and record.name.startswith("django."):
            record.exc_info = None
            record.exc_text = None
        return True


def logging_config(*, log_format: str, level: str) -> dict[str, Any]:
    """The ``LOGGING`` setting: one console handler, text or JSON, on the root logger."""
    formatter = {"json": "portal.logs.JsonFormatter", "text": "portal.logs.TextFormatter"}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"request_id": {"()": "portal.logs.RequestIdFilter"},
                    "expected_refusal": {"()": "portal.logs.ExpectedRefusalFilter"}},
        "formatters": {"portal": {"()": formatter[log_format]}},
        "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "portal",
                                 "filters": ["request_id", "expected_refusal"]}},
        "root": {"handlers": ["console"], "level": level},
        "loggers": {
            # The SAML library logs raw assertions at DEBUG; never let them reach the logs.
            "onelogin": {"level": "WARNING"},
            "saml2": {"level": "WARNING"},
            # botocore logs whole request and response bodies at DEBUG: AssumeRole's credentials
            # and presigned URLs would reach the logs. Its INFO and above carry no bodies.
            "botocore": {"level": "INFO"},
        },
    }


# --- Celery: carry the id from the publisher to the worker -----------------------------------

def task_headers_add(headers: dict[str, Any] | None = None, **kwargs: Any) -> None:
    """``before_task_publish``: the publishing request's id goes along in a message header."""
    current = request_id_var.get()
    if headers is not None and current and REQUEST_ID_HEADER not in headers:
        headers[REQUEST_ID_HEADER] = current


def task_context_start(task: Any = None, **kwargs: Any) -> None:
    """``task_prerun``: the worker's lines for this task carry the publisher's id (or none)."""
    carried = task.request.get(REQUEST_ID_HEADER) if task is not None else None
    request_context_start(carried if isinstance(carried, str) else None)


def task_context_end(**kwargs: Any) -> None:
    """``task_postrun``: nothing leaks into the next task the worker runs."""
    request_context_start(None)
