"""Curation services: every change checked, every change audited, platform admins only."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from catalog.models import InstancePrice, ParameterOverride, Product, SyncRun
from catalog.services import (
    catalog_sync_request,
    instance_price_set,
    parameter_override_clear,
    parameter_override_set,
    product_update,
)
from portal.models import AuditEvent, Project, User
from tests.catalog.conftest import curated_overrides

pytestmark = pytest.mark.django_db


@pytest.fixture
def notebook(demo_catalog: list[Product]) -> Product:
    return Product.objects.get(kind=Product.Kind.NOTEBOOK_INSTANCE)


def _events(action: str) -> list[AuditEvent]:
    # Events of people (the demo seed's curation has no actor).
    return list(AuditEvent.objects.filter(action=action, actor__isnull=False).order_by("id"))


def test_an_admin_narrows_instance_types_to_a_subset_and_it_is_audited(
    notebook: Product, platform_admin: User,
) -> None:
    parameter_override_set(product=notebook, key="InstanceType", actor=platform_admin,
                           allowed_values=["ml.t3.medium", "ml.m5.xlarge"], label="Size")
    override = ParameterOverride.objects.get(product=notebook, key="InstanceType")
    assert override.allowed_values == ["ml.t3.medium", "ml.m5.xlarge"]
    (event,) = _events("catalog.parameter_override_set")
    assert event.actor == platform_admin
    assert event.data["after"]["allowed_values"] == ["ml.t3.medium", "ml.m5.xlarge"]
    assert event.data["before"] is None


def test_narrowing_to_a_value_aws_does_not_allow_is_refused_and_changes_nothing(
    notebook: Product, platform_admin: User,
) -> None:
    with pytest.raises(ValidationError) as caught:
        parameter_override_set(product=notebook, key="InstanceType", actor=platform_admin,
                               allowed_values=["ml.t3.medium", "ml.x1.32xlarge"])
    assert "AWS does not allow ml.x1.32xlarge" in caught.value.message_dict["allowed_values"][0]
    assert not curated_overrides().exists()
    assert not _events("catalog.parameter_override_set")


def test_narrowing_to_nothing_is_refused(notebook: Product, platform_admin: User) -> None:
    with pytest.raises(ValidationError, match="at least one"):
        parameter_override_set(product=notebook, key="InstanceType", actor=platform_admin,
                               allowed_values=[])


def test_a_hidden_parameter_needs_a_fixed_value_that_the_spec_allows(
    notebook: Product, platform_admin: User,
) -> None:
    with pytest.raises(ValidationError) as caught:
        parameter_override_set(product=notebook, key="VolumeSizeInGB", actor=platform_admin,
                               hidden=True, fixed_value="500")
    assert caught.value.message_dict == {"fixed_value": ["Must be at most 100. (version v2)"]}
    with pytest.raises(ValidationError, match="needs its fixed value"):
        parameter_override_set(product=notebook, key="VolumeSizeInGB", actor=platform_admin,
                               hidden=True)
    parameter_override_set(product=notebook, key="VolumeSizeInGB", actor=platform_admin,
                           hidden=True, fixed_value="50")
    assert ParameterOverride.objects.get(key="VolumeSizeInGB").fixed_value == "50"


def test_a_fixed_value_outside_the_narrowed_values_is_refused(
    notebook: Product, platform_admin: User,
) -> None:
    with pytest.raises(ValidationError) as caught:
        parameter_override_set(product=notebook, key="InstanceType", actor=platform_admin,
                               allowed_values=["ml.t3.medium"], hidden=True,
                               fixed_value="ml.m5.xlarge")
    assert "fixed_value" in caught.value.message_dict


def test_a_default_must_pass_the_spec(notebook: Product, platform_admin: User) -> None:
    with pytest.raises(ValidationError) as caught:
        parameter_override_set(product=notebook, key="NotebookInstanceName", actor=platform_admin,
                               default="not a valid name!")
    assert "default" in caught.value.message_dict


def test_an_override_applies_to_every_version_that_has_the_parameter(
    notebook: Product, platform_admin: User,
) -> None:
    # v1 has no VolumeSizeInGB, v2 does: the override is checked against v2 only.
    parameter_override_set(product=notebook, key="VolumeSizeInGB", actor=platform_admin,
                           default="40")
    with pytest.raises(ValidationError, match="no parameter"):
        parameter_override_set(product=notebook, key="NoSuchKey", actor=platform_admin)


def test_saving_the_same_override_twice_records_one_event(
    notebook: Product, platform_admin: User,
) -> None:
    for _ in range(2):
        parameter_override_set(product=notebook, key="InstanceType", actor=platform_admin,
                               label="Size")
    assert len(_events("catalog.parameter_override_set")) == 1


def test_clearing_an_override_goes_back_to_the_aws_spec_and_is_audited(
    notebook: Product, platform_admin: User,
) -> None:
    parameter_override_set(product=notebook, key="InstanceType", actor=platform_admin,
                           label="Size")
    parameter_override_clear(product=notebook, key="InstanceType", actor=platform_admin)
    assert not curated_overrides().exists()
    assert _events("catalog.parameter_override_cleared")[0].data["key"] == "InstanceType"


def test_people_who_are_not_platform_admins_cannot_curate(
    notebook: Product, scientist: User, auditor: User,
) -> None:
    for person in (scientist, auditor):
        with pytest.raises(PermissionDenied):
            parameter_override_set(product=notebook, key="InstanceType", actor=person, label="x")
        with pytest.raises(PermissionDenied):
            product_update(product=notebook, actor=person, published=False)
        with pytest.raises(PermissionDenied):
            instance_price_set(instance_type="ml.t3.medium", region="eu-west-1",
                               usd_per_hour=Decimal("1"), actor=person)
        with pytest.raises(PermissionDenied):
            catalog_sync_request(actor=person)
    assert not curated_overrides().exists()


def test_product_update_records_what_changed(
    notebook: Product, platform_admin: User, project: Project,
) -> None:
    group = Group.objects.create(name="ml-gpu-users")
    v2 = notebook.versions.get(name="v2")
    product_update(product=notebook, actor=platform_admin, published=False,
                   visible_to_groups=[group], visible_to_projects=[project],
                   default_version=v2, hide_deprecated=False,
                   output_mapping={"notebook_instance_name": "NotebookName"})
    notebook.refresh_from_db()
    assert (notebook.published, notebook.default_version, notebook.hide_deprecated) == (
        False, v2, False)
    (event,) = _events("catalog.product_updated")
    assert event.data["changes"] == {
        "published": {"before": True, "after": False},
        "default_version": {"before": None, "after": "v2"},
        "hide_deprecated": {"before": True, "after": False},
        "output_mapping": {"before": {"notebook_instance_name": "NotebookInstanceName"},
                           "after": {"notebook_instance_name": "NotebookName"}},
        "visible_to_groups": {"before": [], "after": ["ml-gpu-users"]},
        "visible_to_projects": {"before": [], "after": ["fraud"]},
    }


def test_product_update_without_a_change_records_nothing(
    notebook: Product, platform_admin: User,
) -> None:
    product_update(product=notebook, actor=platform_admin, published=True)
    assert not _events("catalog.product_updated")


def test_a_retired_product_cannot_be_published(notebook: Product, platform_admin: User) -> None:
    Product.objects.filter(pk=notebook.pk).update(retired_at=timezone.now(), published=False)
    with pytest.raises(ValidationError):
        product_update(product=notebook, actor=platform_admin, published=True)


def test_the_default_version_must_belong_to_the_product_and_be_active(
    demo_catalog: list[Product], notebook: Product, platform_admin: User,
) -> None:
    other = Product.objects.exclude(pk=notebook.pk).first().versions.first()
    with pytest.raises(ValidationError):
        product_update(product=notebook, actor=platform_admin, default_version=other)
    with pytest.raises(ValidationError):
        product_update(product=notebook, actor=platform_admin, kind="spaceship")


def test_prices_are_created_and_changed_with_an_audit_event(platform_admin: User) -> None:
    instance_price_set(instance_type="ml.g5.xlarge", region="eu-west-1",
                       usd_per_hour=Decimal("1.41"), actor=platform_admin)
    instance_price_set(instance_type="ml.g5.xlarge", region="eu-west-1",
                       usd_per_hour=Decimal("1.50"), actor=platform_admin)
    price = InstancePrice.objects.get()
    assert price.usd_per_hour == Decimal("1.50")
    assert price.usd_per_month == Decimal("1095.00")
    assert [e.data["before"] for e in _events("catalog.price_set")] == [None, "1.4100"]
    with pytest.raises(ValidationError):
        instance_price_set(instance_type="ml.g5.xlarge", region="eu-west-1",
                           usd_per_hour=Decimal("-1"), actor=platform_admin)
    price.refresh_from_db()
    assert price.usd_per_hour == Decimal("1.50")


def test_sync_now_queues_a_run_and_hands_it_to_a_worker_after_commit(
    platform_admin: User, django_capture_on_commit_callbacks: object,
) -> None:
    with django_capture_on_commit_callbacks() as callbacks:  # type: ignore[operator]
        run = catalog_sync_request(actor=platform_admin)
    assert run.status == SyncRun.Status.QUEUED and run.requested_by == platform_admin
    assert len(callbacks) == 1
    assert _events("catalog.sync_requested")[0].object_id == str(run.pk)


def test_an_admin_marks_what_a_change_request_may_do_with_a_parameter(
    notebook: Product, platform_admin: User,
) -> None:
    from catalog.parameters import parameters_effective

    version = notebook.versions.filter(parameters__key="NotebookInstanceName").first()
    assert version is not None
    by_key = {p.key: p for p in parameters_effective(version=version)}
    assert by_key["NotebookInstanceName"].on_change == "keep"  # the portal's own default
    assert by_key["InstanceType"].on_change == ""
    parameter_override_set(product=notebook, key="NotebookInstanceName", actor=platform_admin,
                           on_change="replace")
    parameter_override_set(product=notebook, key="InstanceType", actor=platform_admin,
                           on_change="keep")
    by_key = {p.key: p for p in parameters_effective(version=version)}
    assert (by_key["NotebookInstanceName"].on_change, by_key["InstanceType"].on_change) == (
        "replace", "keep")
    (_, event) = _events("catalog.parameter_override_set")
    assert event.data["after"]["on_change"] == "keep"


def test_an_unknown_change_marking_is_refused(notebook: Product, platform_admin: User) -> None:
    with pytest.raises(ValidationError) as refused:
        parameter_override_set(product=notebook, key="InstanceType", actor=platform_admin,
                               on_change="anything")
    assert "on_change" in refused.value.message_dict
    assert not ParameterOverride.objects.filter(key="InstanceType", on_change="anything").exists()


def test_sagemakers_own_project_parameters_cannot_be_curated(
    demo_catalog: list[Product], platform_admin: User,
) -> None:
    mlops = Product.objects.get(kind=Product.Kind.SAGEMAKER_PROJECT)
    with pytest.raises(ValidationError) as refused:
        parameter_override_set(product=mlops, key="SageMakerProjectName", actor=platform_admin,
                               hidden=False, label="Project name")
    assert refused.value.message_dict["key"] == [
        "SageMaker fills SageMakerProjectName itself for a project: it is never a form field "
        "and cannot be curated."]
    assert not ParameterOverride.objects.filter(product=mlops).exists()
