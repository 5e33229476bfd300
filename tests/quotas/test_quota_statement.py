"""The quota panel's grants and caps (``quotas.report``): one statement compiled once per
process that reads what the ORM's UNION reads, each person's own projects' caps only."""

from __future__ import annotations

from typing import Any

import pytest

from portal.models import Membership, Project, User
from quotas import report
from quotas.report import quota_report
from tests.quotas.conftest import cap, grant

pytestmark = pytest.mark.django_db


@pytest.fixture
def limits(scientist: User, outsider: User, project: Project, other_project: Project) -> None:
    grant("running_environments", 3)
    grant("gpu_instances", 1, group="ml-gpu-users", members=[scientist])
    cap(project, "gpu_instances", 2)
    cap(other_project, "running_environments", 9)


@pytest.mark.usefixtures("limits")
def test_it_reads_the_orm_s_rows_for_each_person(scientist: User, outsider: User,
                                                 auditor: User) -> None:
    for person in (scientist, outsider, auditor):
        kept = report._GRANTS_AND_CAPS.rows(user=person.pk)
        orm = [list(row) for row in report._grants_and_caps_rows(person.pk)]
        assert kept == orm
    slugs = {row[5] for row in report._GRANTS_AND_CAPS.rows(user=scientist.pk)}
    assert slugs == {"", "fraud"}  # the grants, then the scientist's project only
    assert {row[5] for row in report._GRANTS_AND_CAPS.rows(user=outsider.pk)} == \
        {"", "credit-risk"}
    assert {row[5] for row in report._GRANTS_AND_CAPS.rows(user=auditor.pk)} == {""}


@pytest.mark.usefixtures("limits")
def test_a_project_left_or_closed_drops_its_cap_at_once(scientist: User, project: Project) -> None:
    assert [r.project for r in quota_report(user=scientist) if r.scope == "project"] == ["fraud"]
    Project.objects.filter(pk=project.pk).update(active=False)
    assert [r.project for r in quota_report(user=scientist) if r.scope == "project"] == []
    Project.objects.filter(pk=project.pk).update(active=True)
    Membership.objects.filter(user=scientist).delete()
    assert [r.project for r in quota_report(user=scientist) if r.scope == "project"] == []


def test_its_sql_is_compiled_once_and_nothing_limited_is_one_statement(
        scientist: User, project: Project, monkeypatch: pytest.MonkeyPatch,
        django_assert_num_queries: Any) -> None:
    built: list[int] = []
    build = report._grants_and_caps_rows

    def counting(user: int) -> Any:
        built.append(user)
        return build(user)

    statement = report.Statement(counting, user=report.Slot(User._meta.pk, report.MARKER_ID))
    monkeypatch.setattr(report, "_GRANTS_AND_CAPS", statement)
    for _ in range(3):
        with django_assert_num_queries(1):
            assert quota_report(user=scientist) == []
    assert built == [report.MARKER_ID]
