"""What the local API fakes share: a threaded HTTP server on a free port, and its life cycle."""

from __future__ import annotations

import contextlib
import json
import socket
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self


def json_bytes(value: Any) -> bytes:
    """UTF-8 JSON; a lone surrogate, which UTF-8 cannot carry, is written as JSON escapes it ("\\ud800")."""
    try:
        return json.dumps(value, ensure_ascii=False).encode()
    except UnicodeEncodeError:
        return json.dumps(value).encode()


class FakeServer(ThreadingHTTPServer):
    """The server thread of a fake; `fake` is the object whose handler answers requests."""

    daemon_threads = True  # a blocked long poll or delayed reply must never keep the test process alive
    fake: Any

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Clients hanging up (shutdown, cancelled tasks, long polls) are not errors."""
        if not isinstance(sys.exc_info()[1], OSError):
            super().handle_error(request, client_address)


class FakeHandler(BaseHTTPRequestHandler):
    """Keep-alive like the real APIs (httpx reuses its connections), quiet, and known to the fake's stop()."""

    protocol_version = "HTTP/1.1"
    # A reply's headers and body are two writes: with Nagle's algorithm the body waits for the client's
    # delayed ACK (40 ms on Linux), a delay the real APIs do not add to each call.
    disable_nagle_algorithm = True
    server: FakeServer

    def log_message(self, format: str, *args: Any) -> None:
        """Silence per-request logging: tests inspect the recorded requests instead."""

    def setup(self) -> None:
        super().setup()
        self.server.fake._track(self.connection, add=True)

    def finish(self) -> None:
        self.server.fake._track(self.connection, add=False)
        super().finish()


class ServedFake:
    """start()/stop() and `with` for a fake; subclasses name their `handler` class and keep `cond`."""

    handler: type[BaseHTTPRequestHandler]
    cond: threading.Condition
    stopping: bool

    def _init_server(self, host: str) -> None:
        self.host, self.url = host, ""
        self._conns: set[socket.socket] = set()
        self._server: FakeServer | None = None

    def start(self) -> Self:
        """Bind a free port on host and serve in a daemon thread; sets .url (http://127.0.0.1:PORT)."""
        self._server = FakeServer((self.host, 0), self.handler)
        self._server.fake = self
        self.url = f"http://{self.host}:{self._server.server_address[1]}"
        # A short poll interval keeps stop() fast; serve_forever only checks for shutdown between polls.
        threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True).start()
        return self

    def stop(self) -> None:
        """Stop serving, wake blocked long polls and delays, cut kept-alive connections."""
        with self.cond:
            self.stopping = True
            self.cond.notify_all()
            conns = list(self._conns)
        for conn in conns:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _track(self, conn: socket.socket, add: bool) -> None:
        with self.cond:
            (self._conns.add if add else self._conns.discard)(conn)
