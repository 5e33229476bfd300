"""SCIM Users on the portal's user rows: the SCIM ``id`` is the user's pk, ``userName`` its
username, the same value the SAML assertion's uid gives (lowercased when the SAML app's
``portal_uid_case`` is ``lower``, as the sign-in does), so a person the IdP provisions and the
person who signs in are one row whichever comes first. A user SCIM creates has no usable
password, so the first SAML sign-in links to it (``portal.sso.pre_social_login``)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from identity.models import ScimUser
from identity.offboarding import AlreadyInactive, person_deactivate, person_reactivate
from identity.scim_protocol import ENTERPRISE_URN, USER_URN, PatchOperation, ScimError, scim_bool
from portal.models import User
from portal.services import audit_record
from portal.sso import uid_problem

SCIM_ACTOR = "scim"
USER_FILTERS = {"userName": "username", "externalId": "external_id",
                "emails.value": "email", "emails[type eq \"work\"].value": "email"}


def uid_case_lower() -> bool:
    for app in settings.SOCIALACCOUNT_PROVIDERS.get("saml", {}).get("APPS", []):
        return bool(app["settings"].get("portal_uid_case") == "lower")
    return False


def _username(value: Any) -> str:
    name = str(value or "")
    name = name.lower() if uid_case_lower() else name
    problem = uid_problem(name)
    if problem:
        raise ScimError(400, f"userName: {problem}", "invalidValue")
    return name


def users_visible() -> QuerySet[User]:
    """Every person SCIM may see: all but those it deleted."""
    return User.objects.exclude(scim__deleted_at__isnull=False).select_related("scim", "manager")


def users_filtered(field: str, value: str) -> QuerySet[User]:
    rows = users_visible()
    if field == "username":
        return rows.filter(username__iexact=value)
    if field == "external_id":
        return rows.filter(scim__external_id=value)
    return rows.filter(email__iexact=value)


def user_get(pk: str) -> User:
    try:
        return users_visible().get(pk=int(pk))
    except (ValueError, User.DoesNotExist):
        raise ScimError(404, f"No user {pk}.") from None


def user_resource(user: User, *, location: str) -> dict[str, Any]:
    scim = getattr(user, "scim", None)
    created = scim.created_at if scim else user.date_joined
    modified = scim.updated_at if scim else user.date_joined
    resource: dict[str, Any] = {
        "schemas": [USER_URN, ENTERPRISE_URN], "id": str(user.pk),
        "userName": user.username, "active": user.is_active,
        "name": {"givenName": user.first_name, "familyName": user.last_name,
                 "formatted": user.get_full_name()},
        "displayName": user.display_name,
        "emails": [{"value": user.email, "type": "work", "primary": True}] if user.email else [],
        "groups": [{"value": str(g.pk), "display": g.name} for g in user.groups.all()],
        ENTERPRISE_URN: {"department": user.department, "costCenter": user.cost_center,
                         **({"manager": {"value": str(user.manager.pk),
                                         "displayName": user.manager.display_name}}
                            if user.manager else {})},
        "meta": {"resourceType": "User", "created": created.isoformat(),
                 "lastModified": modified.isoformat(), "location": location},
    }
    if scim and scim.external_id:
        resource["externalId"] = scim.external_id
    return resource


def _set_email(user: User, value: Any) -> None:
    if isinstance(value, list):
        work = [e for e in value if isinstance(e, dict) and e.get("type", "work") == "work"]
        primary = [e for e in value if isinstance(e, dict) and e.get("primary")]
        chosen = (primary or work or [e for e in value if isinstance(e, dict)] or [{}])[0]
        value = chosen.get("value", "")
    user.email = str(value or "")[:254]


def _set_manager(user: User, value: Any) -> None:
    ref = value.get("value", "") if isinstance(value, dict) else value
    ref = str(ref or "")
    manager = User.objects.filter(pk=int(ref)).first() if ref.isdigit() else None
    if manager is None and ref:
        manager = User.objects.filter(Q(username=ref) | Q(email__iexact=ref)).first()
    if manager is not None and manager.pk == user.pk:
        raise ScimError(400, "A person cannot be their own manager.", "invalidValue")
    user.manager = manager
    user.manager_ref = (manager.username if manager else ref)[:254]


# SCIM attributes (paths lowercased) kept as plain text on the user: the field and its length.
_TEXT_ATTRIBUTES = {"name.givenname": ("first_name", 150), "name.familyname": ("last_name", 150),
                    "department": ("department", 200), "costcenter": ("cost_center", 100)}


def _apply(user: User, scim: ScimUser, key: str, value: Any) -> bool | None:
    """Set one attribute (a SCIM path, lowercased); returns the new ``active`` when it is that."""
    key = key.lower().removeprefix(ENTERPRISE_URN.lower() + ":")
    if key == "active":
        return scim_bool(value)
    if key in _TEXT_ATTRIBUTES:
        field, limit = _TEXT_ATTRIBUTES[key]
        setattr(user, field, str(value or "")[:limit])
    elif key == "externalid":
        scim.external_id = str(value or "")[:255]
    elif key in ("name", ENTERPRISE_URN.lower()) and isinstance(value, dict):
        # A complex attribute: each part, as the path ``name.<part>`` or the extension's own.
        prefix = "name." if key == "name" else ""
        for part, part_value in value.items():
            _apply(user, scim, prefix + part, part_value)
    elif key == "username":
        _set_username(user, value)
    elif key.startswith("emails"):
        _set_email(user, value)
    elif key in ("manager", "manager.value"):
        _set_manager(user, value)
    # Anything else (displayName, title, phoneNumbers, locale...) the portal does not keep.
    return None


def _set_username(user: User, value: Any) -> None:
    """A new userName, refused (409 uniqueness) when another person has it in any case."""
    new = _username(value)
    if new != user.username and User.objects.filter(username__iexact=new).exclude(
            pk=user.pk).exists():
        raise ScimError(409, f"userName {new} is taken.", "uniqueness")
    user.username = new


def _activity(user: User, active: bool | None, *, reason: str) -> None:
    if active is False:
        try:
            person_deactivate(user=user, source="scim", reason=reason)
        except AlreadyInactive:
            pass
    elif active is True:
        person_reactivate(user=user, source="scim")


def _scim_of(user: User) -> ScimUser:
    scim, _ = ScimUser.objects.get_or_create(user=user)
    return scim


def user_create(body: dict[str, Any]) -> User:
    username = _username(body.get("userName"))
    with transaction.atomic():
        if User.objects.filter(username__iexact=username).exists():
            raise ScimError(409, f"userName {username} already exists.", "uniqueness")
        user = User(username=username)
        user.set_unusable_password()  # a directory person: SAML signs them in, never a password
        user.save()
        scim = ScimUser.objects.create(user=user)
        active = _write(user, scim, body)
        audit_record(action="scim.user_created", actor_username=SCIM_ACTOR, obj=user,
                     data={"userName": username, "externalId": scim.external_id})
    if active is False:
        _activity(user, False, reason="Created inactive by the identity provider.")
    return user


def _write(user: User, scim: ScimUser, attributes: dict[str, Any]) -> bool | None:
    active = None
    for key, value in attributes.items():
        if key in ("schemas", "id", "meta", "groups"):
            continue  # read-only here: group membership is changed on the Group
        found = _apply(user, scim, key, value)
        active = found if found is not None else active
    user.save()
    scim.updated_at = timezone.now()
    scim.save()
    return active


def user_replace(user: User, body: dict[str, Any]) -> User:
    """PUT: the attributes sent replace the portal's (Okta's app-wizard integrations)."""
    with transaction.atomic():
        scim = _scim_of(user)
        active = _write(user, scim, body)
        audit_record(action="scim.user_replaced", actor_username=SCIM_ACTOR, obj=user,
                     data={"attributes": sorted(k for k in body if k not in ("schemas",))})
    _activity(user, active if "active" in body else None, reason="PUT active=false (SCIM).")
    user.refresh_from_db()
    return user


def user_patch(user: User, operations: list[PatchOperation]) -> User:
    active: bool | None = None
    with transaction.atomic():
        scim = _scim_of(user)
        for operation in operations:
            if operation.op == "remove":
                if operation.path.lower() == "active":
                    raise ScimError(400, "active cannot be removed.", "mutability")
                found = _apply(user, scim, operation.path, "")
            elif not operation.path:
                if not isinstance(operation.value, dict):
                    raise ScimError(400, "An operation without a path takes an object.",
                                    "invalidValue")
                found = None
                for key, value in operation.value.items():
                    got = _apply(user, scim, key, value)
                    found = got if got is not None else found
            else:
                found = _apply(user, scim, operation.path, operation.value)
            active = found if found is not None else active
        user.save()
        scim.updated_at = timezone.now()
        scim.save()
        audit_record(action="scim.user_patched", actor_username=SCIM_ACTOR, obj=user,
                     data={"operations": [f"{o.op} {o.path or '(value)'}"[:100]
                                          for o in operations][:50]})
    _activity(user, active, reason="PATCH active=false (SCIM).")
    user.refresh_from_db()
    return user


def user_delete(user: User) -> None:
    """DELETE: deactivated as a leaver, kept for the record; SCIM no longer finds them."""
    _activity(user, False, reason="DELETE (SCIM).")
    with transaction.atomic():
        scim = _scim_of(user)
        scim.deleted_at = timezone.now()
        scim.save(update_fields=["deleted_at"])
        audit_record(action="scim.user_deleted", actor_username=SCIM_ACTOR, obj=user)
