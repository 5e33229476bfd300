"""portal.logs: the request id on every record, JSON lines, and what the formatters scrub."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.test import Client

from portal.logs import (
    REDACTED,
    JsonFormatter,
    RequestIdFilter,
    TextFormatter,
    logging_config,
    redact,
    request_context_start,
    secret_register,
)
from portal.models import User
from tests.portal.test_settings import run
from tests.settings_env import SettingsFor, refusal

PRESIGNED = ("https://dana-nb.notebook.eu-west-1.sagemaker.aws/auth?authToken="
             "eyJhbGciOiJIUzI1NiJ9.c2VjcmV0LXNlc3Npb24.abcdef0123456789")
S3_PRESIGNED = ("https://bucket.s3.amazonaws.com/key.csv?X-Amz-Algorithm=AWS4-HMAC-SHA256"
                "&X-Amz-Credential=AKIAEXAMPLE%2F20261201&X-Amz-Signature=f00dfeedbeef1234")


@pytest.fixture
def lines() -> Iterator[tuple[logging.Logger, io.StringIO]]:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(RequestIdFilter())
    logger = logging.getLogger("tests.portal.logs")
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    logger.propagate = False
    request_context_start(None)
    yield logger, stream
    logger.removeHandler(handler)
    logger.propagate = True
    request_context_start(None)


def records(stream: io.StringIO) -> list[dict[str, object]]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


@pytest.mark.parametrize(("text", "secret"), [
    (f"redirecting to {PRESIGNED}", "eyJhbGciOiJIUzI1NiJ9"),
    (f"url={S3_PRESIGNED} done", "f00dfeedbeef1234"),
    ("GET /fakeaws/notebook?token=Zm9vYmFyYmF6cXV4 200", "Zm9vYmFyYmF6cXV4"),
    ("Authorization: Bearer eyJ0eXAiOiJKV1QiLCJhbGciOi.x.y", "eyJ0eXAiOiJKV1QiLCJhbGciOi"),
    ("header Authorization=Token 9f86d081884c7d659a2feaa0c55ad015", "9f86d081884c7d659a2feaa0"),
    ("posted SAMLResponse=PHNhbWxwOlJlc3BvbnNlIHhtbG5z&RelayState=x", "PHNhbWxwOlJlc3BvbnNl"),
    ('{"password": "hunter2-correct-horse", "user": "dana"}', "hunter2-correct-horse"),
    ("<samlp:Response ID='_1'><saml:Assertion>dana</saml:Assertion></samlp:Response>",
     "<saml:Assertion>"),
    ("blob " + "QUJD" * 40, "QUJD" * 40),
    ('{"GitToken": "sealed:v1:gAAAAABrDyVNL9iSu5a-NwOgS7y_hR=="}', "sealed:v1:"),
])
def test_it_scrubs_credentials_from_the_text(text: str, secret: str) -> None:
    scrubbed = redact(text)
    assert secret not in scrubbed and REDACTED in scrubbed


def test_it_keeps_ordinary_text_and_the_address_of_a_url() -> None:
    text = "Environment dana-nb is available; token expired for 2 users; see https://p/e/1"
    assert redact(text) == text
    assert redact(f"open {PRESIGNED}").startswith(
        "open https://dana-nb.notebook.eu-west-1.sagemaker.aws/auth?[redacted]")


def test_a_registered_noecho_value_is_scrubbed_until_the_next_request(
        lines: tuple[logging.Logger, io.StringIO]) -> None:
    logger, stream = lines
    secret_register("ghp-Zq7xK2-private")
    logger.info("calling AWS with GitToken=%s and %s", "ghp-Zq7xK2-private", "ghp-Zq7xK2-private")
    request_context_start("next-request")
    logger.info("the value ghp-Zq7xK2-private is no longer known here")
    first, second = records(stream)
    assert "ghp-Zq7xK2-private" not in str(first["message"])
    assert "ghp-Zq7xK2-private" in str(second["message"])  # registrations end with the request


def test_a_json_line_has_time_level_logger_message_request_id_and_a_scrubbed_traceback(
        lines: tuple[logging.Logger, io.StringIO]) -> None:
    logger, stream = lines
    request_context_start("req-42")
    try:
        raise RuntimeError(f"could not open {PRESIGNED}")
    except RuntimeError:
        logger.exception("launch failed for %s", "dana")
    [line] = records(stream)
    assert set(line) == {"time", "level", "logger", "message", "request_id", "exception"}
    assert (line["level"], line["logger"], line["message"], line["request_id"]) == (
        "ERROR", "tests.portal.logs", "launch failed for dana", "req-42")
    assert "RuntimeError" in str(line["exception"])
    assert "sagemaker.aws/auth?[redacted]" in str(line["exception"])
    assert "eyJhbGci" not in str(line["exception"])


def test_the_text_format_carries_the_request_id_and_scrubs_too() -> None:
    request_context_start("req-7")
    try:
        record = logging.LogRecord("x", logging.INFO, __file__, 1, "open %s", (PRESIGNED,), None)
        RequestIdFilter().filter(record)
        line = TextFormatter().format(record)
    finally:
        request_context_start(None)
    assert "INFO x [req-7] open https://" in line and "eyJhbGci" not in line


@pytest.mark.django_db
def test_a_request_s_lines_carry_its_id_a_proxy_s_id_when_sane(client: Client) -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(RequestIdFilter())
    django_request = logging.getLogger("django.request")  # "Not Found: …", from Django itself
    django_request.addHandler(handler)
    try:
        kept = client.get("/no-such-page/", HTTP_X_REQUEST_ID="proxy-id.1_2")
        replaced = client.get("/no-such-page/", HTTP_X_REQUEST_ID="bad id; drop table")
        logging.getLogger("django.request").warning("after the requests")
    finally:
        django_request.removeHandler(handler)
    assert kept.status_code == replaced.status_code == 404
    assert kept["X-Request-ID"] == "proxy-id.1_2"
    assert replaced["X-Request-ID"] != "bad id; drop table"
    assert len(replaced["X-Request-ID"]) == 32
    assert [(r["message"], r["request_id"]) for r in records(stream)] == [
        ("Not Found: /no-such-page/", "proxy-id.1_2"),
        ("Not Found: /no-such-page/", replaced["X-Request-ID"]),
        ("after the requests", None)]  # request_finished forgot it


def test_the_logging_setting_names_the_formatter_and_the_filter() -> None:
    config = logging_config(log_format="json", level="DEBUG")
    assert config["formatters"]["portal"]["()"] == "portal.logs.JsonFormatter"
    assert config["handlers"]["console"]["filters"] == ["request_id", "expected_refusal"]
    assert config["root"] == {"handlers": ["console"], "level": "DEBUG"}
    assert config["loggers"]["botocore"] == {"level": "INFO"}
    assert logging_config(log_format="text", level="INFO")["formatters"]["portal"]["()"] == (
        "portal.logs.TextFormatter")


def test_json_logs_from_the_setting_and_a_bad_format_is_refused(
        tmp_path: Path, settings_for: SettingsFor) -> None:
    shown = run("import django, logging; django.setup(); "
                "logging.getLogger('portal.x').warning('hello %s', 'there')", tmp_path,
                DEBUG="true", PORTAL_LOG_FORMAT="json")
    assert shown.returncode == 0, shown.stderr
    line = json.loads(shown.stderr.strip().splitlines()[-1])
    assert line["message"] == "hello there" and line["request_id"] is None
    assert "PORTAL_LOG_FORMAT must be text or json, got 'yaml'" in refusal(
        settings_for, DEBUG="true", PORTAL_LOG_FORMAT="yaml")


def test_an_expected_403_is_one_line_and_a_500_keeps_its_traceback(
        client: Client, scientist: User, capsys: pytest.CaptureFixture[str]) -> None:
    import logging.config

    from django.conf import settings as django_settings

    logging.config.dictConfig(logging_config(log_format="text", level="INFO"))
    try:
        client.force_login(scientist)
        assert client.get("/catalog/manage/").status_code == 403  # raises PermissionDenied
        try:
            raise RuntimeError("boom")
        except RuntimeError:
            logging.getLogger("django.request").error(
                "Internal Server Error: /x", exc_info=True, extra={"status_code": 500})
    finally:
        logging.config.dictConfig(django_settings.LOGGING)
    err = capsys.readouterr().err

    forbidden = [line for line in err.splitlines() if "Forbidden (Permission denied)" in line]
    assert len(forbidden) == 1 and "/catalog/manage/" in forbidden[0]
    assert "PermissionDenied: Only platform admins" not in err
    assert "RuntimeError: boom" in err and err.count("Traceback") == 1
