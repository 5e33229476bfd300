"""Access logs never carry query strings or referers (launch tokens travel in query strings)."""

from __future__ import annotations

from pathlib import Path

from config import gunicorn_conf

ROOT = Path(__file__).resolve().parents[2]


def test_the_access_log_format_leaves_out_query_strings_and_referers() -> None:
    fmt = gunicorn_conf.access_log_format
    assert "%(U)s" in fmt
    for leaky in ("%(r)s", "%(q)s", "%(f)s", "%({"):
        assert leaky not in fmt


def test_the_image_and_the_demo_both_use_that_configuration() -> None:
    for path in ("docker/Dockerfile", "scripts/demo.py"):
        assert "python:config.gunicorn_conf" in (ROOT / path).read_text(), path
