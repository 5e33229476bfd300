"""Curation and sync tell the admin, per version, whether the portal can find what it provisions
and how (from the output keys and parameter keys the sync stored), and flag the versions whose
resource is found only after provisioning. The catalog is synced from the fake AWS."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from catalog.findability import version_findability
from catalog.models import Product
from catalog.sync import catalog_sync, sync_run_start
from portal.models import AuditEvent, User
from tests.provisioning import fake_portal

pytestmark = pytest.mark.django_db
fake_aws = fake_portal.fake_aws
shapes_catalog = fake_portal.shapes_catalog
# Version declarations that identify the resource, and those that do not (stack/tags only).
DECLARED = {
    "fixtures/notebook-fixed-default-name.yaml": "output NotebookInstanceName (output mapping)",
    "fixtures/notebook-name-in-parameter.yaml": "parameter NotebookName",
    "fixtures/notebook-name-sub.yaml": "the ARN in output NotebookArn",
    "fixtures/notebook-outputs-arn-only.yaml": "the ARN in output NotebookArn",
    "fixtures/studio-outputs-domain-id-only.yaml": "parameter UserProfileName (filled",
    "fixtures/studio-profile-arn-only.yaml": "the ARN in output UserProfile",
    "demo/studio-user-profile.yaml": "output UserProfileName (output mapping)",
}
ONLY_AFTER = ["fixtures/notebook-no-outputs.yaml", "fixtures/notebook-outputs-url-only.yaml",
              "fixtures/studio-profile-importvalue.yaml", "local/notebooks-two.yaml"]


@pytest.mark.parametrize("name", sorted(DECLARED))
def test_a_version_that_declares_its_resource_says_how(
        name: str, shapes_catalog: dict[str, Product]) -> None:
    product = shapes_catalog[name]
    found = version_findability(version=product.versions.get(), product=product)
    assert found is not None and found.declared
    assert any(DECLARED[name] in line for line in found.how), found.how


@pytest.mark.parametrize("name", ONLY_AFTER)
def test_a_version_that_does_not_is_found_only_after_provisioning(
        name: str, shapes_catalog: dict[str, Product]) -> None:
    product = shapes_catalog[name]
    found = version_findability(version=product.versions.get(), product=product)
    assert found is not None and not found.declared
    assert "cloudformation:ListStackResources" in found.how[-1]


def test_the_admins_mapping_is_what_it_reads_first(shapes_catalog: dict[str, Product]) -> None:
    product = shapes_catalog["fixtures/notebook-outputs-url-only.yaml"]
    product.output_mapping = {"notebook_instance_name": "OpenNotebookUrl"}
    found = version_findability(version=product.versions.get(), product=product)
    assert found is not None and found.declared
    assert found.how == ["notebook instance name: output OpenNotebookUrl (output mapping)"]


def test_projects_are_found_by_sagemaker_and_other_kinds_have_nothing_to_find(
        shapes_catalog: dict[str, Product]) -> None:
    project = shapes_catalog["fixtures/sagemaker-project-noecho.yaml"]
    found = version_findability(version=project.versions.get(), product=project)
    assert found is not None and found.declared
    project.kind = Product.Kind.OTHER
    assert version_findability(version=project.versions.get(), product=project) is None


def test_the_sync_flags_the_versions_found_only_after_provisioning(
        shapes_catalog: dict[str, Product]) -> None:
    lines: list[str] = []
    run = catalog_sync(run=sync_run_start(trigger="command"), progress=lines.append)
    event = AuditEvent.objects.filter(action="catalog.synced", object_id=str(run.pk)).get()
    flagged = sorted(flag["product"] for flag in event.data["unfindable"])
    assert flagged == sorted(ONLY_AFTER)
    assert {f["code"] for f in event.data["unfindable"]} == {"resource_not_declared"}
    warnings = [line for line in lines if "WARNING" in line]
    assert len(warnings) == len(ONLY_AFTER)
    assert "notebook-no-outputs.yaml: Version v1: the template's outputs" in "".join(warnings)


def test_the_admin_product_page_shows_it_per_version(
        shapes_catalog: dict[str, Product], platform_admin: User, client: Client) -> None:
    client.force_login(platform_admin)
    product = shapes_catalog["fixtures/notebook-no-outputs.yaml"]
    page = client.get(reverse("catalog:admin_product_detail", args=[product.pk]))
    assert page.status_code == 200
    body = page.content.decode()
    assert 'id="findability"' in body and "only after provisioning" in body
    good = shapes_catalog["fixtures/notebook-outputs-arn-only.yaml"]
    body = client.get(reverse("catalog:admin_product_detail", args=[good.pk])).content.decode()
    assert "the ARN in output NotebookArn" in body and "only after provisioning</span>" not in body
