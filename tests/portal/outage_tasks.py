"""A task for the broker-outage test, loaded into its worker with ``celery worker -I``."""

from __future__ import annotations

import time
from pathlib import Path

from config.celery import app


@app.task(name="tests.outage_mark")  # type: ignore[untyped-decorator]  # celery ships no type hints
def outage_mark(path: str, seconds: float = 0.0) -> None:
    """Sleep (an acks_late task still running when Redis goes away), then leave a mark."""
    time.sleep(seconds)
    Path(path).write_text("done")
