"""A hand-over's tags, read back through boto3 from the fake: the provisioned product's own tags
and the notebook's name the new owner (stack update), or only the notebook's (fallback)."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from fakeaws.models import Record
from identity.handover import handover_transfer
from identity.handover_tags import handover_tags_follow
from identity.models import Handover
from identity.offboarding import person_deactivate
from portal.models import AuditEvent, User
from provisioning.backends import backend_for
from provisioning.models import Environment
from tests.provisioning.conftest import console_client

pytestmark = pytest.mark.django_db


def _product_tags(environment: Environment) -> dict[str, str]:
    sc = console_client("servicecatalog", environment.project)
    [found] = sc.search_provisioned_products(
        AccessLevelFilter={"Key": "Account", "Value": "self"},
        Filters={"SearchQuery": [f"id:{environment.provisioned_product_id}"]},
    )["ProvisionedProducts"]
    return {t["Key"]: t["Value"] for t in found["Tags"]}


def _notebook_tags(environment: Environment) -> dict[str, str]:
    backend = backend_for(environment.project)
    _, arn = backend.notebook_describe(notebook_name=environment.notebook_instance_name)
    return backend.resource_tags(arn=arn)


def _hand_over(scientist: User) -> Handover:
    departure = person_deactivate(user=scientist, source="scim")
    handover = Handover.objects.get(departure=departure)
    assert handover_transfer(handover_id=handover.pk) == "done"
    handover.refresh_from_db()
    return handover


def test_the_new_owner_is_in_the_product_tags_and_the_notebook_tags(
        available: Environment, scientist: User, manager: User, identity_tasks: Any,
        django_capture_on_commit_callbacks: Any) -> None:
    before = _product_tags(available)
    with django_capture_on_commit_callbacks(execute=True):
        handover = _hand_over(scientist)

    assert handover.tags_path == Handover.TagsPath.STACK
    record = Record.objects.get(record_id=handover.tags_record_id)
    assert record.record_type == "UPDATE_PROVISIONED_PRODUCT"
    assert record.previous_parameters == record.product.parameters  # every value kept
    after = _product_tags(available)
    assert after["owner"] == manager.owner_id
    assert {k: v for k, v in after.items() if k != "owner"} == {
        k: v for k, v in before.items() if k != "owner"}
    assert _notebook_tags(available)["owner"] == manager.owner_id
    event = AuditEvent.objects.get(action="environment.handed_over")
    assert event.data["tags_path"] == "stack"
    assert event.data["tags_record_id"] == handover.tags_record_id
    assert ("identity.tasks.handover_tags_follow", (handover.pk, 0)) in [
        (name, args) for name, args, _ in identity_tasks.calls]


def test_following_the_tag_record_records_its_success_once(
        available: Environment, scientist: User) -> None:
    handover = _hand_over(scientist)
    assert handover_tags_follow(handover_id=handover.pk) == "SUCCEEDED"
    assert handover_tags_follow(handover_id=handover.pk) == "SUCCEEDED"
    handover.refresh_from_db()
    assert handover.tags_status == "SUCCEEDED"
    [event] = AuditEvent.objects.filter(action="environment.handover_tags")
    assert event.data["status"] == "SUCCEEDED" and event.data["path"] == "stack"


def test_without_tag_updates_allowed_only_the_notebook_tag_changes(
        available: Environment, scientist: User, manager: User,
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("fakeaws.services.sc_provisioning.tag_updates_for",
                        lambda *_: "NOT_ALLOWED")
    handover = _hand_over(scientist)

    assert handover.tags_path == Handover.TagsPath.NOTEBOOK
    assert handover.tags_status == "REFUSED"
    assert "TagUpdateOnProvisionedProduct" in handover.tags_detail
    assert not Record.objects.filter(record_type="UPDATE_PROVISIONED_PRODUCT").exists()
    assert _product_tags(available)["owner"] == scientist.owner_id  # AWS kept the leaver's
    assert _notebook_tags(available)["owner"] == manager.owner_id
    available.refresh_from_db()
    assert available.owner == manager
    event = AuditEvent.objects.get(action="environment.handed_over")
    assert event.data["tags_path"] == "notebook" and event.data["tags_status"] == "REFUSED"


def test_a_failed_tag_record_falls_back_to_the_notebook_tag(
        available: Environment, scientist: User, manager: User) -> None:
    handover = _hand_over(scientist)
    Record.objects.filter(record_id=handover.tags_record_id).update(failure="Stack broke.")
    backend = backend_for(available.project)
    _, arn = backend.notebook_describe(notebook_name=available.notebook_instance_name)
    backend.resource_tags_add(arn=arn, tags={"owner": scientist.owner_id})

    assert handover_tags_follow(handover_id=handover.pk) == "FAILED"
    handover.refresh_from_db()
    assert handover.tags_path == Handover.TagsPath.NOTEBOOK
    assert _notebook_tags(available)["owner"] == manager.owner_id
    event = AuditEvent.objects.get(action="environment.handover_tags")
    assert event.data["status"] == "FAILED" and event.data["path"] == "notebook"


def test_the_leavers_report_says_which_path_was_taken(
        available: Environment, scientist: User, platform_admin: User) -> None:
    _hand_over(scientist)
    client = Client()
    client.force_login(platform_admin)
    page = client.get("/people/leavers/").content.decode()
    assert 'data-path="stack"' in page
    assert "Provisioned product (stack update)" in page
