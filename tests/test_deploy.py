"""The deployment files: systemd units that systemd accepts, and a container image that builds and is healthy."""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import ROOT_DIR
from tests.fakebotapi import FakeBotAPI

DEPLOY = ROOT_DIR / "deploy"
UNITS = ("papibot.service", "papibot@.service", "papibot-web.service", "papibot-backup.service", "papibot-backup.timer")
HARDENING = ("NoNewPrivileges=yes", "ProtectSystem=strict", "ReadWritePaths=/var/lib/papibot", "ProtectHome=yes",
             "PrivateTmp=yes", "PrivateDevices=yes", "ProtectKernelTunables=yes", "ProtectControlGroups=yes",
             "RestrictSUIDSGID=yes", "LockPersonality=yes", "MemoryDenyWriteExecute=yes", "CapabilityBoundingSet=\n",
             "SystemCallFilter=@system-service", "UMask=0077")


def test_units_carry_the_hardening_and_the_env_file() -> None:
    service = (DEPLOY / "papibot.service").read_text(encoding="utf-8")
    for line in (*HARDENING, "User=papibot", "EnvironmentFile=/etc/papibot/papibot.env", "Restart=on-failure",
                 "RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX", "ExecStart=/opt/papibot/.venv/bin/papibot run"):
        assert line in service, line
    for name in ("papibot@.service", "papibot-web.service"):  # several processes on one host
        text = (DEPLOY / name).read_text(encoding="utf-8")
        assert all(line in text for line in (*HARDENING, "User=papibot", "EnvironmentFile=/etc/papibot/papibot.env"))
    instance = (DEPLOY / "papibot@.service").read_text(encoding="utf-8")
    assert "PAPIBOT_HTTP_PORT=%i PAPIBOT_WEB_PORT=0" in instance and "papibot web" in (
        DEPLOY / "papibot-web.service").read_text(encoding="utf-8")
    backup = (DEPLOY / "papibot-backup.service").read_text(encoding="utf-8")
    assert "papibot db backup" in backup and "Type=oneshot" in backup
    # pg_dump reaches a PostgreSQL server over TCP or a Unix socket.
    assert "PrivateNetwork=yes" not in backup and "RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX" in backup
    assert "OnCalendar=" in (DEPLOY / "papibot-backup.timer").read_text(encoding="utf-8")


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze is not installed here")
def test_systemd_accepts_the_units(tmp_path: Path) -> None:
    # The units name /opt/papibot/.venv/bin/papibot, which exists only on an installed server: verify a copy
    # whose ExecStart points at this Python, everything else (user, paths, hardening) unchanged.
    for name in UNITS:
        text = (DEPLOY / name).read_text(encoding="utf-8")
        (tmp_path / name).write_text(text.replace("/opt/papibot/.venv/bin/papibot", sys.executable),
                                     encoding="utf-8")
    # A template is verified as one of its instances.
    (tmp_path / "papibot@8082.service").symlink_to(tmp_path / "papibot@.service")
    names = [n for n in UNITS if n != "papibot@.service"] + ["papibot@8082.service"]
    done = subprocess.run(["systemd-analyze", "verify", "--man=no", *(str(tmp_path / n) for n in names)],
                          capture_output=True, text=True, timeout=60)
    problems = [line for line in (done.stdout + done.stderr).splitlines()
                if line.strip() and "papibot" in line and "user" not in line.lower()]
    assert done.returncode == 0 or not problems, done.stdout + done.stderr
    assert not problems, problems


def _docker_daemon() -> bool:
    if shutil.which("docker") is None:
        return False
    try:
        return subprocess.run(["docker", "info", "--format", "{{.ServerVersion}}"], capture_output=True,
                              timeout=20).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.slow
@pytest.mark.skipif(not _docker_daemon(), reason="no Docker daemon here (the docker client alone cannot build)")
def test_the_image_builds_and_answers_healthz() -> None:
    tag = "papibot-test:latest"
    subprocess.run(["docker", "build", "-q", "-t", tag, str(ROOT_DIR)], check=True, timeout=900)
    user = subprocess.run(["docker", "run", "--rm", tag, "id", "-un"], capture_output=True, text=True, timeout=60)
    assert user.stdout.strip() == "papibot"
    port = _free_port()
    with FakeBotAPI() as fake:
        started = subprocess.run(
            ["docker", "run", "-d", "--rm", "--network", "host", "-e", f"TELEGRAM_BOT_TOKEN={fake.token}",
             "-e", f"PAPIBOT_TELEGRAM_API={fake.url}", "-e", f"PAPIBOT_HTTP_PORT={port}",
             "-e", "PAPIBOT_HTTP_LISTEN=127.0.0.1", tag], capture_output=True, text=True, check=True, timeout=60)
        container = started.stdout.strip()
        try:
            deadline, status = time.monotonic() + 60, 0
            while time.monotonic() < deadline and status != 200:
                try:
                    status = urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2).status
                except OSError:
                    time.sleep(1)
            assert status == 200
        finally:
            subprocess.run(["docker", "stop", container], capture_output=True, timeout=60)
