"""Benchmark: every page and API list at a bank's volume, side by side with a bare baseline.

Run it against a database seeded by ``bench/volume.py`` (issue 16's volume):

    export DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_volume
    .venv/bin/python bench/volume.py && .venv/bin/python bench/bench_pages.py

With production settings (DEBUG off), each page is asked ``--runs`` times (after ``--warmup``)
through Django's test client in this process, as the persona who would use it (the data
scientist with the most environments, the approver with the most waiting tasks, a platform
admin, an auditor), and so is its baseline (``bench/baseline.py``: the same rows from the same
tables, no scoping, navigation or policy), interleaved so that both see the same machine.
Printed: p50 and p95 in ms, SQL statements per request, and the ratio of the page's p50 to the
baseline's — a Markdown table for the README.
The network, TLS and gunicorn are not measured here (bench_throughput covers concurrency).
"""

from __future__ import annotations

import argparse
import base64
import os
import secrets
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
for entry in (str(ROOT), str(ROOT / "bench")):
    if entry not in sys.path:
        sys.path.insert(0, entry)


@dataclass(frozen=True)
class Page:
    name: str
    persona: str
    url: str
    baseline: str


def pages(people: dict[str, Any]) -> list[Page]:
    scientist = people["scientist"]
    return [
        Page("dashboard", "scientist", "/", "/baseline/dashboard/"),
        Page("catalog", "scientist", "/catalog/", "/baseline/catalog/"),
        Page("my environments", "scientist", "/environments/", "/baseline/environments/"),
        Page("my requests", "scientist", "/requests/", "/baseline/requests/"),
        Page("API environments", "scientist", "/api/v1/environments",
             "/baseline/api/environments"),
        Page("API requests", "scientist", "/api/v1/requests", "/baseline/api/requests"),
        Page("inbox", "approver", "/requests/inbox/", "/baseline/inbox/"),
        Page("all environments (admin)", "admin", "/environments/all/",
             "/baseline/environments/all/"),
        Page("audit trail", "auditor", "/audit/", "/baseline/audit/"),
        Page("audit trail, page 100", "auditor", "/audit/?page=100", "/baseline/audit/?page=100"),
        Page("audit by actor", "auditor", f"/audit/?actor={scientist.username.upper()}",
             f"/baseline/audit/?actor={scientist.username.upper()}"),
        Page("audit object search", "auditor", "/audit/?object=request+12345",
             "/baseline/audit/?object=request+12345"),
        Page("audit (Django admin)", "admin", "/admin/portal/auditevent/", "/baseline/audit/"),
        Page("environment detail", "scientist",
             f"/environments/{people['environment'].pk}/",
             f"/baseline/environments/{people['environment'].pk}/"),
        Page("product page", "scientist", f"/catalog/{people['product'].pk}/",
             f"/baseline/catalog/{people['product'].pk}/"),
    ]


def production_like_env(port: int = 8077) -> dict[str, str]:
    """Settings as production runs them (DEBUG off: cached templates, no query log), with
    throwaway keys and var directory; the database is DATABASE_URL's."""
    return {"DJANGO_SETTINGS_MODULE": "config.settings", "DEBUG": "false",
            "SECRET_KEY": secrets.token_urlsafe(50),
            "PORTAL_PARAMETER_KEY": base64.urlsafe_b64encode(secrets.token_bytes(32)).decode(),
            "ALLOWED_HOSTS": "127.0.0.1,testserver", "PORTAL_PLAIN_HTTP": "true",
            "PORTAL_BASE_URL": f"http://127.0.0.1:{port}",
            "PORTAL_VAR_DIR": os.environ.get("PORTAL_VAR_DIR") or tempfile.mkdtemp(
                prefix="bench-pages-")}


def personas() -> dict[str, Any]:
    from django.db.models import Count

    from catalog.selectors import products_for_user
    from portal.models import Role, User
    from provisioning.models import Environment

    def holding(role: str) -> Any:  # JSON containment is PostgreSQL's only; holders are few
        return User.objects.filter(pk__in=[
            u.pk for u in User.objects.exclude(roles=[]).only("roles") if role in u.roles])

    scientist = User.objects.filter(roles=[]).annotate(n=Count("environments")).order_by(
        "-n").first()
    approver = holding(Role.APPROVER).annotate(n=Count("approval_tasks")).order_by("-n").first()
    admin = holding(Role.CATALOG_ADMIN).order_by("pk").first()
    auditor = holding(Role.AUDITOR).order_by("pk").first()
    if not (scientist and approver and admin and auditor):
        raise SystemExit("seed the database first: bench/volume.py")
    environment = Environment.objects.filter(owner=scientist).order_by("-created_at").first()
    # The first product of the scientist's catalog with a version to request (its form).
    product = products_for_user(user=scientist).filter(
        versions__active=True, versions__retired_at__isnull=True).first()
    if product is None:
        raise SystemExit("the scientist sees no requestable product: seed with bench/volume.py")
    return {"scientist": scientist, "approver": approver, "admin": admin, "auditor": auditor,
            "environment": environment, "product": product}


def measure(get: Callable[[], Any], runs: int) -> tuple[list[float], int, int]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    seconds, statements, status = [], 0, 0
    for _ in range(runs):
        with CaptureQueriesContext(connection) as queries:
            begin = time.perf_counter()
            response = get()
            if hasattr(response, "streaming_content"):
                b"".join(response.streaming_content)
            seconds.append(time.perf_counter() - begin)
        statements, status = len(queries), response.status_code
    return seconds, statements, status


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[max(0, int(round(len(ordered) * 0.95)) - 1)]


def django_with_baseline() -> None:
    """Django as production runs it (DEBUG off, static manifest built) serving the portal and,
    beside it, the baseline's views (``bench/baseline.py``)."""
    os.environ.update(production_like_env())
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.urls import clear_url_caches

    call_command("collectstatic", interactive=False, verbosity=0)  # DEBUG off: the manifest
    settings.ROOT_URLCONF = "baseline"
    clear_url_caches()


def signed_in_clients(people: dict[str, Any]) -> dict[str, Any]:
    """A test client signed in as each persona who asks for pages."""
    from django.test import Client

    clients = {}
    for name in ("scientist", "approver", "admin", "auditor"):
        client = Client()
        client.force_login(people[name])
        clients[name] = client
    return clients


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--only", default="", help="pages whose name contains this")
    options = parser.parse_args(argv)
    django_with_baseline()
    from django.db import connection

    people = personas()
    clients = signed_in_clients(people)
    print(f"database: {connection.vendor} {connection.settings_dict['NAME']}; personas: "
          + ", ".join(f"{k} {v.username}" for k, v in people.items()
                      if k not in ("environment", "product")))
    print("| page | p50 ms | p95 ms | SQL | baseline p50 ms | baseline SQL | ratio (p50) |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    for page in pages(people):
        if options.only and options.only not in page.name:
            continue
        client = clients[page.persona]
        mine, base = [], []
        statements = base_statements = 0
        for round_ in range(options.warmup + options.runs):
            # Interleaved, one of each at a time: both see the same machine and caches.
            seconds, statements, status = measure(partial(client.get, page.url), 1)
            base_seconds, base_statements, base_status = measure(
                partial(client.get, page.baseline), 1)
            if status != 200 or base_status != 200:
                raise SystemExit(f"{page.name}: {page.url} answered {status}, "
                                 f"{page.baseline} {base_status}")
            if round_ >= options.warmup:
                mine += seconds
                base += base_seconds
        ratio = statistics.median(mine) / statistics.median(base)
        print(f"| {page.name} | {statistics.median(mine) * 1000:.1f} | {p95(mine) * 1000:.1f} "
              f"| {statements} | {statistics.median(base) * 1000:.1f} | {base_statements} "
              f"| {ratio:.2f} |", flush=True)


if __name__ == "__main__":
    main()
