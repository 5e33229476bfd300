"""Django admin for platform admins: projects and memberships; people and audit read-only."""

from __future__ import annotations

from functools import cached_property
from typing import Any

from django.contrib import admin
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Model, QuerySet
from django.forms import ModelForm
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse

from portal.audit_actions import known_audit_actions
from portal.models import AuditEvent, FailedEmail, Membership, Project, User
from portal.services import audit_record
from portal.views import AUDIT_PAGE_CAP
from portal.worker_health import worker_problem


def admin_sign_in(request: HttpRequest, extra_context: Any = None) -> HttpResponse:
    """The admin has no password form of its own: people sign in on the portal's page, where
    SSO is used and PORTAL_LOCAL_LOGIN alone decides whether a password is accepted."""
    if request.user.is_authenticated:
        if admin.site.has_permission(request):
            return redirect("admin:index")
        raise PermissionDenied("The admin is for platform admins.")
    return redirect_to_login(request.GET.get("next") or reverse("admin:index"),
                             login_url=reverse("account_login"))


admin.site.login = admin_sign_in  # type: ignore[method-assign]

_django_admin_index = admin.site.index


def admin_index(request: HttpRequest, extra_context: Any = None) -> HttpResponse:
    """The admin index, with a warning when no Celery worker has answered recently."""
    context = {"worker_problem": worker_problem(), **(extra_context or {})}
    return _django_admin_index(request, extra_context=context)


admin.site.index = admin_index  # type: ignore[method-assign,assignment]
admin.site.index_template = "admin/portal_index.html"


class PlatformAdminOnly:
    """Admin access follows the portal role, not Django's per-model permission tables."""

    def _is_admin(self, request: HttpRequest) -> bool:
        return bool(getattr(request.user, "is_catalog_admin", False))

    def has_module_permission(self, request: HttpRequest) -> bool:
        return self._is_admin(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._is_admin(request)

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return self._is_admin(request)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._is_admin(request)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._is_admin(request)


class ReadOnlyAdmin(PlatformAdminOnly):
    """Records that change only through their services (audit events, requests, environments):
    platform admins may look, nobody adds, edits or deletes them here."""

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class AuditedAdmin(PlatformAdminOnly, admin.ModelAdmin[Model]):
    """Every change made through the admin lands in the audit trail."""

    def _project_of(self, obj: Model) -> Project | None:
        if isinstance(obj, Project):
            return obj
        return getattr(obj, "project", None)

    def save_model(self, request: HttpRequest, obj: Any, form: ModelForm[Model],
                   change: bool) -> None:
        super().save_model(request, obj, form, change)
        audit_record(
            action=f"{obj._meta.model_name}.{'changed' if change else 'created'}",
            request=request, obj=obj, project=self._project_of(obj),
            data={"fields": sorted(form.changed_data)},
        )

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        audit_record(action=f"{obj._meta.model_name}.deleted", request=request, obj=obj,
                     project=None if isinstance(obj, Project) else self._project_of(obj))
        super().delete_model(request, obj)

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        instances = formset.save(commit=False)
        for deleted in formset.deleted_objects:
            audit_record(action=f"{deleted._meta.model_name}.deleted", request=request,
                         obj=deleted, project=self._project_of(deleted))
            deleted.delete()
        for instance in instances:
            created = instance.pk is None
            instance.save()
            verb = "created" if created else "changed"
            audit_record(action=f"{instance._meta.model_name}.{verb}",
                         request=request, obj=instance, project=self._project_of(instance))
        formset.save_m2m()


class MembershipInline(PlatformAdminOnly, admin.TabularInline[Membership, Project]):
    model = Membership
    extra = 1
    autocomplete_fields = ["user"]


@admin.register(Project)
class ProjectAdmin(AuditedAdmin):
    list_display = ["name", "slug", "environment", "aws_account_id", "aws_region", "active"]
    list_filter = ["environment", "active"]
    search_fields = ["name", "slug", "cost_center", "aws_account_id"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [MembershipInline]

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        # Projects carry history; retire them instead.
        obj.active = False
        obj.save(update_fields=["active"])
        audit_record(action="project.deactivated", request=request, obj=obj, project=obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(User)
class UserAdmin(AuditedAdmin):
    """People come from the IdP; admins may only fix a manager link here. Deactivating someone
    is the audited *Deactivate* of the leavers page (or the IdP's SCIM): it also ends their
    sessions and token and hands over what they had, which a bare ``is_active`` flag would not."""

    list_display = ["username", "email", "department", "cost_center", "manager", "is_active"]
    search_fields = ["username", "email", "first_name", "last_name"]
    list_filter = ["is_active", "department"]
    fields = ["username", "first_name", "last_name", "email", "department", "cost_center",
              "manager", "owner_id", "time_zone", "roles", "idp_groups", "is_active",
              "last_login", "last_saml_sign_in"]
    readonly_fields = ["username", "first_name", "last_name", "email", "department",
                       "cost_center", "owner_id", "roles", "idp_groups", "is_active",
                       "last_login", "last_saml_sign_in"]
    autocomplete_fields = ["manager"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        """``manager`` decides who approves someone's requests (four eyes): nobody sets their
        own, and nobody overrides the IdP's (a user who signed in through SAML has it from
        there, and the next sign-in would overwrite it anyway)."""
        fields = list(self.readonly_fields)
        if obj is not None and (obj.pk == request.user.pk or obj.last_saml_sign_in is not None):
            fields.append("manager")
        return fields

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest,
                                 **kwargs: Any) -> Any:
        # Nor does an admin make himself someone's manager (and so their approver).
        if db_field.name == "manager" and request.user.pk is not None:
            kwargs["queryset"] = User.objects.exclude(pk=request.user.pk)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class AuditActionFilter(admin.SimpleListFilter):
    """The action filter from the registered action names: the default filter's
    ``SELECT DISTINCT action`` reads the whole trail on every page (issue 16)."""

    title = "action"
    parameter_name = "action"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        known = list(known_audit_actions())
        current = str(self.value() or "")
        if current and current not in known:  # an older action still filters, and shows
            known.insert(0, current)
        return [(action, action) for action in known]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        value = self.value()
        return queryset.filter(action=value) if value else queryset


class CappedPaginator(Paginator):  # type: ignore[type-arg]
    """Counts at most ``cap_pages`` pages of rows: a COUNT over a LIMITed subquery instead of
    an exact COUNT(*) of the whole (append-only, ever-growing) table, and no OFFSET beyond the
    cap. ``more`` says there are older rows than the pages offered. (The portal's own audit
    list pages by keyset, ``portal.keyset``; the Django admin's changelist pages by number.)"""

    def __init__(self, object_list: QuerySet[Any], per_page: int, *, cap_pages: int) -> None:
        super().__init__(object_list, per_page)
        self.rows = object_list
        self.cap_pages = cap_pages
        self.more = False

    @cached_property
    def count(self) -> int:
        limit = self.per_page * self.cap_pages
        counted = self.rows[:limit + 1].count()
        self.more = counted > limit
        return min(counted, limit)


class AuditAdminPaginator(CappedPaginator):
    """The portal audit list's capped count, for the admin changelist (which counts the
    whole ever-growing table otherwise); the page says "N+" when there are older rows."""

    def __init__(self, object_list: QuerySet[Any], per_page: int, *args: Any,
                 **kwargs: Any) -> None:
        super().__init__(object_list, per_page, cap_pages=AUDIT_PAGE_CAP)


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin, admin.ModelAdmin[AuditEvent]):
    list_display = ["at", "actor_username", "action", "object_repr", "project", "source_ip"]
    list_select_related = ["project"]  # one query for the page, not one per row (issue 16)
    list_filter = [AuditActionFilter]
    # No second COUNT(*) of the whole table for "N of M selected" (issue 16).
    show_full_result_count = False
    paginator = AuditAdminPaginator
    search_fields = ["actor_username", "action", "object_repr", "object_id"]


@admin.register(FailedEmail)
class FailedEmailAdmin(ReadOnlyAdmin, admin.ModelAdmin[FailedEmail]):
    list_display = ["at", "kind", "recipient", "subject", "attempts", "error"]
    list_filter = ["kind"]
    search_fields = ["recipient", "subject", "request_id"]
