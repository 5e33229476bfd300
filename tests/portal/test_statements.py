"""Statements compiled once per process (portal.statements): the session's row, the person by
primary key, and the menu's counts read what the ORM's querysets read, with each request's
values in the parameters, and a queryset whose SQL is not only parameters is refused."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.sessions.backends.db import SessionStore as DjangoSessionStore
from django.contrib.sessions.models import Session
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from portal.models import Notification, Role, User
from portal.sessions import SessionStore
from portal.statements import MARKER_ID, MARKER_TEXT, Slot, Statement
from tests.conftest import make_user

pytestmark = pytest.mark.django_db


def _by_username() -> Statement:
    return Statement(lambda name: User.objects.filter(username=name).values_list("pk", "roles"),
                     name=Slot(User._meta.get_field("username"), MARKER_TEXT))


def test_a_statement_reads_each_call_with_its_own_values(scientist: User, manager: User) -> None:
    statement = _by_username()
    assert statement.rows(name="dana.scientist") == [[scientist.pk, []]]
    # The JSON column converted as the ORM converts it (a list, not its text).
    assert statement.rows(name="maria.manager") == [[manager.pk, [Role.APPROVER]]]
    assert statement.rows(name="nobody") == []


def test_its_sql_is_compiled_once(scientist: User) -> None:
    built: list[str] = []

    def build(name: str) -> object:
        built.append(name)
        return User.objects.filter(username=name)

    statement = Statement(build, name=Slot(User._meta.get_field("username"),  # type: ignore[arg-type]
                                           MARKER_TEXT))
    for _ in range(3):
        assert [u.pk for u in statement.instances(User, name="dana.scientist")] == [scientist.pk]
    assert built == [MARKER_TEXT]


def test_a_slot_missing_from_the_parameters_is_refused(scientist: User) -> None:
    # The value decides which query is built, not a parameter of it: nothing to fill in.
    statement = Statement(lambda pk: User.objects.filter(is_active=True) if pk else
                          User.objects.filter(pk=pk),
                          pk=Slot(User._meta.pk, MARKER_ID))  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="slot 'pk'"):
        statement.rows(pk=scientist.pk)


def test_the_person_by_primary_key_is_the_orm_s_row(scientist: User) -> None:
    scientist.roles = [Role.AUDITOR]
    scientist.last_saml_sign_in = timezone.now()
    scientist.save()
    with CaptureQueriesContext(connection) as queries:
        fetched = User.objects.get(pk=scientist.pk)
    expected = User.objects.filter(pk=scientist.pk).get()
    assert len(queries) == 1
    assert type(fetched) is User and fetched._state.db == "default" and not fetched._state.adding
    assert {f.attname: getattr(fetched, f.attname) for f in User._meta.concrete_fields} == \
        {f.attname: getattr(expected, f.attname) for f in User._meta.concrete_fields}
    assert fetched.roles == [Role.AUDITOR] and fetched.last_saml_sign_in == \
        scientist.last_saml_sign_in
    with pytest.raises(User.DoesNotExist):
        User.objects.get(pk=scientist.pk + 1000)
    # Anything but a lone primary key is the queryset's own get.
    assert User.objects.get(username="dana.scientist") == scientist
    with pytest.raises(User.DoesNotExist):
        User.objects.get(pk=scientist.pk, is_active=False)


def test_a_session_loads_its_row_and_an_expired_or_unknown_one_starts_empty(
        scientist: User) -> None:
    stored = DjangoSessionStore()
    stored["answer"] = 42
    stored.create()
    with CaptureQueriesContext(connection) as queries:
        assert SessionStore(stored.session_key)["answer"] == 42
    assert len(queries) == 1
    unknown = SessionStore("x" * 32)
    assert unknown.load() == {} and unknown.session_key is None
    Session.objects.filter(session_key=stored.session_key).update(
        expire_date=timezone.now() - timedelta(seconds=1))
    expired = SessionStore(stored.session_key)
    assert expired.load() == {} and expired.session_key is None


def test_a_signed_in_page_keeps_its_person_and_signing_out_ends_it(scientist: User) -> None:
    client = Client()
    client.force_login(scientist)
    assert "dana.scientist" in client.get("/").content.decode()
    other = make_user("olga.other")
    other_client = Client()
    other_client.force_login(other)
    assert 'title="olga.other"' in other_client.get("/").content.decode()
    assert 'title="dana.scientist"' in client.get("/").content.decode()
    client.post("/accounts/logout/")
    assert client.get("/").status_code == 302


def test_the_menu_counts_each_person_s_own_unread_notices(scientist: User, manager: User) -> None:
    from config.navigation import waiting_for

    Notification.objects.create(recipient=scientist, kind="ready", text="Ready")
    Notification.objects.create(recipient=scientist, kind="ready", text="Ready again")
    Notification.objects.create(recipient=manager, kind="ready", text="Yours")
    assert waiting_for(user=scientist, approver=False).unread == 2
    assert waiting_for(user=manager, approver=False).unread == 1
