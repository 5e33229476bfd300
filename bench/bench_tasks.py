"""A no-op Celery task, the benchmarks' baseline: loaded only by the bench's own workers
(``celery worker -I bench.bench_tasks``), never by the portal's.

It appends "<sent at> <started at>" (epoch seconds) to a file, so the bench sees when each one
ran without a result backend. One short ``write`` to a file opened for appending is one
``O_APPEND`` write, which Linux does not interleave with another process's.
"""

from __future__ import annotations

import time

from celery import shared_task


@shared_task(name="bench.noop", ignore_result=True)
def bench_noop(sent_at: float, log: str) -> None:
    with open(log, "a", encoding="ascii") as out:
        out.write(f"{sent_at!r} {time.time()!r}\n")
