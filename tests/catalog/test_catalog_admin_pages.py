"""The platform admin's pages: product list with Sync now, product curation, prices."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from catalog.models import InstancePrice, ParameterOverride, Product, SyncRun
from portal.models import AuditEvent, User
from tests.catalog.conftest import curated_overrides

pytestmark = pytest.mark.django_db


@pytest.fixture
def notebook(demo_catalog: list[Product]) -> Product:
    return Product.objects.get(kind=Product.Kind.NOTEBOOK_INSTANCE)


def _client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_admin_pages_are_refused_to_everyone_else(
    notebook: Product, scientist: User, auditor: User,
) -> None:
    urls = [reverse("catalog:admin_product_list"), reverse("catalog:admin_prices"),
            reverse("catalog:admin_product_detail", args=[notebook.pk])]
    for person in (scientist, auditor):
        client = _client(person)
        for url in urls:
            assert client.get(url).status_code == 403
        assert client.post(reverse("catalog:admin_sync")).status_code == 403
        assert client.post(
            reverse("catalog:admin_parameter_override", args=[notebook.pk, "InstanceType"]),
            {"p-InstanceType-key": "InstanceType", "p-InstanceType-hidden": "on",
             "p-InstanceType-fixed_value": "ml.t3.medium"}).status_code == 403
    assert not curated_overrides().exists()
    assert Client().get(urls[0]).status_code == 302


def test_the_admin_list_shows_every_product_and_recent_syncs(
    notebook: Product, platform_admin: User,
) -> None:
    Product.objects.filter(pk=notebook.pk).update(published=False)
    response = _client(platform_admin).get(reverse("catalog:admin_product_list"))
    assert response.status_code == 200
    body = response.content.decode()
    assert body.count('data-product-id="') == 3
    assert "Sync now" in body and "Succeeded" in body
    assert 'data-nav="catalog:admin_product_list"' in body


def test_sync_now_queues_a_run_and_the_list_shows_it(platform_admin: User,
                                                     django_capture_on_commit_callbacks: object
                                                     ) -> None:
    client = _client(platform_admin)
    with django_capture_on_commit_callbacks() as callbacks:  # type: ignore[operator]
        response = client.post(reverse("catalog:admin_sync"))
    assert response.status_code == 302 and len(callbacks) == 1
    run = SyncRun.objects.get()
    assert run.status == SyncRun.Status.QUEUED and run.trigger == SyncRun.Trigger.BUTTON
    body = client.get(reverse("catalog:admin_product_list")).content.decode()
    assert f'data-run="{run.pk}"' in body and "Queued" in body


def test_the_admin_publishes_and_restricts_a_product_from_its_page(
    notebook: Product, platform_admin: User,
) -> None:
    client = _client(platform_admin)
    url = reverse("catalog:admin_product_detail", args=[notebook.pk])
    assert client.get(url).status_code == 200
    response = client.post(url, {"published": "", "kind": "notebook_instance",
                                 "hide_deprecated": "on",
                                 "output_notebook_instance_name": "NotebookInstanceName"})
    assert response.status_code == 302
    assert Product.objects.get(pk=notebook.pk).published is False
    assert AuditEvent.objects.filter(action="catalog.product_updated", actor=platform_admin,
                                     object_id=str(notebook.pk)).count() == 1


def test_the_admin_hides_a_parameter_and_narrows_another_from_the_product_page(
    notebook: Product, platform_admin: User, scientist: User,
) -> None:
    client = _client(platform_admin)
    kms = "alias/ml-notebooks"  # the template's AllowedPattern: a key id, key ARN or alias/NAME
    response = client.post(
        reverse("catalog:admin_parameter_override", args=[notebook.pk, "KmsKeyId"]),
        {"p-KmsKeyId-key": "KmsKeyId", "p-KmsKeyId-hidden": "on",
         "p-KmsKeyId-fixed_value": kms})
    assert response.status_code == 302
    response = client.post(
        reverse("catalog:admin_parameter_override", args=[notebook.pk, "InstanceType"]),
        {"p-InstanceType-key": "InstanceType", "p-InstanceType-narrow": "on",
         "p-InstanceType-allowed_values": ["ml.t3.medium", "ml.m5.xlarge"],
         "p-InstanceType-label": "Instance size"})
    assert response.status_code == 302
    assert AuditEvent.objects.filter(action="catalog.parameter_override_set",
                                     actor=platform_admin).count() == 2

    form = _client(scientist).get(
        reverse("catalog:product_detail", args=[notebook.pk])).context["form"]
    assert "KmsKeyId" not in form.fields
    assert [c for c, _ in form.fields["InstanceType"].choices] == ["ml.t3.medium", "ml.m5.xlarge"]
    assert form.fields["InstanceType"].label == "Instance size"


def test_a_refused_override_shows_the_error_and_changes_nothing(
    notebook: Product, platform_admin: User,
) -> None:
    response = _client(platform_admin).post(
        reverse("catalog:admin_parameter_override", args=[notebook.pk, "VolumeSizeInGB"]),
        {"p-VolumeSizeInGB-key": "VolumeSizeInGB", "p-VolumeSizeInGB-hidden": "on",
         "p-VolumeSizeInGB-fixed_value": "1000"})
    assert response.status_code == 400
    assert "Must be at most 100." in response.content.decode()
    assert not curated_overrides().exists()


def test_clearing_an_override_from_the_page(notebook: Product, platform_admin: User) -> None:
    ParameterOverride.objects.create(product=notebook, key="InstanceType", label="Size")
    response = _client(platform_admin).post(
        reverse("catalog:admin_parameter_override", args=[notebook.pk, "InstanceType"]),
        {"p-InstanceType-key": "InstanceType", "clear": "1"})
    assert response.status_code == 302
    assert not curated_overrides().exists()


def test_the_admin_edits_prices(platform_admin: User) -> None:
    client = _client(platform_admin)
    response = client.post(reverse("catalog:admin_prices"), {
        "instance_type": "ml.g5.xlarge", "region": "eu-west-1", "usd_per_hour": "1.41"})
    assert response.status_code == 302
    assert InstancePrice.objects.get().usd_per_month == Decimal("1029.30")
    bad = client.post(reverse("catalog:admin_prices"), {
        "instance_type": "g5", "region": "mars", "usd_per_hour": "-1"})
    assert bad.status_code == 400 and InstancePrice.objects.count() == 1
    assert "ml.g5.xlarge" in client.get(reverse("catalog:admin_prices")).content.decode()


def test_the_admin_list_shows_why_a_sync_failed(platform_admin: User) -> None:
    SyncRun.objects.create(trigger=SyncRun.Trigger.SCHEDULE, status=SyncRun.Status.PARTIAL,
                           errors=[{"target": "111111111111/eu-west-1",
                                    "operation": "list_portfolios",
                                    "code": "AccessDeniedException", "message": "denied"}])
    body = _client(platform_admin).get(reverse("catalog:admin_product_list")).content.decode()
    assert "Finished with errors" in body
    assert "111111111111/eu-west-1: list_portfolios AccessDeniedException — denied" in body
