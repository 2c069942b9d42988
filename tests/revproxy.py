"""Reverse proxies in front of the console for tests: Debian's nginx running the `location /` block that
docs/deploy.md documents (own prefix, config, pid, logs and temp paths under a test folder), or, where nginx
is not installed, a small asyncio proxy that does the same to the forwarded headers."""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import socket
import subprocess
from collections.abc import AsyncIterator
from pathlib import Path

from tests.conftest import ROOT_DIR

NGINX = Path("/usr/sbin/nginx")
DOCUMENTED = "127.0.0.1:8081"  # where docs/deploy.md's console block sends requests
_HOP = ("x-forwarded-for", "x-forwarded-proto", "connection", "keep-alive")


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def documented_location(upstream: int) -> str:
    """The console's `location / { ... }` block from docs/deploy.md, sent to `upstream` instead of 8081."""
    text = (ROOT_DIR / "docs" / "deploy.md").read_text(encoding="utf-8")
    found = re.search(r"^ *location / \{\n.*?\n *\}$", text, re.MULTILINE | re.DOTALL)
    assert found and DOCUMENTED in found.group(0), "docs/deploy.md: no multi-line console `location /` block"
    return found.group(0).replace(DOCUMENTED, f"127.0.0.1:{upstream}")


def nginx_conf(folder: Path, port: int, upstream: int) -> str:
    """An nginx.conf that runs in the foreground with everything it writes inside `folder`."""
    user = "user root;\n" if os.geteuid() == 0 else ""  # workers as the test's user: they share its folders
    temps = "".join(f"    {kind}_temp_path {folder / kind};\n" for kind in ("client_body", "proxy", "fastcgi",
                                                                            "uwsgi", "scgi"))
    return (f"{user}daemon off;\nworker_processes 1;\npid {folder / 'nginx.pid'};\n"
            f"error_log {folder / 'error.log'};\nevents {{ worker_connections 64; }}\n"
            f"http {{\n    access_log off;\n{temps}    server {{\n        listen 127.0.0.1:{port};\n"
            f"{documented_location(upstream)}\n    }}\n}}\n")


async def _listening(port: int, process: subprocess.Popen[bytes] | None = None) -> None:
    for _ in range(200):
        if process is not None and process.poll() is not None:
            raise AssertionError(f"nginx exited with status {process.returncode}")
        with contextlib.suppress(OSError):
            _, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.close()
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"nothing listens on port {port}")


@contextlib.asynccontextmanager
async def nginx(folder: Path, upstream: int) -> AsyncIterator[int]:
    """Debian's nginx in front of `upstream`; yields the port it listens on."""
    folder.mkdir(parents=True, exist_ok=True)
    port = free_port()
    conf = folder / "nginx.conf"
    conf.write_text(nginx_conf(folder, port, upstream), encoding="utf-8")
    process = subprocess.Popen([str(NGINX), "-p", str(folder), "-c", str(conf), "-e", str(folder / "error.log")],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        await _listening(port, process)
        yield port
    finally:
        process.terminate()
        process.wait(10)


async def _relay(upstream: int, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """One request: the client's forwarded headers dropped, its real address written in, the answer relayed."""
    try:
        head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1").split("\r\n")[:-2]
        kept = [line for line in head[1:] if line.split(":", 1)[0].strip().lower() not in _HOP]
        length = next((int(line.split(":", 1)[1]) for line in kept if line.lower().startswith("content-length:")), 0)
        body = await reader.readexactly(length)
        peer = writer.get_extra_info("peername")[0]
        up_reader, up_writer = await asyncio.open_connection("127.0.0.1", upstream)
        lines = [head[0], *kept, f"X-Forwarded-For: {peer}", "X-Forwarded-Proto: http", "Connection: close"]
        up_writer.write("\r\n".join([*lines, "", ""]).encode("latin-1") + body)
        answer = await up_reader.read()  # the console closes after one answer (Connection: close)
        up_writer.close()
        writer.write(answer)
        await writer.drain()
    finally:
        writer.close()


@contextlib.asynccontextmanager
async def asyncio_proxy(upstream: int) -> AsyncIterator[int]:
    """The same headers as the documented nginx block, one request per connection; yields its port."""
    server = await asyncio.start_server(lambda r, w: _relay(upstream, r, w), "127.0.0.1", 0)
    try:
        yield int(server.sockets[0].getsockname()[1])
    finally:
        server.close()
        await server.wait_closed()
