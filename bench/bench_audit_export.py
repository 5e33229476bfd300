"""Benchmark: the audit trail's CSV export of the whole trail, streamed, beside a bare baseline.

Against a database seeded by ``bench/volume.py`` (500,000 audit events at issue 16's volume),
with production settings (DEBUG off). The auditor asks ``/audit/export.csv`` (every event: no
filter) through Django's test client, reading the stream to its end, and the baseline
``/baseline/audit/export.csv`` (``bench/baseline.py``: the same columns from ``values_list``
through ``csv.writer``, no scoping, escaping or audit event), interleaved ``--runs`` times.
Printed: seconds, rows, MiB sent, rows per second, the growth of the process's peak memory
(what streaming keeps flat) and the portal's time as a ratio of the baseline's. Each portal
export writes its own ``audit.exported`` event: run it against a copy, not the seeded original.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_copy .venv/bin/python \\
        bench/bench_audit_export.py [--runs 1]
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
for entry in (str(ROOT), str(ROOT / "bench")):
    if entry not in sys.path:
        sys.path.insert(0, entry)


def peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def export(client: Any, url: str) -> dict[str, float]:
    """Ask ``url`` and read the whole stream: seconds, rows, bytes, peak memory growth."""
    before = peak_mib()
    begin = time.perf_counter()
    response = client.get(url)
    if response.status_code != 200 or not response.streaming:
        raise SystemExit(f"{url} answered {response.status_code} (streamed: "
                         f"{response.streaming})")
    size = lines = 0
    for chunk in response.streaming_content:
        size += len(chunk)
        lines += chunk.count(b"\n")
    seconds = time.perf_counter() - begin
    return {"seconds": seconds, "rows": lines - 1, "mib": size / 2**20,
            "peak_growth": peak_mib() - before}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--runs", type=int, default=1)
    options = parser.parse_args(argv)
    from bench_pages import personas, production_like_env

    os.environ.update(production_like_env())
    import django

    django.setup()
    from django.conf import settings
    from django.db import connection
    from django.test import Client
    from django.urls import clear_url_caches

    from portal.models import AuditEvent

    settings.ROOT_URLCONF = "baseline"
    clear_url_caches()
    client = Client()
    client.force_login(personas()["auditor"])
    print(f"database: {connection.vendor} {connection.settings_dict['NAME']}, "
          f"{AuditEvent.objects.count():,} audit events")
    mine, base = [], []
    for _ in range(options.runs):  # interleaved: both see the same machine
        mine.append(export(client, "/audit/export.csv"))
        base.append(export(client, "/baseline/audit/export.csv"))
    print("| export | seconds (median) | rows | MiB | rows/s | peak memory growth MiB |")
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    for name, runs in (("portal `/audit/export.csv`", mine), ("baseline", base)):
        seconds = statistics.median(r["seconds"] for r in runs)
        print(f"| {name} | {seconds:.1f} | {runs[-1]['rows']:,.0f} | {runs[-1]['mib']:.1f} "
              f"| {runs[-1]['rows'] / seconds:,.0f} | {max(r['peak_growth'] for r in runs):.1f} |")
    ratio = statistics.median(r["seconds"] for r in mine) / statistics.median(
        r["seconds"] for r in base)
    print(f"ratio (portal time / baseline time): {ratio:.2f}")


if __name__ == "__main__":
    main()
