"""Catalog fixtures: fake AWS credentials, a synced demo catalog, and small product builders."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from catalog.models import Product, SyncRun
from catalog.sync import catalog_sync, sync_run_start
from portal.models import Project


@pytest.fixture(autouse=True)
def _fake_aws_credentials(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """No test may reach AWS: boto3 gets credentials that AWS would refuse anyway."""
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing", "AWS_DEFAULT_REGION": "eu-west-1",
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    yield


@pytest.fixture
def demo_catalog(project: Project) -> list[Product]:
    """The simulator's demo catalog synced for the fraud project, all products published."""
    run = catalog_sync(run=sync_run_start(trigger=SyncRun.Trigger.COMMAND))
    assert run.status == SyncRun.Status.SUCCEEDED, run.errors
    Product.objects.update(published=True)
    return list(Product.objects.order_by("name"))
