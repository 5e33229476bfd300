"""The embedded mode's filesystem broker: a reader sees a whole message or none, and one reader
takes each message (portal/broker_files.py)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from queue import Empty
from typing import Any

import pytest
from kombu import Connection
from kombu.transport import filesystem as kombu_filesystem

from portal import broker_files


def connect(folder: Path, transport: Any) -> Any:
    for sub in ("queue", "processed"):
        (folder / sub).mkdir(exist_ok=True)
    return Connection("filesystem://", transport=transport, transport_options={
        "data_folder_in": str(folder / "queue"), "data_folder_out": str(folder / "queue"),
        "processed_folder": str(folder / "processed"), "store_processed": False})


@pytest.fixture
def channel(tmp_path: Path) -> Iterator[Any]:
    with connect(tmp_path, broker_files.Transport) as connection:
        yield connection.default_channel


def visible_while_writing(module: Any, monkeypatch: pytest.MonkeyPatch,
                          folder: Path) -> list[list[str]]:
    """What a reader listing the queue would see at the moment the payload is serialised."""
    seen: list[list[str]] = []
    real = module.dumps

    def dumps(value: Any) -> Any:
        seen.append(sorted(p.name for p in folder.iterdir() if p.name.endswith(".msg")))
        return real(value)

    monkeypatch.setattr(module, "dumps", dumps)
    return seen


def test_no_message_file_is_visible_before_it_is_whole(
        channel: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    seen = visible_while_writing(broker_files, monkeypatch, tmp_path / "queue")

    channel._put("portal", {"body": "x" * 10_000})

    assert seen == [[]]
    assert [p.suffix for p in (tmp_path / "queue").iterdir()] == [".msg"]
    assert channel._get("portal") == {"body": "x" * 10_000}
    assert list((tmp_path / "queue").iterdir()) == []
    assert list((tmp_path / "processed").iterdir()) == []  # not kept


def test_kombu_s_own_transport_shows_the_file_before_writing_it(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Why the subclass exists: a reader could take this empty file (JSONDecodeError)."""
    seen = visible_while_writing(kombu_filesystem, monkeypatch, tmp_path / "queue")
    with connect(tmp_path, kombu_filesystem.Transport) as connection:
        connection.default_channel._put("portal", {"body": "x"})

    assert len(seen) == 1 and len(seen[0]) == 1


def test_a_message_being_written_is_skipped_and_other_queues_are_left(
        channel: Any, tmp_path: Path) -> None:
    (tmp_path / "queue" / "1_a.portal.msg.part").write_bytes(b"{")
    channel._put("other", {"n": 1})

    with pytest.raises(Empty):
        channel._get("portal")
    assert channel._get("other") == {"n": 1}


def test_under_a_burst_every_message_reaches_exactly_one_of_two_readers(
        tmp_path: Path) -> None:
    count = 400
    received: list[int] = []
    errors: list[BaseException] = []
    done = threading.Event()

    def read() -> None:
        with connect(tmp_path, broker_files.Transport) as connection:
            reader = connection.default_channel
            while not (done.is_set() and not any((tmp_path / "queue").iterdir())):
                try:
                    received.append(reader._get("portal")["n"])
                except Empty:
                    continue
                except BaseException as exc:  # noqa: BLE001 - reported below
                    errors.append(exc)
                    return

    readers = [threading.Thread(target=read) for _ in range(2)]
    for thread in readers:
        thread.start()
    with connect(tmp_path, broker_files.Transport) as connection:
        writer = connection.default_channel
        for n in range(count):
            writer._put("portal", {"n": n, "padding": "p" * 4096})
    done.set()
    for thread in readers:
        thread.join(timeout=60)

    assert errors == []
    assert sorted(received) == list(range(count))
