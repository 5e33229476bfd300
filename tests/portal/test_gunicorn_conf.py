"""gunicorn's configuration: access logs never carry query strings or referers (launch
tokens travel in query strings); workers are recycled; the application is preloaded."""

from __future__ import annotations

import gc
import weakref
from pathlib import Path
from typing import Any

import pytest

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


def _config_as_gunicorn_reads_it() -> Any:
    """The settings of config/gunicorn_conf.py read through gunicorn's own loader, as
    ``--config`` does (an Application that loads no app)."""
    from gunicorn.app.base import Application

    class _Loaded(Application):  # type: ignore[misc]
        def init(self, parser: object, opts: object, args: object) -> None:
            return None

        def load(self) -> None:
            return None

    app = _Loaded.__new__(_Loaded)
    app.usage, app.prog = None, None
    app.load_default_config()
    app.load_config_from_module_name_or_filename("python:config.gunicorn_conf")
    return app


def test_workers_are_recycled_with_jitter_as_gunicorn_reads_the_file() -> None:
    """Issue 16: a worker is replaced after max_requests (+ up to the jitter, so the workers do
    not all restart at once); read through gunicorn's own loader, as ``--config`` does."""
    app = _config_as_gunicorn_reads_it()
    assert app.cfg.max_requests == 2000
    assert 0 < app.cfg.max_requests_jitter < app.cfg.max_requests


def test_the_application_is_loaded_once_before_the_workers_fork() -> None:
    """Issue 16: a worker replaced after max_requests is a fork of the loaded master, not a new
    import of Django and every app."""
    app = _config_as_gunicorn_reads_it()
    assert app.cfg.preload_app is True
    assert app.cfg.when_ready.__module__ == "config.gunicorn_conf"


class _Node:
    other: object = None


def test_before_forking_the_master_closes_its_connections_then_freezes_what_it_loaded(
        monkeypatch: pytest.MonkeyPatch) -> None:
    from django.db import connections

    calls: list[str] = []
    monkeypatch.setattr(connections, "close_all", lambda: calls.append("close_all"))
    monkeypatch.setattr(gc, "freeze", lambda: calls.append(f"freeze {gc.isenabled()}"))
    cycle = _Node()
    cycle.other = cycle  # garbage only the collector frees
    ref = weakref.ref(cycle)
    del cycle
    gunicorn_conf.when_ready(object())
    assert calls == ["close_all", "freeze True"]
    assert ref() is None  # collected before the freeze, not frozen for the master's lifetime

