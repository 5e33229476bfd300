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


def test_workers_are_recycled_with_jitter_as_gunicorn_reads_the_file() -> None:
    """Issue 16: a worker is replaced after max_requests (+ up to the jitter, so the workers do
    not all restart at once); read through gunicorn's own loader, as ``--config`` does."""
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
    assert app.cfg.max_requests == 2000
    assert 0 < app.cfg.max_requests_jitter < app.cfg.max_requests
