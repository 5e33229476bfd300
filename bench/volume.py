"""Seed a bank's volume into a throwaway database, for the page and sweep benchmarks (issue 16).

The default volume is the one the issue measured: 5,000 users, 200 projects over 10 AWS
accounts, 300 products, 100,000 requests, 20,000 environments and 500,000 audit events.

    .venv/bin/python bench/volume.py                    # into a temporary SQLite database
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_volume .venv/bin/python bench/volume.py

Use an EMPTY, throwaway database: the script migrates it and adds rows (PostgreSQL: it is
created when missing). Users, projects and products go in with ``bulk_create``
(``volume_people.py``); requests, environments, leases, tasks and the audit trail as plain tuples
(``table_rows.TableRows``: COPY on PostgreSQL, ``executemany`` on SQLite), the PostgreSQL
tables' secondary indexes built once after the load, in its transaction
(``table_rows.indexes_built_after``). The audit events are hashed into the chain here, in id
order, after whatever the database already holds, so ``manage.py audit_verify`` passes on the
result. Request numbers (REQ-…) are assigned in order and the counter moved past them, so the
portal's next request gets the next number. Progress is printed as it goes.

What the rows look like (so that the pages have realistic work to do):

* users: every 25th is an approver and manages the 24 after them; 10 platform admins and 5
  auditors; each user is a member of one or two projects, each project has two leads;
* projects: round-robin over the accounts (``1000000000NN``), two regions;
* products: a third each notebook instance / Studio profile / SageMaker project, two versions
  each, all published; spread over the accounts;
* requests: one ``create`` per environment, the rest a mix of day-2 requests and of rejected,
  cancelled and pending new ones (2 % pending, each with a manager task waiting);
* environments: 70 % available, 15 % stopped, 10 % terminated, 5 % failed, with leases;
* audit events: request, decision and environment events over the last 365 days, oldest first.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import random
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, fields
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

BENCH = Path(__file__).resolve().parent
if str(BENCH) not in sys.path:
    sys.path.insert(0, str(BENCH))

from volume_people import chunks, products_seed, projects_seed, users_seed  # noqa: E402


@dataclass(frozen=True)
class Volume:
    users: int = 5_000
    projects: int = 200
    accounts: int = 10
    products: int = 300
    requests: int = 100_000
    environments: int = 20_000
    audit_events: int = 500_000


def _say(message: str) -> None:
    print(f"[volume {time.monotonic() - _START:6.1f}s] {message}", flush=True)


_START = time.monotonic()


def seed(volume: Volume, *, seed_value: int = 16,
         say: Callable[[str], None] = _say) -> dict[str, int]:
    """Add ``volume`` rows to the current database; returns the counts added per table."""
    if volume.environments > volume.requests:
        raise ValueError("every environment needs its create request: requests >= environments")
    if volume.accounts < 1 or volume.projects < volume.accounts:
        raise ValueError("need at least one account and one project per account")
    from django.db import transaction
    from table_rows import indexes_built_after

    rng = random.Random(seed_value)
    now = datetime.now(UTC).replace(microsecond=0)
    with transaction.atomic():
        users = users_seed(volume, say)
        projects = projects_seed(volume, users, rng, say)
        versions = products_seed(volume, say)
    with transaction.atomic(), indexes_built_after(
            "approvals_request", "provisioning_environment", "leases_lease"):
        envs = _requests_and_environments(volume, users, projects, versions, rng, now, say)
    added = _audit_events(volume, users, projects, envs, rng, now, say)
    return {"users": len(users), "projects": len(projects), "product_versions": len(versions),
            "requests": volume.requests, "environments": volume.environments,
            "audit_events": added}


def _requests_and_environments(volume: Volume, users: list[Any], projects: list[Any],
                               versions: list[Any], rng: random.Random, now: datetime,
                               say: Callable[[str], None]) -> list[tuple[Any, ...]]:
    """Requests (numbered), environments with leases, pending tasks; returns, per environment,
    (id, owner, project, created).

    Rows are tuples written by ``TableRows`` (COPY on PostgreSQL), not model instances: at
    100,000 requests, building and compiling the instances was most of this step's time."""
    from django.db import connection
    from django.db.models import Max
    from table_rows import TableRows

    from approvals.models import FIRST_NUMBER, ApprovalTask, Request, RequestNumber
    from leases.models import Lease
    from provisioning.models import Environment

    number = max(RequestNumber.objects.aggregate(n=Max("last"))["n"] or 0,
                 Request.objects.aggregate(n=Max("number"))["n"] or FIRST_NUMBER - 1)
    tasks_before = ApprovalTask.objects.aggregate(n=Max("id"))["n"] or 0
    members: dict[int, list[Any]] = {}
    for i, user in enumerate(users):
        members.setdefault(i % len(projects), []).append(user)
    statuses = (["available"] * 14 + ["stopped"] * 3 + ["terminated"] * 2 + ["failed"])
    request_rows = TableRows(Request, (
        "id", "number", "requester_id", "project_id", "product_id", "version_id", "action",
        "name", "parameters", "justification", "status", "estimated_monthly_cost", "lease_days",
        "decided_at", "created_at", "updated_at"), now=now)
    environment_rows = TableRows(Environment, (
        "id", "origin_request_id", "owner_id", "project_id", "product_id", "version_id",
        "parameters", "provisioned_product_name", "provisioned_product_id", "status",
        "notebook_instance_name", "available_at", "terminated_at", "expires_at", "tags",
        "created_at", "updated_at"), now=now)
    lease_rows = TableRows(Lease, ("environment_id", "due_at"), now=now)
    task_rows = TableRows(ApprovalTask, ("request_id", "name", "position", "created_at"),
                          now=now)
    parameters = {"InstanceType": "ml.t3.medium"}
    justification = "Model training for the quarterly review"
    decided = ["approved"] * 6 + ["rejected", "cancelled"]
    envs: list[tuple[Any, ...]] = []
    pending = 0
    run = uuid.uuid4().hex[:6]
    for chunk in chunks(volume.requests, 10_000):
        requests, environments, leases, tasks = [], [], [], []
        for i in chunk:
            project_index = i % len(projects)
            project = projects[project_index]
            owner = rng.choice(members[project_index])
            version = versions[i % len(versions)]
            created = now - timedelta(seconds=rng.randrange(365 * 86400))
            number += 1
            is_env = i < volume.environments
            status = "approved" if is_env else "pending" if i % 50 == 7 else rng.choice(decided)
            request_id = uuid.uuid4()
            requests.append((
                request_id, number, owner.pk, project.pk, version.product_id, version.pk,
                "create" if is_env or i % 4 else "update", f"nb-{i}", parameters,
                justification, status, 36, 30,
                None if status == "pending" else created + timedelta(hours=2), created,
                created))
            if status == "pending":
                pending += 1
                tasks.append((request_id, "Manager approval", 0, created))
            if is_env:
                env_status = statuses[i % len(statuses)]
                env_id = uuid.uuid4()
                expires = now + timedelta(days=rng.randrange(1, 60))
                environments.append((
                    env_id, request_id, owner.pk, project.pk, version.product_id, version.pk,
                    parameters, f"v{run}-{i:06d}", f"pp-v{run}{i:06d}", env_status,
                    f"v{run}-{i:06d}", created + timedelta(minutes=9),
                    created + timedelta(days=20) if env_status == "terminated" else None,
                    expires, [{"Key": "portal-owner", "Value": owner.owner_id}], created,
                    created))
                envs.append((env_id, owner, project, created))
                if env_status in ("available", "stopped"):
                    leases.append((env_id, expires - timedelta(days=7)))
        request_rows.write(requests)
        environment_rows.write(environments)
        lease_rows.write(leases)
        task_rows.write(tasks)
        say(f"requests {chunk.stop:>7}/{volume.requests}, environments "
            f"{min(chunk.stop, volume.environments):>6}/{volume.environments}")
    # Each new task's eligible approver is the requester's manager: one statement for all.
    through = ApprovalTask.eligible_approvers.through._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {through} (approvaltask_id, user_id) "  # noqa: S608
            "SELECT t.id, u.manager_id FROM approvals_approvaltask t "
            "JOIN approvals_request r ON r.id = t.request_id "
            "JOIN portal_user u ON u.id = r.requester_id "
            "WHERE t.id > %s AND u.manager_id IS NOT NULL", [tasks_before])
    RequestNumber.objects.update_or_create(name="request", defaults={"last": number})
    say(f"{volume.requests} requests (REQ up to {number}, {pending} pending with a task), "
        f"{volume.environments} environments")
    return envs


def _audit_events(volume: Volume, users: list[Any], projects: list[Any],
                  envs: list[tuple[Any, ...]], rng: random.Random, now: datetime,
                  say: Callable[[str], None]) -> int:
    from django.db import connection, transaction
    from table_rows import indexes_built_after

    from portal.audit_chain import GENESIS, chain_hash

    actions = [("request.created", "request"), ("request.approved", "request"),
               ("environment.available", "environment"), ("environment.stopped", "environment"),
               ("environment.started", "environment"), ("environment.opened", "environment"),
               ("auth.sign_in", "user")]
    with connection.cursor() as cursor:
        cursor.execute("SELECT id, hash FROM portal_auditevent ORDER BY id DESC LIMIT 1")
        last = cursor.fetchone()
    next_id, head = (last[0] + 1, last[1]) if last else (1, GENESIS)
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("SELECT seq FROM sqlite_sequence WHERE name = 'portal_auditevent'")
            counter = cursor.fetchone()
        next_id = max(next_id, (counter[0] if counter else 0) + 1)
    # Oldest first, one second apart on average, ending now: id order is time order.
    step = timedelta(days=365) / max(volume.audit_events, 1)
    start = now - timedelta(days=365)

    def records() -> Iterator[dict[str, Any]]:
        nonlocal head
        for i in range(volume.audit_events):
            action, kind = actions[i % len(actions)]
            env_id, owner, project, _ = envs[i % len(envs)] if envs else (None, users[0],
                                                                          projects[0], None)
            actor = owner if i % 9 else users[(i // 9) % len(users)]
            record = {
                "id": next_id + i, "at": start + step * i, "actor_id": actor.pk,
                "actor_username": actor.username, "action": action, "object_type": kind,
                "object_id": str(env_id) if kind == "environment" else str(i),
                "object_repr": f"{kind} {i}", "project_id": project.pk,
                "data": {"volume": True, "n": i} if i % 5 else {"reason": "seeded", "n": i},
                "source_ip": f"10.{i % 250}.{(i // 250) % 250}.{i % 7 + 1}",
                "request_id": uuid.UUID(int=rng.getrandbits(128)).hex,
                "prev_hash": head,
            }
            head = chain_hash(record)
            record["hash"] = head
            yield record

    # Rows are made while COPY sends them: the server indexes one batch on the other core
    # while this process hashes the next.
    stream = records()
    added = 0
    with transaction.atomic(), indexes_built_after("portal_auditevent"):
        for chunk in chunks(volume.audit_events, 50_000):
            added += _audit_insert(connection, itertools.islice(stream, len(chunk)))
            say(f"audit events {chunk.stop:>7}/{volume.audit_events} (hash-chained)")
        built = time.monotonic()
    if connection.vendor == "postgresql":
        say(f"audit trail indexes built and rows committed in {time.monotonic() - built:.1f} s")
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT setval(pg_get_serial_sequence('portal_auditevent', 'id'), "
                           "(SELECT MAX(id) FROM portal_auditevent))")
        else:
            cursor.execute("UPDATE sqlite_sequence SET seq = (SELECT MAX(id) FROM "
                           "portal_auditevent) WHERE name = 'portal_auditevent'")
    return added


def _audit_insert(connection: Any, rows: Iterator[dict[str, Any]]) -> int:
    from portal.audit_chain import CHAIN_FIELDS

    stored = (*CHAIN_FIELDS, "hash")  # the hashed columns and the hash: every column there is
    columns = ", ".join(stored)

    def values(row: dict[str, Any]) -> tuple[Any, ...]:
        return tuple(json.dumps(row[c]) if c == "data" else row[c] for c in stored)

    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # COPY: one round trip per 10,000 rows (the append-only triggers refuse UPDATE and
            # DELETE, not INSERT).
            count = 0
            with cursor.cursor.copy(f"COPY portal_auditevent ({columns}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(values(row))
                    count += 1
            return count
        marks = ", ".join("%s" for _ in stored)
        batch = [values(row) for row in rows]
        cursor.executemany(f"INSERT INTO portal_auditevent ({columns}) "  # noqa: S608
                           f"VALUES ({marks})", batch)
        return len(batch)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    for field in fields(Volume):
        parser.add_argument(f"--{field.name.replace('_', '-')}", type=int, default=field.default)
    options = parser.parse_args(argv)
    volume = Volume(**{f.name: getattr(options, f.name) for f in fields(Volume)})
    os.environ.setdefault("PORTAL_VAR_DIR", tempfile.mkdtemp(prefix="bench-volume-"))
    os.environ.setdefault("DEBUG", "true")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    from bench_django import database_create_missing

    database_create_missing()
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    _say(f"database: {connection.vendor} {connection.settings_dict['NAME']}")
    counts = seed(volume)
    # Planner statistics for the tables just loaded: without them PostgreSQL plans the pages'
    # queries blind until autovacuum's analyze gets round to them (SQLite: the same, for its
    # query planner).
    started = time.monotonic()
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    _say(f"statistics gathered (ANALYZE) in {time.monotonic() - started:.1f} s")
    _say("done: " + ", ".join(f"{n:,} {table}" for table, n in counts.items()))


if __name__ == "__main__":
    main()
