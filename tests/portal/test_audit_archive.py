"""`audit_archive` moves whole old months to a JSON-lines file and deletes them; the archive and
the rows left verify as one chain (`audit_verify --archive`), and a changed archive does not."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from portal import audit_archive as archive_module
from portal.models import AuditEvent

pytestmark = pytest.mark.django_db


def _events_in(month: int, count: int) -> None:
    for i in range(count):
        AuditEvent.objects.create(action="request.created", actor_username=f"user{month}.{i}",
                                  data={"month": month, "i": i},
                                  at=datetime(2026, month, 15, 12, i, tzinfo=UTC))


@pytest.fixture
def trail() -> None:
    _events_in(1, 3)
    _events_in(2, 2)
    _events_in(3, 2)


def _verify(*archives: Path) -> str:
    out = io.StringIO()
    call_command("audit_verify", *[f"--archive={a}" for a in archives], stdout=out)
    return out.getvalue()


def test_old_months_are_archived_deleted_and_the_chain_still_verifies(
    trail: None, tmp_path: Path
) -> None:
    path = tmp_path / "audit-2026-02.jsonl"
    out, err = io.StringIO(), io.StringIO()
    call_command("audit_archive", "--before=2026-03", f"--output={path}", stdout=out, stderr=err)

    lines = [json.loads(line) for line in path.read_text().splitlines()]
    assert [row["data"]["month"] for row in lines] == [1, 1, 1, 2, 2]
    assert lines[0]["prev_hash"] == "0" * 64 and all("hash" in row for row in lines)
    left = list(AuditEvent.objects.order_by("id").values_list("action", flat=True))
    assert left == ["request.created", "request.created", "audit.archived"]
    assert AuditEvent.objects.filter(data__month=3).count() == 2
    recorded = AuditEvent.objects.get(action="audit.archived")
    assert recorded.data["rows"] == 5 and recorded.data["head"] == lines[-1]["hash"]
    assert "archived 5 events" in out.getvalue()

    assert "audit chain intact: 8 events" in _verify(path)
    with pytest.raises(CommandError, match="rows before it are missing"):
        _verify()  # the database alone no longer starts the chain


def test_a_later_archive_continues_the_first(trail: None, tmp_path: Path) -> None:
    first, second = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    call_command("audit_archive", "--before=2026-02", f"--output={first}", stdout=io.StringIO())
    call_command("audit_archive", "--before=2026-04", f"--output={second}", stdout=io.StringIO())
    # February and March; the first run's audit.archived record is of today: it stays.
    assert len(second.read_text().splitlines()) == 4
    assert AuditEvent.objects.filter(action="audit.archived").count() == 2
    assert "audit chain intact" in _verify(first, second)
    with pytest.raises(CommandError, match="audit chain broken"):
        _verify(second)  # the first archive left out


def test_a_changed_archive_fails_verification(trail: None, tmp_path: Path) -> None:
    path = tmp_path / "a.jsonl"
    call_command("audit_archive", "--before=2026-03", f"--output={path}", stdout=io.StringIO())
    lines = path.read_text().splitlines()
    row = json.loads(lines[1])
    row["actor_username"] = "someone.else"
    lines[1] = json.dumps(row)
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(CommandError, match="row .* does not match its hash"):
        _verify(path)
    path.write_text("\n".join(lines[:1] + lines[2:]) + "\n")  # a row removed
    with pytest.raises(CommandError, match="rows between them were removed"):
        _verify(path)


def test_keep_archives_without_deleting_and_progress_is_printed(
    trail: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(archive_module, "CHUNK", 2)
    err = io.StringIO()
    path = tmp_path / "a.jsonl"
    call_command("audit_archive", "--before=2026-03", f"--output={path}", "--keep",
                 stdout=io.StringIO(), stderr=err)
    assert AuditEvent.objects.count() == 7 and len(path.read_text().splitlines()) == 5
    assert "archived 2 events (up to id" in err.getvalue()
    assert "archived 4 events" in err.getvalue()


@pytest.mark.parametrize("before", ["2026-13", "March", "2026-3-1", ""])
def test_a_bad_month_is_refused_and_nothing_changes(trail: None, tmp_path: Path,
                                                    before: str) -> None:
    with pytest.raises(CommandError, match="not a month as YYYY-MM"):
        call_command("audit_archive", f"--before={before}", f"--output={tmp_path / 'a'}")
    assert AuditEvent.objects.count() == 7 and not (tmp_path / "a").exists()


def test_an_existing_file_is_never_overwritten(trail: None, tmp_path: Path) -> None:
    path = tmp_path / "a.jsonl"
    path.write_text("precious\n")
    with pytest.raises(CommandError, match="exists already"):
        call_command("audit_archive", "--before=2026-03", f"--output={path}")
    assert path.read_text() == "precious\n" and AuditEvent.objects.count() == 7


def test_nothing_old_enough_archives_nothing(trail: None, tmp_path: Path) -> None:
    out = io.StringIO()
    call_command("audit_archive", "--before=2026-01", f"--output={tmp_path / 'a'}", stdout=out)
    assert "nothing archived" in out.getvalue() and AuditEvent.objects.count() == 7
