"""What the IdP sends is cut to the length each profile field holds (PostgreSQL refuses a longer
value; SQLite would keep it), an audit event's object text to 300 characters, and an assertion
without an expiry is remembered (against replay) for an hour."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from portal.models import AuditEvent, Project, SeenAssertion, User
from portal.saml_config import saml_app_settings
from portal.services import audit_record, saml_assertion_consume, user_sync_from_saml
from tests.conftest import make_user

pytestmark = pytest.mark.django_db
ATTRIBUTE_NAMES = saml_app_settings({})["portal_attributes"]


@pytest.fixture(autouse=True)
def _owner_template(settings: Any) -> None:
    settings.PORTAL_OWNER_ID_TEMPLATE = "{aws_role_id}:{username}"
    settings.PORTAL_AWS_ROLE_ID = "R" * 300


def test_each_profile_field_keeps_at_most_what_its_column_holds() -> None:
    nina = make_user("nina.long")
    raw = {"uid": ["nina.long"], "mail": ["nina@bank.example"], "givenName": ["g" * 400],
           "sn": ["s" * 400], "department": ["d" * 400], "costCenter": ["c" * 400],
           "manager": ["m" * 400], "groups": ["data-scientists"]}
    user_sync_from_saml(user=nina, raw_attributes=raw, attribute_names=ATTRIBUTE_NAMES)
    nina = User.objects.get(pk=nina.pk)
    lengths = {field: len(getattr(nina, field)) for field in (
        "first_name", "last_name", "department", "cost_center", "manager_ref", "owner_id")}
    assert lengths == {"first_name": 150, "last_name": 150, "department": 200,
                       "cost_center": 100, "manager_ref": 254, "owner_id": 256}
    assert {f: User._meta.get_field(f).max_length for f in lengths} == lengths


def test_a_group_name_longer_than_a_django_group_is_cut_to_150() -> None:
    nina = make_user("nina.groups")
    user_sync_from_saml(user=nina, raw_attributes={"uid": ["nina.groups"], "groups": ["x" * 200]},
                        attribute_names=ATTRIBUTE_NAMES)
    assert [len(g.name) for g in nina.groups.all()] == [150]


def test_an_audit_event_keeps_the_first_300_characters_of_the_object() -> None:
    project = Project(slug="long", name="p" * 299 + "END-OF-NAME")
    event = audit_record(action="test.long", obj=project)
    assert AuditEvent.objects.get(pk=event.pk).object_repr == "p" * 299 + "E"


def test_an_assertion_without_an_expiry_is_remembered_for_an_hour() -> None:
    before = timezone.now()
    saml_assertion_consume(assertion_id="_a1", not_on_or_after=None)
    kept = SeenAssertion.objects.get(assertion_id="_a1").not_on_or_after
    assert before + timedelta(minutes=59) < kept <= timezone.now() + timedelta(hours=1)
    expiry = before + timedelta(minutes=5)
    saml_assertion_consume(assertion_id="_a2", not_on_or_after=expiry)
    assert SeenAssertion.objects.get(assertion_id="_a2").not_on_or_after == expiry


def test_a_sign_in_sync_that_fails_part_way_changes_nothing(
        monkeypatch: pytest.MonkeyPatch, settings: Any) -> None:
    settings.PORTAL_ROLE_GROUPS = {"auditor": ["it-audit"]}
    nina = make_user("nina.half", department="Fraud")

    def audit_down(**kwargs: Any) -> None:
        raise RuntimeError("audit store down")

    monkeypatch.setattr("portal.services.audit_record", audit_down)  # after the user's save
    with pytest.raises(RuntimeError):
        user_sync_from_saml(user=nina, raw_attributes={
            "uid": ["nina.half"], "department": ["Elsewhere"], "groups": ["it-audit"]},
            attribute_names=ATTRIBUTE_NAMES)
    stored = User.objects.get(pk=nina.pk)
    assert (stored.department, stored.roles, list(stored.groups.all())) == ("Fraud", [], [])
