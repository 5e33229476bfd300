"""The filesystem broker transport of the embedded mode: kombu's, with atomic message files.

Why (kombu 5.7.0, read in its installed source, ``kombu/transport/filesystem.py``): ``_put``
creates the message file under its final ``*.<queue>.msg`` name, then locks it and writes the
payload; ``_get`` lists the folder, moves the first matching file away and reads it without
taking the lock. A worker that lists the folder between the create and the write moves an empty
(or half-written) file, and ``loads`` raises ``JSONDecodeError``: the message is lost and the
worker's consumer dies with it (seen under a burst of approvals by the provisioning benchmark).
``_get`` also moves the file to ``tempfile.gettempdir()`` when processed messages are not kept:
on another filesystem that move is a copy and a delete, so two workers can both take the file.

The fix: a message is written to a name no reader matches (``….msg.part``) and renamed to its
final name once complete (``os.replace``: atomic within one filesystem, POSIX ``rename(2)``), so a
reader sees a whole message or none. A reader takes a message by renaming it into the processed
folder next to the queue (the same filesystem: atomic, so exactly one reader wins), reads it and
removes it unless processed messages are kept.

Used for ``filesystem://`` broker URLs through ``CELERY_BROKER_TRANSPORT`` (config/settings.py).
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path
from queue import Empty
from time import monotonic
from typing import Any

from kombu.exceptions import ChannelError
from kombu.transport import filesystem as kombu_filesystem
from kombu.utils.encoding import bytes_to_str, str_to_bytes
from kombu.utils.json import dumps, loads

PART_SUFFIX = ".part"


class Channel(kombu_filesystem.Channel):
    """kombu's filesystem channel whose messages appear whole, and are taken by one reader."""

    def _put(self, queue: Any, payload: Any, **kwargs: Any) -> Any:  # type: ignore[override]  # kombu: bases differ
        name = f"{int(round(monotonic() * 1000))}_{uuid.uuid4()}.{queue}.msg"
        final = Path(self.data_folder_out) / name
        part = final.with_name(name + PART_SUFFIX)
        try:
            part.write_bytes(str_to_bytes(dumps(payload)))  # type: ignore[no-untyped-call]
            os.replace(part, final)
        except OSError as exc:
            part.unlink(missing_ok=True)
            raise ChannelError(f"Cannot add file {str(final)!r} to directory") from exc

    def _get(self, queue: Any, timeout: Any = None) -> Any:
        wanted = f"{queue}.msg"
        inbox = Path(self.data_folder_in)
        taken_dir = Path(self.processed_folder)
        for name in sorted(os.listdir(inbox)):
            if name.partition(".")[2] != wanted:
                continue  # another queue's, or a message still being written (….msg.part)
            taken = taken_dir / name
            try:
                os.rename(inbox / name, taken)  # atomic: one reader wins, the others move on
            except OSError:
                continue
            try:
                payload = taken.read_bytes()
                if not self.store_processed:
                    taken.unlink()
            except OSError as exc:
                raise ChannelError(f"Cannot read file {str(taken)!r} from queue.") from exc
            return loads(bytes_to_str(payload))  # type: ignore[no-untyped-call]
        raise Empty()


class Transport(kombu_filesystem.Transport):
    """kombu's filesystem transport with :class:`Channel`."""

    Channel = Channel
