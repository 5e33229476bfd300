"""Reconcile at scale: one listing per account, AWS calls by pages, SQL by changes."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from fakeaws.models import CallLog, NotebookInstance, ProvisionedProduct
from portal.models import AuditEvent, User
from provisioning.models import Environment
from provisioning.sweep import environments_reconcile
from tests.provisioning.conftest import AwsStubs
from tests.provisioning.reconcile_fleet import fleet_create

pytestmark = pytest.mark.django_db
LISTS = ("SearchProvisionedProducts", "ListNotebookInstances")
DESCRIBES = ("DescribeProvisionedProduct", "DescribeNotebookInstance")


def aws_calls() -> dict[str, int]:
    """AWS requests the fake received, by operation (AssumeRole left out)."""
    calls: dict[str, int] = {}
    for operation in CallLog.objects.exclude(service="sts").values_list("operation", flat=True):
        calls[operation] = calls.get(operation, 0) + 1
    return calls


def portal_sql(captured: CaptureQueriesContext) -> list[str]:
    """The statements the portal ran. The fake AWS shares the database: its own statements, and
    the savepoints of its per-call transaction (nested in the test's), are left out."""
    return [q["sql"] for q in captured.captured_queries
            if "fakeaws_" not in q["sql"] and "SAVEPOINT" not in q["sql"]]


def test_two_projects_sharing_an_account_are_listed_once(scientist: User) -> None:
    fleet_create(accounts=2, projects_per_account=2, environments_per_project=3, owner=scientist)
    CallLog.objects.all().delete()
    assert environments_reconcile() == {"unchanged": 12}
    # Two accounts, one page each of both lists; nothing asked notebook by notebook.
    assert aws_calls() == {"SearchProvisionedProducts": 2, "ListNotebookInstances": 2}
    assert not Environment.objects.filter(reconciled_at__isnull=True).exists()


def test_aws_calls_grow_with_pages_not_with_environments(scientist: User) -> None:
    fleet_create(accounts=1, projects_per_account=3, environments_per_project=84, owner=scientist)
    CallLog.objects.all().delete()
    assert environments_reconcile() == {"unchanged": 252}
    # 252 of each in the account: 3 pages of at most 100, once for all three projects.
    assert aws_calls() == {"SearchProvisionedProducts": 3, "ListNotebookInstances": 3}


@pytest.mark.parametrize("size", [5, 50])
def test_sql_per_run_does_not_grow_with_unchanged_environments(
        scientist: User, size: int) -> None:
    fleet_create(accounts=1, projects_per_account=1, environments_per_project=size,
                 owner=scientist)
    with CaptureQueriesContext(connection) as captured:
        assert environments_reconcile() == {"unchanged": size}
    statements = portal_sql(captured)
    # The projects, one batch of environments, one UPDATE of reconciled_at, the empty next
    # batch: the same four for 5 as for 50.
    assert [s.split()[0] for s in statements] == ["SELECT", "SELECT", "UPDATE", "SELECT"]
    assert '"reconciled_at"' in statements[2] and '"updated_at"' not in statements[2]


def test_unchanged_environments_are_stamped_with_one_update_per_batch(
        scientist: User, monkeypatch: Any) -> None:
    from provisioning import reconcile

    monkeypatch.setattr(reconcile, "BATCH", 2)
    fleet_create(accounts=1, projects_per_account=1, environments_per_project=5,
                 owner=scientist)
    with CaptureQueriesContext(connection) as captured:
        assert environments_reconcile() == {"unchanged": 5}
    updates = [s for s in portal_sql(captured) if s.startswith("UPDATE")]
    assert len(updates) == 3  # batches of 2, 2 and 1


def test_each_change_outside_the_portal_is_still_found_in_a_fleet(scientist: User) -> None:
    fleet = fleet_create(accounts=2, projects_per_account=2, environments_per_project=5,
                         owner=scientist)
    envs = Environment.objects.in_bulk(fleet.environment_ids)
    stopped, terminated, restarted, tainted = (envs[pk] for pk in fleet.environment_ids[:4])
    NotebookInstance.objects.filter(name=stopped.notebook_instance_name).update(status="Stopped")
    ProvisionedProduct.objects.filter(pp_id=terminated.provisioned_product_id).update(
        terminated=True)
    Environment.objects.filter(pk=restarted.pk).update(status=Environment.Status.STOPPED)
    ProvisionedProduct.objects.filter(pp_id=tainted.provisioned_product_id).update(
        status="TAINTED", status_message="Stack update failed")
    CallLog.objects.all().delete()

    assert environments_reconcile() == {"changed": 3, "terminated": 1, "unchanged": 16}

    status = dict(Environment.objects.filter(pk__in=fleet.environment_ids[:4]).values_list(
        "pk", "status"))
    assert status == {stopped.pk: "stopped", terminated.pk: "terminated",
                      restarted.pk: "available", tainted.pk: "available"}
    assert "TAINTED" in Environment.objects.get(pk=tainted.pk).status_message
    for environment in (stopped, terminated, restarted, tainted):
        assert environment.events.filter(kind="out_of_band").count() == 1
    assert AuditEvent.objects.filter(action="environment.out_of_band").count() == 4
    # Only the product missing from the list was asked about, to confirm it is gone.
    assert aws_calls() == {"SearchProvisionedProducts": 2, "ListNotebookInstances": 2,
                           "DescribeProvisionedProduct": 1}
    # The next run has nothing left to record.
    assert environments_reconcile() == {"unchanged": 19}


def test_missing_from_the_lists_is_asked_about_and_not_taken_for_gone(
        available: Environment, aws: AwsStubs) -> None:
    """The lists lag behind AWS: what they miss is described before anything is recorded."""
    pp_id, notebook = available.provisioned_product_id, available.notebook_instance_name
    aws.stub("servicecatalog").add_response(
        "search_provisioned_products", {"ProvisionedProducts": []},
        {"AccessLevelFilter": {"Key": "Account", "Value": "self"}, "PageSize": 100})
    aws.stub("servicecatalog").add_response("describe_provisioned_product", {
        "ProvisionedProductDetail": {"Id": pp_id, "Status": "AVAILABLE",
                                     "ProvisioningArtifactId": available.version.artifact_id}},
        {"Id": pp_id})
    aws.stub("sagemaker").add_response("list_notebook_instances", {"NotebookInstances": []},
                                       {"MaxResults": 100})
    aws.stub("sagemaker").add_response("describe_notebook_instance",
                                       {"NotebookInstanceStatus": "Stopped"},
                                       {"NotebookInstanceName": notebook})
    assert environments_reconcile() == {"changed": 1}
    available.refresh_from_db()
    assert available.status == "stopped"


def test_a_failure_half_way_stamps_what_was_compared_and_skips_the_rest(
        scientist: User, monkeypatch: Any) -> None:
    from provisioning import reconcile
    from provisioning.backends import Throttled

    fleet_create(accounts=1, projects_per_account=1, environments_per_project=5,
                 owner=scientist)
    ProvisionedProduct.objects.filter(pp_id__endswith="-3").update(terminated=True)
    describe = reconcile.AccountListing.product

    def throttled_describe(self: Any, provisioned_product_id: str) -> Any:
        if provisioned_product_id.endswith("-3"):
            raise Throttled(operation="DescribeProvisionedProduct", code="ThrottlingException",
                            message="Rate exceeded")
        return describe(self, provisioned_product_id)

    monkeypatch.setattr(reconcile.AccountListing, "product", throttled_describe)
    ordered = list(Environment.objects.order_by("pk").values_list("provisioned_product_id",
                                                                  flat=True))
    before = ordered.index(next(p for p in ordered if p.endswith("-3")))
    assert environments_reconcile() == {k: v for k, v in {
        "unchanged": before, "skipped": 5 - before}.items() if v}
    assert Environment.objects.filter(reconciled_at__isnull=False).count() == before
    assert not Environment.objects.filter(status="terminated").exists()
