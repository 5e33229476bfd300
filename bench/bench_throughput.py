"""Benchmark: throughput and latency of a weighted mix of pages under gunicorn, beside a baseline.

Against a database seeded by ``bench/volume.py``. It starts gunicorn as the image runs it
(``config.gunicorn_conf``, gthread, ``--workers 3 --threads 4`` unless told otherwise) with the
production settings (DEBUG off), serving both the portal and ``bench/baseline.py``'s bare views
of the same rows, and drives a weighted mix of the 14 pages of ``bench_pages.py`` with ``wrk``
(Debian package ``wrk``) at each concurrency: first the portal's pages, then the baseline's,
each for ``--seconds``. Each request is signed in as the page's persona (session cookies made
here). Printed: requests per second, p50/p95/p99 latency, non-2xx answers, and the portal's
throughput as a ratio of the baseline's — a Markdown table for the README.

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
  return wrk.format("GET", e[1], {["Cookie"] = "portal_session=" .. e[2],
                                  ["Host"] = "127.0.0.1"})
end
done = function(summary, latency, requests)
  io.write(string.format("RESULT %%d %%d %%d %%d %%d %%d\\n", summary.requests,
    summary.duration, latency:percentile(50), latency:percentile(95), latency:percentile(99),
    summary.errors.status + summary.errors.connect + summary.errors.read +
    summary.errors.write + summary.errors.timeout))
end
"""


def lua(entries: list[tuple[str, str, int]]) -> str:
    rows = ", ".join(f"{{{json.dumps(p)}, {json.dumps(c)}, {w}}}" for p, c, w in entries)
    return _LUA % {"entries": "{" + rows + "}"}


def wrk(script: Path, connections: int, seconds: int, port: int) -> dict[str, float]:
    out = subprocess.run(
        ["wrk", "-t", "2", "-c", str(connections), "-d", f"{seconds}s", "--timeout", "10s",
         "-s", str(script), f"http://127.0.0.1:{port}/"],
        check=True, capture_output=True, text=True).stdout
    match = re.search(r"RESULT (\d+) (\d+) (\d+) (\d+) (\d+) (\d+)", out)
    if not match:
        raise SystemExit(f"wrk printed no result:\n{out}")
    total, micros, p50, p95, p99, errors = (int(g) for g in match.groups())
    return {"rps": total / (micros / 1e6), "p50": p50 / 1000, "p95": p95 / 1000,
            "p99": p99 / 1000, "errors": errors, "requests": total}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--connections", default="10,50,100")
    parser.add_argument("--seconds", type=int, default=20)
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
        cookies[name] = client.cookies[settings.SESSION_COOKIE_NAME].value
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
        for side in ("portal", "baseline"):  # a short warm-up: imports, caches, connections
            wrk(work / f"{side}.lua", 4, 3, options.port)
        print(f"gunicorn {options.workers} workers x {options.threads} threads, "
              f"{os.cpu_count()} cores, {options.seconds} s per run, "
              f"database {settings.DATABASES['default']['ENGINE'].rsplit('.', 1)[-1]}")
        print("| connections | portal req/s | p50 ms | p95 ms | p99 ms | errors "
              "| baseline req/s | baseline p95 ms | throughput ratio |")
        print("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
        for connections in (int(c) for c in options.connections.split(",")):
            mine = wrk(work / "portal.lua", connections, options.seconds, options.port)
            base = wrk(work / "baseline.lua", connections, options.seconds, options.port)
            ratio = f"{mine['rps'] / base['rps']:.2f}" if base["rps"] else "n/a"
            print(f"| {connections} | {mine['rps']:.1f} | {mine['p50']:.0f} | {mine['p95']:.0f} "
                  f"| {mine['p99']:.0f} | {mine['errors']:.0f} | {base['rps']:.1f} "
                  f"| {base['p95']:.0f} | {ratio} |", flush=True)
    finally:
        server.terminate()
        server.wait(timeout=30)


if __name__ == "__main__":
    main()
