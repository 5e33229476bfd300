"""Benchmark: catalog sync of 200 products × 3 versions against stubbed Service Catalog responses.

Runs the real sync (AwsCatalogSource over a boto3 client with botocore's Stubber, which validates
every request against the service model) into a throwaway SQLite database, or into DATABASE_URL
when set. Reports wall time, AWS calls and SQL statements for the first sync (everything new) and
for a second sync with nothing changed upstream (must write nothing).

    .venv/bin/python bench/bench_catalog_sync.py [--products 200] [--versions 3]

Figures on the shared 2-core dev box (2026-11-22), 200 products × 3 versions, two runs each:
    SQLite        first sync 1.6–2.1 s, second (no change) 0.26–0.41 s
    PostgreSQL 15 first sync 2.6–5.0 s, second (no change) 0.29–0.49 s
    AWS calls per sync: 1,213 = 1 ListPortfolios + 2 ListAcceptedPortfolioShares (IMPORTED,
    AWS_ORGANIZATIONS) + 10 SearchProductsAsAdmin pages + 200 × (DescribeProductAsAdmin +
    ListProvisioningArtifacts + ListLaunchPaths) + 600 DescribeProvisioningParameters.
    SQL: 3,812 statements on the first sync, 16 and 0 catalog writes on the second.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--products", type=int, default=200)
    parser.add_argument("--versions", type=int, default=3)
    args = parser.parse_args()

    os.environ.setdefault("PORTAL_VAR_DIR", tempfile.mkdtemp(prefix="bench-catalog-"))
    os.environ.setdefault("DEBUG", "true")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        os.environ[name] = "testing"  # the stubbed client never sends a request
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from catalog.models import Product, ProductVersion, SyncRun
    from catalog.sources import AwsCatalogSource
    from catalog.sync import catalog_sync, sync_run_start
    from portal.models import Project
    from tests.catalog.stubs import stubbed_client, upstream_make, upstream_stub

    call_command("migrate", verbosity=0)
    if not Project.objects.filter(slug="bench").exists():
        Project.objects.create(slug="bench", name="Bench", cost_center="CC-0", environment="dev",
                               aws_account_id="111111111111", aws_region="eu-west-1")
    upstream = upstream_make(products=args.products, versions=args.versions)

    def one_run(label: str) -> None:
        client, stubber = stubbed_client()
        queued = upstream_stub(stubber, upstream)
        source = AwsCatalogSource(client)
        started = time.perf_counter()
        with CaptureQueriesContext(connection) as queries:
            run = catalog_sync(run=sync_run_start(trigger=SyncRun.Trigger.COMMAND),
                               source_for=lambda target: source)
        elapsed = time.perf_counter() - started
        stubber.assert_no_pending_responses()
        writes = sum(1 for q in queries.captured_queries
                     if q["sql"].lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE"))
                     and "catalog_syncrun" not in q["sql"]
                     and "portal_auditevent" not in q["sql"])
        assert run.status == SyncRun.Status.SUCCEEDED, run.errors
        print(f"{label:<22} {elapsed:7.2f} s  AWS calls {source.calls:5d} (stubbed {queued})  "
              f"SQL {len(queries):6d}  catalog writes {writes:6d}  "
              f"added {run.added} updated {run.updated} retired {run.retired}")

    print(f"Catalog sync of {args.products} products × {args.versions} versions "
          f"({connection.vendor})")
    one_run("first sync (all new)")
    one_run("second sync (no change)")
    print(f"products {Product.objects.count()}, versions {ProductVersion.objects.count()}")


if __name__ == "__main__":
    main()
