"""The limits that apply to a person and to a project (selectors; see ``quotas.models``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from portal.models import Project, User
from quotas.models import Measure, ProjectQuota, UserQuota


@dataclass(frozen=True)
class Limit:
    """A limit on one measure and where it comes from (the groups granting it, or the project)."""

    measure: str
    amount: Decimal
    sources: tuple[str, ...] = field(default_factory=tuple)

    @property
    def label(self) -> str:
        return Measure(self.measure).label


def user_limits(*, user: User) -> dict[str, Limit]:
    """A person's limits by measure: the sum of the grants to everyone and to their groups.

    A measure with no grant at all is absent (not limited); a measure granted to some groups
    only is limited to 0 for someone in none of them. Two queries.
    """
    return limits_of_grants(user=user, grants=[
        Grant(g.measure, g.amount, g.group_id, g.group.name if g.group else "")
        for g in UserQuota.objects.select_related("group")])


@dataclass(frozen=True)
class Grant:
    """A ``UserQuota`` as read: its measure, amount and group (None, "": everyone)."""

    measure: str
    amount: Decimal
    group_id: int | None
    group_name: str


def limits_of_grants(*, user: User, grants: list[Grant]) -> dict[str, Limit]:
    """``user_limits`` from grants already read (in ``UserQuota``'s order: measure, group
    name); one query for the person's groups when there is any grant."""
    if not grants:
        return {}
    mine = set(user.groups.values_list("pk", flat=True))
    limits: dict[str, Limit] = {}
    for measure in [m.value for m in Measure]:
        of_measure = [g for g in grants if g.measure == measure]
        if not of_measure:
            continue
        applying = [g for g in of_measure if g.group_id is None or g.group_id in mine]
        limits[measure] = Limit(
            measure=measure, amount=sum((g.amount for g in applying), Decimal("0")),
            sources=tuple(g.group_name if g.group_id else "everyone" for g in applying))
    return limits


def project_limits(*, project: Project) -> dict[str, Limit]:
    """A project's caps by measure (absent: not limited). One query."""
    return {q.measure: Limit(measure=q.measure, amount=q.amount, sources=(project.slug,))
            for q in ProjectQuota.objects.filter(project=project)}
