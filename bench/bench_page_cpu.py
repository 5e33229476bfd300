"""Benchmark: CPU time per request of each page of bench_throughput's mix, and where it goes.

The load-independent figure behind bench_throughput's throughput on 2 cores (issue 16): each
page of ``bench_pages.pages`` is asked ``--runs`` times through Django's test client in this
process (production settings, DEBUG off, the page's persona), and the process's CPU time
(``time.process_time``: user + system of this process only, so other processes' load sways it
far less than wall time) is divided by the runs; the baseline's page beside it. With
``--profile DIR`` each page is also run under cProfile and its statistics are written to
``DIR/<page>.prof`` (read them with ``python -m pstats``), timed in CPU time (the waits for the
database are not the page's CPU). What was loaded is frozen first (``gc.freeze``), as
``config.gunicorn_conf`` does before it forks the workers.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_volume \\
        .venv/bin/python bench/bench_page_cpu.py --runs 20
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import re
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
for entry in (str(ROOT), str(ROOT / "bench")):
    if entry not in sys.path:
        sys.path.insert(0, entry)


def cpu_ms(client: Any, url: str, runs: int) -> float:
    """CPU milliseconds this process spends per request of ``url`` (body read in full)."""
    begin = time.process_time()
    for _ in range(runs):
        response = client.get(url)
        if hasattr(response, "streaming_content"):
            b"".join(response.streaming_content)
        if response.status_code != 200:
            raise SystemExit(f"{url} answered {response.status_code}")
    return 1000 * (time.process_time() - begin) / runs


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--only", default="", help="pages whose name contains this")
    parser.add_argument("--profile", default="", help="directory for cProfile statistics")
    options = parser.parse_args(argv)
    from bench_pages import django_with_baseline, pages, personas, signed_in_clients
    from bench_throughput import WEIGHTS

    django_with_baseline()
    people = personas()
    clients = signed_in_clients(people)
    gc.collect()  # as config.gunicorn_conf does before forking its workers
    gc.freeze()
    print("| page | weight | CPU ms | baseline CPU ms | ratio |")
    print("| --- | ---: | ---: | ---: | ---: |")
    mix = base_mix = 0.0
    for page in pages(people):
        if options.only and options.only not in page.name:
            continue
        client = clients[page.persona]
        cpu_ms(client, page.url, options.warmup)
        cpu_ms(client, page.baseline, options.warmup)
        mine = cpu_ms(client, page.url, options.runs)
        base = cpu_ms(client, page.baseline, options.runs)
        mix += WEIGHTS[page.name] * mine
        base_mix += WEIGHTS[page.name] * base
        print(f"| {page.name} | {WEIGHTS[page.name]} | {mine:.1f} | {base:.1f} "
              f"| {mine / base:.2f} |", flush=True)
        if options.profile:
            profiler = cProfile.Profile(time.process_time)  # CPU, not waits
            profiler.runcall(cpu_ms, client, page.url, options.runs)
            Path(options.profile).mkdir(parents=True, exist_ok=True)
            profiler.dump_stats(Path(options.profile) / (re.sub(r"\W+", "_", page.name)
                                                         + ".prof"))
    if not options.only:
        total = sum(WEIGHTS.values())
        print(f"| weighted mix | {total} | {mix / total:.1f} | {base_mix / total:.1f} "
              f"| {mix / base_mix:.2f} |")


if __name__ == "__main__":
    main()
