"""AuditEvent is append-only: the ORM refuses changes, and the database refuses them too."""

from __future__ import annotations

import pytest
from django.db import DatabaseError, connection, transaction

from portal.models import AppendOnlyError, AuditEvent, User


@pytest.fixture
def event(scientist: User) -> AuditEvent:
    return AuditEvent.objects.create(
        action="auth.sign_in", actor=scientist, actor_username=scientist.username
    )


def _stored_action(event: AuditEvent) -> str:
    return AuditEvent.objects.values_list("action", flat=True).get(pk=event.pk)


def test_it_stores_a_new_event(event: AuditEvent) -> None:
    assert _stored_action(event) == "auth.sign_in"


def test_it_refuses_to_save_a_changed_event(event: AuditEvent) -> None:
    event.action = "auth.sign_out"
    with pytest.raises(AppendOnlyError):
        event.save()
    assert _stored_action(event) == "auth.sign_in"


def test_it_refuses_to_save_with_update_fields(event: AuditEvent) -> None:
    loaded = AuditEvent.objects.get(pk=event.pk)
    loaded.action = "auth.sign_out"
    with pytest.raises(AppendOnlyError):
        loaded.save(update_fields=["action"])
    assert _stored_action(event) == "auth.sign_in"


def test_it_refuses_to_overwrite_an_event_through_a_new_instance_with_its_id(
    event: AuditEvent,
) -> None:
    """Saving a fresh instance is always an INSERT whose id the hash chain draws: a caller's
    id is refused (the database would refuse a duplicate key anyway)."""
    forged = AuditEvent(pk=event.pk, action="forged")
    with pytest.raises(AppendOnlyError), transaction.atomic():
        forged.save()
    assert _stored_action(event) == "auth.sign_in"


def test_it_refuses_a_forced_update(event: AuditEvent) -> None:
    forged = AuditEvent(pk=event.pk, action="forged")
    with pytest.raises(AppendOnlyError), transaction.atomic():
        forged.save(force_update=True)
    assert _stored_action(event) == "auth.sign_in"


def test_it_refuses_to_delete_an_event(event: AuditEvent) -> None:
    with pytest.raises(AppendOnlyError):
        event.delete()
    assert AuditEvent.objects.filter(pk=event.pk).exists()


def test_it_refuses_a_queryset_update(event: AuditEvent) -> None:
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.filter(pk=event.pk).update(action="forged")
    assert _stored_action(event) == "auth.sign_in"


def test_it_refuses_a_queryset_delete(event: AuditEvent) -> None:
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.all().delete()
    assert AuditEvent.objects.filter(pk=event.pk).exists()


def test_it_refuses_a_bulk_update(event: AuditEvent) -> None:
    event.action = "forged"
    with pytest.raises(AppendOnlyError), transaction.atomic():
        AuditEvent.objects.bulk_update([event], ["action"])
    assert _stored_action(event) == "auth.sign_in"


def test_it_refuses_update_or_create_on_an_existing_event(event: AuditEvent) -> None:
    with pytest.raises(AppendOnlyError), transaction.atomic():
        AuditEvent.objects.update_or_create(pk=event.pk, defaults={"action": "forged"})
    assert _stored_action(event) == "auth.sign_in"


def test_the_database_refuses_a_raw_update(event: AuditEvent) -> None:
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE portal_auditevent SET action = %s WHERE id = %s", ["forged", event.pk]
            )
    assert _stored_action(event) == "auth.sign_in"


def test_the_database_refuses_a_raw_delete_on_postgresql(event: AuditEvent) -> None:
    """PostgreSQL guards deletes too; SQLite cannot (Django's test flush deletes row by row)."""
    delete = "DELETE FROM portal_auditevent WHERE id = %s"
    if connection.vendor == "postgresql":
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute(delete, [event.pk])
        assert AuditEvent.objects.filter(pk=event.pk).exists()
    else:
        assert connection.vendor == "sqlite"
        with connection.cursor() as cursor:
            cursor.execute(delete, [event.pk])
        assert not AuditEvent.objects.filter(pk=event.pk).exists()

