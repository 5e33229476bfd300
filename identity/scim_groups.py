"""SCIM Groups on the Django groups SAML sign-in fills from the groups claim (one row per name,
a DN kept as sent), so a group pushed by SCIM and the same group in an assertion are one row.

A member added or removed here changes the person's groups at once: their roles are worked out
again (``portal.services.roles_for_groups``, as at sign-in), and a person no longer in a
project's ``access_group`` leaves that project (a mover, ``identity.offboarding``)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import Group
from django.db import transaction
from django.db.models import ProtectedError, QuerySet
from django.utils import timezone

from identity.models import ScimGroup
from identity.offboarding import memberships_follow_groups
from identity.scim_protocol import GROUP_URN, PatchOperation, ScimError
from portal.models import Role, User
from portal.services import audit_record, roles_for_groups

SCIM_ACTOR = "scim"
GROUP_FILTERS = {"displayName": "name", "externalId": "external_id"}
NAME_MAX = 150  # Group.name


def groups_visible() -> QuerySet[Group]:
    return Group.objects.select_related("scim").order_by("pk")


def groups_filtered(field: str, value: str) -> QuerySet[Group]:
    if field == "name":
        return groups_visible().filter(name__iexact=value)
    return groups_visible().filter(scim__external_id=value)


def group_get(pk: str) -> Group:
    try:
        return groups_visible().get(pk=int(pk))
    except (ValueError, Group.DoesNotExist):
        raise ScimError(404, f"No group {pk}.") from None


def group_resource(group: Group, *, location: str, members: bool = True) -> dict[str, Any]:
    scim = getattr(group, "scim", None)
    resource: dict[str, Any] = {
        "schemas": [GROUP_URN], "id": str(group.pk), "displayName": group.name,
        "meta": {"resourceType": "Group", "location": location,
                 **({"created": scim.created_at.isoformat(),
                     "lastModified": scim.updated_at.isoformat()} if scim else {})},
    }
    if members:
        resource["members"] = [{"value": str(u.pk), "display": u.username}
                               for u in group.user_set.order_by("pk")]
    if scim and scim.external_id:
        resource["externalId"] = scim.external_id
    return resource


def _name(value: Any) -> str:
    name = str(value or "").strip()
    if not name or len(name) > NAME_MAX:
        raise ScimError(400, f"displayName must be 1 to {NAME_MAX} characters.", "invalidValue")
    return name


def _member_ids(value: Any) -> list[int]:
    items = value if isinstance(value, list) else [value]
    ids = []
    for item in items:
        ref = item.get("value") if isinstance(item, dict) else item
        if not str(ref or "").isdigit():
            raise ScimError(400, f"Member {ref!r} is not a user id.", "invalidValue")
        ids.append(int(str(ref)))
    found = set(User.objects.filter(pk__in=ids).values_list("pk", flat=True))
    missing = sorted(set(ids) - found)
    if missing:
        raise ScimError(400, f"No users {missing}.", "invalidValue")
    return ids


def _roles_refresh(users: list[User]) -> None:
    for user in users:
        groups = sorted(user.groups.values_list("name", flat=True))
        before = list(user.roles or [])
        user.idp_groups = groups
        user.roles = roles_for_groups(groups)
        user.is_staff = Role.CATALOG_ADMIN in user.roles
        user.save(update_fields=["idp_groups", "roles", "is_staff"])
        if before != user.roles:
            audit_record(action="user.roles_changed", actor_username=SCIM_ACTOR, obj=user,
                         data={"before": before, "after": user.roles, "source": "scim",
                               "added": sorted(set(user.roles) - set(before)),
                               "removed": sorted(set(before) - set(user.roles))})


def _members_changed(group: Group, *, added: set[int], removed: set[int]) -> None:
    if added:
        group.user_set.add(*added)
    if removed:
        group.user_set.remove(*removed)
    people = list(User.objects.filter(pk__in=added | removed))
    _roles_refresh(people)
    for person in people:
        if person.pk in removed:
            memberships_follow_groups(user=person, source="scim")
    if added or removed:
        audit_record(action="scim.group_members_changed", actor_username=SCIM_ACTOR, obj=group,
                     data={"added": sorted(added), "removed": sorted(removed)})


def group_create(body: dict[str, Any]) -> Group:
    name = _name(body.get("displayName"))
    with transaction.atomic():
        group = Group.objects.filter(name__iexact=name).first()
        if group is not None and ScimGroup.objects.filter(group=group).exists():
            raise ScimError(409, f"Group {name} already exists.", "uniqueness")
        # A group SAML sign-in already made (same name) is taken over, not duplicated.
        group = group or Group.objects.create(name=name)
        ScimGroup.objects.create(group=group, external_id=str(body.get("externalId") or "")[:255])
        audit_record(action="scim.group_created", actor_username=SCIM_ACTOR, obj=group,
                     data={"displayName": name})
        members = set(_member_ids(body.get("members") or []))
        _members_changed(group, added=members, removed=set())
    return group


def _scim_of(group: Group) -> ScimGroup:
    scim, _ = ScimGroup.objects.get_or_create(group=group)
    return scim


def group_replace(group: Group, body: dict[str, Any]) -> Group:
    with transaction.atomic():
        scim = _scim_of(group)
        _rename(group, body.get("displayName", group.name))
        if "externalId" in body:
            scim.external_id = str(body.get("externalId") or "")[:255]
        scim.updated_at = timezone.now()
        scim.save()
        if "members" in body:
            wanted = set(_member_ids(body.get("members") or []))
            current = set(group.user_set.values_list("pk", flat=True))
            _members_changed(group, added=wanted - current, removed=current - wanted)
    return group


def _rename(group: Group, value: Any) -> None:
    name = _name(value)
    if name != group.name:
        if Group.objects.filter(name__iexact=name).exclude(pk=group.pk).exists():
            raise ScimError(409, f"Group {name} already exists.", "uniqueness")
        audit_record(action="scim.group_renamed", actor_username=SCIM_ACTOR, obj=group,
                     data={"from": group.name, "to": name})
        group.name = name
        group.save(update_fields=["name"])


def group_patch(group: Group, operations: list[PatchOperation]) -> Group:
    """Apply a PATCH's operations in order, then the membership change they add up to (each
    person added or removed once, audited)."""
    with transaction.atomic():
        scim = _scim_of(group)
        current = set(group.user_set.values_list("pk", flat=True))
        wanted = set(current)
        for operation in operations:
            wanted = _operation_apply(group, scim, operation, wanted)
        scim.updated_at = timezone.now()
        scim.save()
        _members_changed(group, added=wanted - current, removed=current - wanted)
    return group


def _operation_apply(group: Group, scim: ScimGroup, operation: PatchOperation,
                     wanted: set[int]) -> set[int]:
    """One operation: the name and external id are set at once; returns the members wanted."""
    path = operation.path.lower()
    if operation.target == "members":  # Okta: members[value eq "id"]
        if operation.op != "remove":
            raise ScimError(400, "A filtered members path is only for remove.", "invalidPath")
        return wanted - set(_member_ids(operation.target_value))
    if path == "members":
        return _members_path(operation, wanted)
    if path == "displayname":
        _rename(group, operation.value)
    elif path == "externalid":
        scim.external_id = str(operation.value or "")[:255]
    elif not path and isinstance(operation.value, dict):  # Okta: {"displayName": ...}
        return _whole_group(group, scim, operation, wanted)
    else:
        raise ScimError(400, f"Path {operation.path!r} is not supported on a Group.",
                        "invalidPath")
    return wanted


def _members_path(operation: PatchOperation, wanted: set[int]) -> set[int]:
    """The members after an add, remove or replace on the ``members`` path."""
    ids = set(_member_ids(operation.value)) if operation.value is not None else None
    if operation.op == "add":
        return wanted | (ids or set())
    if operation.op == "remove":  # no value: all members go (RFC 7644 3.5.2.2)
        return set() if ids is None else wanted - ids
    return ids or set()


def _whole_group(group: Group, scim: ScimGroup, operation: PatchOperation,
                 wanted: set[int]) -> set[int]:
    """A path-less operation (Okta) naming attributes in its value: the name, the external id,
    the members (added, or replacing them)."""
    value = operation.value
    if "displayName" in value:
        _rename(group, value["displayName"])
    if "externalId" in value:
        scim.external_id = str(value["externalId"] or "")[:255]
    if "members" in value:
        ids = set(_member_ids(value["members"]))
        return wanted | ids if operation.op == "add" else ids
    return wanted


def group_delete(group: Group) -> None:
    with transaction.atomic():
        members = set(group.user_set.values_list("pk", flat=True))
        _members_changed(group, added=set(), removed=members)
        audit_record(action="scim.group_deleted", actor_username=SCIM_ACTOR,
                     data={"group": group.pk, "displayName": group.name})
        try:
            with transaction.atomic():
                group.delete()
        except ProtectedError:  # an approval step names it: kept, empty, no longer SCIM's
            ScimGroup.objects.filter(group=group).delete()
