"""Audit events, requests and environments change only through their services: the admin
lets a platform admin look at them and refuses to add, change or delete one."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.db.models import Model
from django.test import RequestFactory

from approvals.models import Request
from portal.models import AuditEvent, Role
from provisioning.admin import EnvironmentEventInline
from provisioning.models import Environment
from tests.conftest import make_user


@pytest.mark.django_db
@pytest.mark.parametrize("model", [AuditEvent, Request, Environment])
def test_the_admin_shows_but_never_writes_service_owned_records(model: type[Model]) -> None:
    request = RequestFactory().get("/admin/")
    request.user = make_user("ada.admin", roles=[Role.CATALOG_ADMIN], is_staff=True)
    model_admin = admin.site._registry[model]
    assert model_admin.has_view_permission(request)
    assert not model_admin.has_add_permission(request)
    assert not model_admin.has_change_permission(request)
    assert not model_admin.has_delete_permission(request)


@pytest.mark.django_db
def test_an_environments_event_history_is_read_only_too() -> None:
    request = RequestFactory().get("/admin/")
    request.user = make_user("ada.admin", roles=[Role.CATALOG_ADMIN], is_staff=True)
    inline = EnvironmentEventInline(Environment, admin.site)
    assert inline.has_view_permission(request)
    assert not inline.has_add_permission(request, None)
    assert not inline.has_change_permission(request)
    assert not inline.has_delete_permission(request)
