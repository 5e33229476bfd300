"""Benchmark: throughput and latency of a weighted mix of pages under gunicorn, beside a baseline.

Against a database seeded by ``bench/volume.py``. It starts gunicorn as the image runs it
(``config.gunicorn_conf``, gthread, ``--workers 3 --threads 4`` unless told otherwise) with the
production settings (DEBUG off), serving both the portal and ``bench/baseline.py``'s bare views
of the same rows, and drives a weighted mix of the 14 pages of ``bench_pages.py`` with ``wrk``
(Debian package ``wrk``) at each concurrency, the portal's mix and the baseline's taking turns
(``--rounds`` turns each, ``--seconds`` in all per side), so a change in the machine's load
between the two sides shows in both; after each turn the workers finish what wrk left in flight
before the next turn starts. Each request carries the page persona's session cookie
(made here) and a CSRF cookie, as a browser does after its first page. Both mixes are warmed up
first (``--warmup`` seconds each: every page compiled on every worker). Printed: successful
(2xx/3xx) requests per second, p50/p95/p99 latency over all turns (a request that timed out
counts as slower than the timeout: ``≥`` marks such a percentile), refused (4xx/5xx) answers
and timeouts, the gunicorn workers' CPU time per request served (from /proc: far less swayed by
other processes' load than the rates are), the load average, and the portal's throughput as a
ratio of the baseline's — a Markdown table for the README.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_volume \\
        .venv/bin/python bench/bench_throughput.py --connections 10,50,100 --seconds 20
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
for entry in (str(ROOT), str(BENCH)):
    if entry not in sys.path:
        sys.path.insert(0, entry)

# How often each page comes up in the mix: what people open most (their own lists, the
# dashboard) most often; the auditor's and admin's pages less.
WEIGHTS = {"dashboard": 20, "catalog": 12, "my environments": 14, "my requests": 10,
           "API environments": 8, "API requests": 4, "inbox": 10,
           "all environments (admin)": 3, "audit trail": 4, "audit trail, page 100": 1,
           "audit by actor": 2, "audit object search": 2, "audit (Django admin)": 1,
           "environment detail": 9, "product page": 6}

_LUA = """
local entries = %(entries)s
local picks = {}
for i, e in ipairs(entries) do for _ = 1, e[3] do picks[#picks + 1] = i end end
request = function()
  local e = entries[picks[math.random(#picks)]]
  return wrk.format("GET", e[1], {["Cookie"] = e[2], ["Host"] = "127.0.0.1"})
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("RESULT %%d %%d %%d %%d %%d\\n", summary.requests, summary.duration,
    e.status, e.timeout, e.connect + e.read + e.write))
  for _, p in ipairs(PERCENTILES) do
    io.write(string.format("PCT %%s %%d\\n", p, latency:percentile(p)))
  end
end
"""
# Each turn's latency distribution, printed at these percentiles, is merged into one over all turns.
PERCENTILES = [*range(1, 100), 99.5, 99.9, 100]


def lua(entries: list[tuple[str, str, int]]) -> str:
    rows = ", ".join(f"{{{json.dumps(p)}, {json.dumps(c)}, {w}}}" for p, c, w in entries)
    return (f"PERCENTILES = {{{', '.join(str(p) for p in PERCENTILES)}}}\n"
            + _LUA % {"entries": "{" + rows + "}"})


TIMEOUT_SECONDS = 10


def wrk(script: Path, connections: int, seconds: float, port: int) -> dict[str, Any]:
    """One turn: counts, and the latency (ms) at each of PERCENTILES of the answered requests."""
    out = subprocess.run(
        ["wrk", "-t", "2", "-c", str(connections), "-d", f"{max(1, round(seconds))}s",
         "--timeout", f"{TIMEOUT_SECONDS}s", "-s", str(script), f"http://127.0.0.1:{port}/"],
        check=True, capture_output=True, text=True).stdout
    match = re.search(r"RESULT (\d+) (\d+) (\d+) (\d+) (\d+)", out)
    if not match:
        raise SystemExit(f"wrk printed no result:\n{out}")
    answered, micros, refused, timeouts, broken = (int(g) for g in match.groups())
    grid = [(float(p), int(v) / 1000) for p, v in re.findall(r"PCT (\S+) (\d+)", out)]
    return {"answered": answered, "seconds": micros / 1e6, "refused": refused,
            "timeouts": timeouts, "broken": broken, "grid": grid}


def _below(turn: dict[str, Any], ms: float) -> float:
    """How many of a turn's answered requests took at most ``ms`` (from its percentile grid,
    interpolated between the two grid points around ``ms``)."""
    share, previous = 0.0, (0.0, 0.0)
    for p, value in turn["grid"]:
        if value > ms:
            share = previous[0] + (p - previous[0]) * (ms - previous[1]) / (value - previous[1])
            break
        share, previous = p, (p, value)
    return float(turn["answered"]) * share / 100


def combined(turns: list[dict[str, Any]]) -> dict[str, Any]:
    """All turns of one side as one run: successful requests a second, and percentiles over
    every request sent (a timed-out one as slower than the timeout: ``None``)."""
    answered = sum(t["answered"] for t in turns)
    everyone = answered + sum(t["timeouts"] + t["broken"] for t in turns)
    ok = answered - sum(t["refused"] for t in turns)
    values = sorted({v for t in turns for _, v in t["grid"]})
    result: dict[str, Any] = {
        "rps": ok / sum(t["seconds"] for t in turns), "refused": sum(t["refused"] for t in turns),
        "timeouts": sum(t["timeouts"] for t in turns), "broken": sum(t["broken"] for t in turns),
        "cpu_ms": 1000 * sum(t.get("cpu", 0.0) for t in turns)
        / max(1, sum(t.get("served", 0) for t in turns))}
    for name, p in (("p50", 50), ("p95", 95), ("p99", 99)):
        wanted = everyone * p / 100
        result[name] = next((v for v in values if sum(_below(t, v) for t in turns) >= wanted),
                            None) if everyone else None
    return result


def _stat_fields(pid: int | str) -> list[str]:
    """/proc/<pid>/stat after the command name (field 3 onwards: the name may hold spaces)."""
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()


def workers_cpu_seconds(master: int) -> float:
    """CPU time the master's worker processes have used so far, including the workers that
    gunicorn has replaced since (max_requests): proc(5) counts a reaped child's time in its
    parent's cutime/cstime, so a replaced worker's CPU moves from its own utime/stime to the
    master's instead of vanishing (it did: a recycle made a turn's figure negative). A worker
    reaped between the two reads is counted twice or not at all, an error of one worker's
    life at most, only on the turns where one is replaced."""
    total = 0
    for task in Path(f"/proc/{master}/task").iterdir():
        for pid in (task / "children").read_text().split():
            try:
                fields = _stat_fields(pid)
            except OSError:  # a worker that exited and was reaped just now
                continue
            total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15)
    master_fields = _stat_fields(master)
    total += int(master_fields[13]) + int(master_fields[14])  # cutime, cstime (16 and 17)
    return total / os.sysconf("SC_CLK_TCK")


def drained(master: int, *, limit: float = 60) -> float:
    """Wait until the workers are idle; the seconds it took. wrk stops with requests in flight
    that gunicorn still serves after the client has gone: left running, the heavier side's
    backlog would slow the turn after it (the other side's)."""
    started = time.monotonic()
    before = workers_cpu_seconds(master)
    while time.monotonic() - started < limit:
        time.sleep(0.5)
        now = workers_cpu_seconds(master)
        if now - before < 0.05:  # under a tenth of a core over the half second
            break
        before = now
    return time.monotonic() - started


def _ms(value: float | None) -> str:
    return f"≥{TIMEOUT_SECONDS * 1000}" if value is None else f"{value:.0f}"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--connections", default="10,50,100")
    parser.add_argument("--seconds", type=int, default=20, help="per side and concurrency")
    parser.add_argument("--rounds", type=int, default=2, help="turns each side takes")
    parser.add_argument("--warmup", type=int, default=None,
                        help="seconds per side, first (default: --seconds, at most 10)")
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--port", type=int, default=8077)
    options = parser.parse_args(argv)
    if not shutil.which("wrk"):
        raise SystemExit("wrk is missing: apt-get install wrk")
    from bench_pages import pages, personas, production_like_env

    env = {**os.environ, **production_like_env(options.port),
           "PYTHONPATH": os.pathsep.join([str(ROOT), str(BENCH)])}
    os.environ.update(env)
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.test import Client

    call_command("collectstatic", interactive=False, verbosity=0)  # DEBUG off: the manifest
    people = personas()
    cookies = {}
    for name in ("scientist", "approver", "admin", "auditor"):
        client = Client()
        client.force_login(people[name])
        client.get("/")  # a page with a form: the CSRF cookie a browser keeps from then on
        cookies[name] = "; ".join(f"{key}={client.cookies[key].value}" for key in (
            settings.SESSION_COOKIE_NAME, settings.CSRF_COOKIE_NAME))
    mix = pages(people)
    portal = [(p.url, cookies[p.persona], WEIGHTS[p.name]) for p in mix]
    baseline = [(p.baseline, cookies[p.persona], WEIGHTS[p.name]) for p in mix]
    work = Path(tempfile.mkdtemp(prefix="bench-wrk-"))
    (work / "portal.lua").write_text(lua(portal))
    (work / "baseline.lua").write_text(lua(baseline))
    # The baseline's URLconf holds the portal's too: one server for both.
    (work / "bench_settings.py").write_text(
        "from config.settings import *  # noqa: F403\nROOT_URLCONF = 'baseline'\n")
    server = subprocess.Popen(
        [str(Path(sys.executable).parent / "gunicorn"), "config.wsgi",
         "--config", "python:config.gunicorn_conf", "--bind", f"127.0.0.1:{options.port}",
         "--workers", str(options.workers), "--threads", str(options.threads),
         "--access-logfile", "/dev/null"],
        env={**env, "DJANGO_SETTINGS_MODULE": "bench_settings",
             "PYTHONPATH": os.pathsep.join([str(work), str(ROOT), str(BENCH)])},
        cwd=ROOT)
    try:
        for _ in range(120):
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{options.port}/healthz",
                                            timeout=2):
                    break
            except OSError:
                time.sleep(0.5)
        else:
            raise SystemExit("gunicorn did not answer /healthz")
        for side in ("portal", "baseline"):  # imports, every template on every worker, caches
            wrk(work / f"{side}.lua", 4, options.warmup or min(options.seconds, 10), options.port)
            drained(server.pid)
        print(f"gunicorn {options.workers} workers x {options.threads} threads, "
              f"{os.cpu_count()} cores, {options.seconds} s per side in {options.rounds} turns, "
              f"database {settings.DATABASES['default']['ENGINE'].rsplit('.', 1)[-1]}")
        print("| connections | portal req/s | p50 ms | p95 ms | p99 ms | refused/timeouts "
              "| baseline req/s | baseline p95 ms | throughput ratio "
              "| workers' CPU ms a request, portal/baseline | load average |")
        print("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
        for connections in (int(c) for c in options.connections.split(",")):
            turns: dict[str, list[dict[str, Any]]] = {"portal": [], "baseline": []}
            load = [os.getloadavg()[0]]
            for turn in range(options.rounds):  # the side that goes first alternates too
                for side in ("portal", "baseline")[::1 if turn % 2 == 0 else -1]:
                    cpu = workers_cpu_seconds(server.pid)
                    turns[side].append(wrk(work / f"{side}.lua", connections,
                                           options.seconds / options.rounds, options.port))
                    drained(server.pid)
                    # Served: the answered, the timed out and the one in flight on each
                    # connection when wrk stopped (the workers finished it, drained above).
                    turns[side][-1]["cpu"] = workers_cpu_seconds(server.pid) - cpu
                    turns[side][-1]["served"] = (turns[side][-1]["answered"] + connections
                                                 + turns[side][-1]["timeouts"])
                load.append(os.getloadavg()[0])
            mine, base = combined(turns["portal"]), combined(turns["baseline"])
            ratio = f"{mine['rps'] / base['rps']:.2f}" if base["rps"] else "n/a"
            print(f"| {connections} | {mine['rps']:.1f} | {_ms(mine['p50'])} | {_ms(mine['p95'])} "
                  f"| {_ms(mine['p99'])} | {mine['refused'] + mine['broken']}/{mine['timeouts']} "
                  f"| {base['rps']:.1f} | {_ms(base['p95'])} | {ratio} "
                  f"| {mine['cpu_ms']:.1f}/{base['cpu_ms']:.1f} "
                  f"| {min(load):.1f}–{max(load):.1f} |", flush=True)
    finally:
        server.terminate()
        server.wait(timeout=30)


if __name__ == "__main__":
    main()
