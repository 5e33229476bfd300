"""Catalog fixtures: no real AWS (the fake AWS answers), the fake's demo catalog synced, and small
product builders."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from catalog.demo import demo_network_seed, demo_prices_seed
from catalog.models import Product, SyncRun
from catalog.sync import catalog_sync, sync_run_start
from fakeaws import clock
from portal.aws import credential_cache
from portal.models import Project
from tests.rows_snapshot import RowsSnapshot

# The synced demo catalog of this process, put back in each later test (tests/rows_snapshot.py).
DEMO_CATALOG = RowsSnapshot()


@pytest.fixture(autouse=True)
def _fake_aws_credentials(monkeypatch: pytest.MonkeyPatch, settings: Any) -> Iterator[None]:
    """No test may reach AWS: the settings' client hook sends every call to the fake AWS, and
    boto3 gets credentials that AWS would refuse anyway should a test drop the hook."""
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing", "AWS_DEFAULT_REGION": "eu-west-1",
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    settings.FAKEAWS_CATALOG_FILE = ""  # the demo catalog (fakeaws/catalog/demo.yaml)
    clock.reset()
    credential_cache.clear()
    yield
    clock.reset()


@pytest.fixture
def demo_catalog(project: Project) -> list[Product]:
    """The fake AWS's demo catalog synced for the fraud project, all products published.

    The sync is this fixture's set-up, not what its tests check: it runs for real in the first
    test of a process that starts from a given state, and later ones get its rows put back
    (tests/rows_snapshot.py). The sync's own tests call catalog_sync themselves."""
    return DEMO_CATALOG.apply("demo_catalog", demo_catalog_build,
                              lambda: list(Product.objects.order_by("name")))


def demo_catalog_build() -> None:
    run = catalog_sync(run=sync_run_start(trigger=SyncRun.Trigger.COMMAND))
    assert run.status == SyncRun.Status.SUCCEEDED, run.errors
    # What `make demo` does next (seed_demo_catalog): prices; subnet, security groups, KMS key.
    demo_prices_seed()
    demo_network_seed()
    Product.objects.update(published=True)


def curated_overrides() -> Any:
    """The overrides a test made: all but the network ones the demo seed fixed."""
    from catalog.demo import NETWORK_KEYS
    from catalog.models import ParameterOverride

    return ParameterOverride.objects.exclude(key__in=NETWORK_KEYS)
