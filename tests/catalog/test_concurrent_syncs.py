"""Two syncs of the same target at once (the timer and "Sync now") write each row once."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from catalog.models import Product, ProductVersion
from catalog.sources import AwsCatalogSource, SyncTarget
from catalog.sync import SyncCounts, target_apply, target_snapshot
from portal.aws import aws_client
from portal.models import Project


@pytest.mark.django_db(transaction=True)
def test_two_simultaneous_syncs_of_one_target_add_each_product_once(project: Project) -> None:
    target = SyncTarget(project.aws_account_id, project.aws_region, project)
    source = AwsCatalogSource(aws_client("servicecatalog", project=project))
    snapshot = target_snapshot(source=source)
    start = threading.Barrier(2)
    results: list[SyncCounts] = []
    errors: list[BaseException] = []

    def sync() -> None:
        try:
            start.wait()
            results.append(target_apply(target=target, snapshot=snapshot))
        except BaseException as exc:  # reported below, with the test's own assertion
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=sync) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    assert sorted(r.total("added") > 0 for r in results) == [False, True]
    assert Product.objects.count() == len(snapshot.products)
    assert ProductVersion.objects.count() == sum(len(e.versions)
                                                 for e in snapshot.products.values())
