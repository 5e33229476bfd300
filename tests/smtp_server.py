"""A real SMTP listener on 127.0.0.1 for the mail tests: it delivers, or stalls like a hung relay.

Python 3.11's ``smtpd`` is deprecated (gone in 3.12), so this is a small socket server speaking
just enough RFC 5321 for smtplib: greeting, EHLO/HELO, MAIL, RCPT, DATA (dot-terminated,
dot-unstuffed), RSET, NOOP, QUIT. ``stall_connections`` makes the first N connections accept and
never greet, as a relay that hangs does; smtplib then waits until its socket timeout.
``refuse_recipients`` answers every RCPT with 550 (a permanent refusal).
"""

from __future__ import annotations

import socketserver
import threading
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import Message
from typing import Any


@dataclass
class SmtpListener:
    stall_connections: int = 0
    refuse_recipients: bool = False
    connections: int = 0
    messages: list[Message] = field(default_factory=list)
    envelopes: list[tuple[str, list[str]]] = field(default_factory=list)
    _server: socketserver.ThreadingTCPServer | None = None
    _release: threading.Event = field(default_factory=threading.Event)

    @property
    def port(self) -> int:
        assert self._server is not None
        return int(self._server.server_address[1])

    def start(self) -> SmtpListener:
        listener = self

        class Handler(socketserver.StreamRequestHandler):
            def handle(self) -> None:
                listener.connections += 1
                if listener.connections <= listener.stall_connections:
                    listener._release.wait(120)  # a hung relay: connected, silent
                    return
                listener.converse(self.rfile, self.wfile)

        socketserver.ThreadingTCPServer.allow_reuse_address = True
        self._server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        self._release.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    def converse(self, rfile: Any, wfile: Any) -> None:
        def say(line: str) -> None:
            wfile.write(f"{line}\r\n".encode())
            wfile.flush()

        say("220 test-relay ESMTP")
        sender, recipients = "", []
        while True:
            raw = rfile.readline()
            if not raw:
                return
            command = raw.decode("ascii", "replace").strip()
            verb = command[:4].upper()
            if verb in {"EHLO", "HELO"}:
                say("250 test-relay")
            elif verb == "MAIL":
                sender, recipients = command.split(":", 1)[1].strip(" <>"), []
                say("250 OK")
            elif verb == "RCPT" and self.refuse_recipients:
                say("550 5.1.1 No such user here")
            elif verb == "RCPT":
                recipients.append(command.split(":", 1)[1].strip(" <>"))
                say("250 OK")
            elif verb == "DATA":
                say("354 End data with <CR><LF>.<CR><LF>")
                lines: list[bytes] = []
                while True:
                    line = rfile.readline()
                    if not line or line in {b".\r\n", b".\n"}:
                        break
                    lines.append(line[1:] if line.startswith(b"..") else line)
                self.messages.append(message_from_bytes(b"".join(lines)))
                self.envelopes.append((sender, recipients))
                say("250 OK queued")
            elif verb in {"RSET", "NOOP"}:
                say("250 OK")
            elif verb == "QUIT":
                say("221 Bye")
                return
            else:
                say("502 Command not implemented")
