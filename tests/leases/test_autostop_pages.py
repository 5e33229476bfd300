"""The auto-stop on pages: shown to the requester (request form, product page) and on the
environment page with the next stop; the owner's opt-out switch (CSRF, audited, only where
allowed); the admin-curated policies (audited, picked up by the next sweep); time zones."""

from __future__ import annotations

from datetime import UTC, datetime, time
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.test import Client

from leases.models import AutoStop, StopPolicy
from portal.models import AuditEvent, User
from portal.time_zones import time_zone_validate
from provisioning.models import Environment, EnvironmentEvent
from tests.leases.autostop_support import Clock, notebooks, policy

pytestmark = pytest.mark.django_db


@pytest.fixture
def env(scientist: User, project: Any, notebook: Any, clock: Clock) -> Environment:
    scientist.time_zone = "Europe/Paris"
    scientist.save(update_fields=["time_zone"])
    clock.set(datetime(2026, 3, 2, 9, tzinfo=UTC))  # Monday 10:00 in Paris
    [made] = notebooks(1, owner=scientist, project=project, notebook=notebook,
                       at=clock.now, last_activity_at=clock.now)
    return made


def switch(client: Client, environment: Environment, off: str) -> Any:
    return client.post(f"/leases/{environment.pk}/autostop", {"off": off})


def test_the_environment_page_says_the_rules_and_the_next_stop_on_the_owners_clock(
        client: Client, scientist: User, project: Any, env: Environment) -> None:
    policy(project=project, idle_hours=4)
    client.force_login(scientist)
    page = client.get(f"/environments/{env.pk}/").content.decode()
    assert ("Stops weekdays 20:00 Europe/Paris; idle stop after 4 h without an open; next at "
            "2026-03-02 14:00 CET.") in page  # the idle deadline comes before 20:00
    assert 'id="autostop-form"' not in page  # the admin does not allow opting out


def test_no_policy_no_auto_stop_card(client: Client, scientist: User,
                                     env: Environment) -> None:
    client.force_login(scientist)
    assert 'id="autostop"' not in client.get(f"/environments/{env.pk}/").content.decode()


def test_the_request_form_and_the_product_page_show_what_will_stop_it(
        client: Client, scientist: User, project: Any, notebook: Any) -> None:
    product, _ = notebook
    policy(product=product, stop_at=None, idle_hours=6, owners_may_opt_out=True)
    client.force_login(scientist)
    for url in (f"/catalog/{product.pk}/", f"/requests/new?product={product.pk}"):
        page = client.get(url).content.decode()
        assert 'id="autostop-rules"' in page, url
        assert "idle stop after 6 h without an open" in page
        assert "you may switch it off for your environment" in page


def test_the_owner_opts_out_where_allowed_audited_and_on_the_timeline(
        client: Client, scientist: User, project: Any, env: Environment) -> None:
    policy(project=project, owners_may_opt_out=True)
    client.force_login(scientist)
    assert 'id="autostop-form"' in client.get(f"/environments/{env.pk}/").content.decode()
    assert switch(client, env, "1").status_code == 302
    state = AutoStop.objects.get(pk=env.pk)
    assert state.opted_out and state.opted_out_by == scientist and state.due_at is None
    audit = AuditEvent.objects.get(action="autostop.opted_out")
    assert audit.actor == scientist and audit.object_id == str(env.pk)
    assert EnvironmentEvent.objects.filter(
        environment=env, message__startswith="Auto-stop switched off").exists()
    assert "Switched off by the owner" in client.get(f"/environments/{env.pk}/").content.decode()
    assert switch(client, env, "0").status_code == 302
    state.refresh_from_db()
    assert not state.opted_out and state.due_at is not None
    assert AuditEvent.objects.filter(action="autostop.opted_in").count() == 1


def test_opting_out_where_the_admin_does_not_allow_it_changes_nothing(
        client: Client, scientist: User, project: Any, env: Environment) -> None:
    policy(project=project, owners_may_opt_out=False)
    client.force_login(scientist)
    response = switch(client, env, "1")
    assert response.status_code == 302
    page = client.get(response["Location"]).content.decode()
    assert "do not allow opting out" in page
    assert not AutoStop.objects.filter(opted_out=True).exists()
    assert not AuditEvent.objects.filter(action__startswith="autostop.").exists()


@pytest.mark.parametrize("off", ["", "yes", "2"])
def test_a_bad_switch_value_is_a_clear_error_and_changes_nothing(
        off: str, client: Client, scientist: User, project: Any, env: Environment) -> None:
    policy(project=project, owners_may_opt_out=True)
    client.force_login(scientist)
    response = switch(client, env, off)
    assert "Say whether" in client.get(response["Location"]).content.decode()
    assert not AutoStop.objects.filter(opted_out=True).exists()


def test_the_switch_needs_the_csrf_token_and_the_owner(
        scientist: User, colleague: User, platform_admin: User, project: Any,
        env: Environment) -> None:
    policy(project=project, owners_may_opt_out=True)
    guarded = Client(enforce_csrf_checks=True)
    guarded.force_login(scientist)
    assert switch(guarded, env, "1").status_code == 403
    admin = Client()
    admin.force_login(platform_admin)
    assert switch(admin, env, "1").status_code == 403  # sees it, does not own it
    other = Client()
    other.force_login(colleague)
    assert switch(other, env, "1").status_code == 404
    assert not AutoStop.objects.filter(opted_out=True).exists()


def test_a_platform_admin_curates_a_policy_audited_and_the_next_sweep_looks_again(
        client: Client, platform_admin: User, project: Any, env: Environment,
        clock: Clock) -> None:
    AutoStop.objects.create(environment=env, due_at=None)
    client.force_login(platform_admin)
    response = client.post("/admin/leases/stoppolicy/add/", {
        "project": project.pk, "product": "", "weekdays": "01234", "stop_at": "20:00",
        "idle_hours": "4", "owners_may_opt_out": ""})
    assert response.status_code == 302, response.content.decode()[:2000]
    made = StopPolicy.objects.get(project=project)
    assert (made.weekdays, made.stop_at, made.idle_hours) == ("01234", time(20, 0), 4)
    assert AuditEvent.objects.filter(action="stoppolicy.created", actor=platform_admin,
                                     object_id=str(made.pk)).exists()
    assert AutoStop.objects.get(pk=env.pk).due_at == clock.now


@pytest.mark.parametrize("form", [
    {"weekdays": "0178", "stop_at": "20:00"},  # 7 and 8 are no days
    {"weekdays": "01234", "stop_at": ""},  # days without a time
    {"weekdays": "", "stop_at": "", "idle_hours": ""},  # nothing to do
])
def test_a_bad_policy_is_refused_with_nothing_saved(
        form: dict[str, str], client: Client, platform_admin: User, project: Any) -> None:
    client.force_login(platform_admin)
    data = {"project": project.pk, "product": "", "idle_hours": "", **form}
    response = client.post("/admin/leases/stoppolicy/add/", data)
    assert response.status_code == 200 and b"errornote" in response.content
    assert not StopPolicy.objects.exists()


@pytest.mark.parametrize("name", ["Europe/Paris", "America/New_York", "UTC", ""])
def test_a_time_zone_is_an_iana_name(name: str) -> None:
    time_zone_validate(name)


@pytest.mark.parametrize("name", ["Mars/Olympus", "CET+1", "../etc/passwd", " Europe/Paris"])
def test_anything_else_is_refused(name: str) -> None:
    with pytest.raises(ValidationError):
        time_zone_validate(name)


def test_the_owner_sets_their_time_zone_audited_and_their_next_stops_are_recomputed(
        client: Client, scientist: User, project: Any, env: Environment, clock: Clock) -> None:
    policy(project=project)
    AutoStop.objects.create(environment=env, due_at=datetime(2026, 3, 2, 19, tzinfo=UTC))
    client.force_login(scientist)
    page = client.get(f"/environments/{env.pk}/").content.decode()
    assert 'id="time-zone-form"' in page
    response = client.post("/leases/time-zone", {"time_zone": "America/New_York",
                                                 "next": f"/environments/{env.pk}/"})
    assert response.status_code == 302 and response["Location"] == f"/environments/{env.pk}/"
    scientist.refresh_from_db()
    assert scientist.time_zone == "America/New_York"
    audit = AuditEvent.objects.get(action="user.time_zone_changed")
    assert audit.data == {"before": "Europe/Paris", "after": "America/New_York"}
    assert AutoStop.objects.get(pk=env.pk).due_at == clock.now
    assert "Stops weekdays 20:00 America/New_York" in client.get(
        f"/environments/{env.pk}/").content.decode()


def test_a_bad_time_zone_is_refused_and_an_outside_next_is_not_followed(
        client: Client, scientist: User, env: Environment) -> None:
    client.force_login(scientist)
    response = client.post("/leases/time-zone", {"time_zone": "Mars/Olympus",
                                                 "next": "https://evil.example/"})
    assert response["Location"] == "/"
    assert "not an IANA time zone name" in client.get("/").content.decode()
    scientist.refresh_from_db()
    assert scientist.time_zone == "Europe/Paris"
    assert not AuditEvent.objects.filter(action="user.time_zone_changed").exists()
