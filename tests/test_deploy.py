"""The deployment files: systemd units that systemd accepts, and a container image that builds and is healthy."""

from __future__ import annotations

import ipaddress
import json
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import ROOT_DIR
from tests.fakebotapi import FakeBotAPI
from tests.webkit import PASSWORD

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
def test_the_image_copies_every_package_the_project_installs() -> None:
    """Where no Docker daemon runs, the image's build is still checked for the packages it must carry."""
    packages = re.search(r"include = \[([^\]]*)\]", (ROOT_DIR / "pyproject.toml").read_text())
    assert packages is not None
    names = {name.strip('" *') for name in packages[1].split(",")}
    copied = set(re.findall(r"^COPY (\w+) \./\1$", (ROOT_DIR / "Dockerfile").read_text(), re.M))
    assert names and names <= copied, names - copied


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


def _wait_ok(url: str, timeout: float = 60.0) -> Any:
    """The first 200 answer at `url` (polling a starting container), else AssertionError."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            response = urllib.request.urlopen(url, timeout=2)
            if response.status == 200:
                return response
        except OSError:
            time.sleep(1)
    raise AssertionError(f"nothing answered 200 at {url}")


@pytest.mark.slow
@pytest.mark.skipif(not _docker_daemon(), reason="no Docker daemon here (the docker client alone cannot build)")
def test_the_image_builds_and_answers_healthz_and_the_console() -> None:
    tag = "papibot-test:latest"
    subprocess.run(["docker", "build", "-q", "-t", tag, str(ROOT_DIR)], check=True, timeout=900)
    user = subprocess.run(["docker", "run", "--rm", tag, "id", "-un"], capture_output=True, text=True, timeout=60)
    assert user.stdout.strip() == "papibot"
    with FakeBotAPI() as fake:
        for channel in ({"TELEGRAM_BOT_TOKEN": fake.token, "PAPIBOT_TELEGRAM_API": fake.url}, {}):
            port, web_port = _free_port(), _free_port()
            settings = {**channel, "PAPIBOT_HTTP_PORT": str(port), "PAPIBOT_HTTP_LISTEN": "127.0.0.1",
                        "PAPIBOT_WEB_PORT": str(web_port), "PAPIBOT_WEB_LISTEN": "127.0.0.1"}
            started = subprocess.run(["docker", "run", "-d", "--rm", "--network", "host",
                                      *(arg for k, v in settings.items() for arg in ("-e", f"{k}={v}")), tag],
                                     capture_output=True, text=True, check=True, timeout=60)
            container = started.stdout.strip()
            try:
                health = json.loads(_wait_ok(f"http://127.0.0.1:{port}/healthz").read())
                assert list(health["channels"]) == (["telegram"] if channel else []), health
                added = subprocess.run(["docker", "exec", "-i", container, "papibot", "user", "add", "lan", "--role",
                                        "admin"], input=f"{PASSWORD}\n", capture_output=True, text=True, timeout=60)
                assert added.returncode == 0, added.stderr
                assert 'name="password"' in _wait_ok(f"http://127.0.0.1:{web_port}/login").read().decode()
            finally:
                subprocess.run(["docker", "stop", container], capture_output=True, timeout=60)


def _compose() -> dict[str, Any]:
    return yaml.safe_load((ROOT_DIR / "compose.yaml").read_text(encoding="utf-8"))  # type: ignore[no-any-return]


def test_compose_publishes_the_console_on_its_own_port_to_the_host_only() -> None:
    papibot = _compose()["services"]["papibot"]
    env = papibot["environment"]
    published = {mapping.rsplit(":", 1)[1]: mapping.rsplit(":", 2)[0] for mapping in papibot["ports"]}
    assert env["PAPIBOT_WEB_LISTEN"] == "0.0.0.0" and str(env["PAPIBOT_WEB_PORT"]) in published
    assert str(env["PAPIBOT_WEB_PORT"]) != "8080" and "8080" in published
    assert set(published.values()) == {"127.0.0.1"}  # nginx on the host decides who reaches each port


def test_compose_trusts_the_address_nginx_on_the_host_comes_from() -> None:
    compose = _compose()
    [network] = compose["networks"]["default"]["ipam"]["config"]
    trusted = compose["services"]["papibot"]["environment"]["PAPIBOT_TRUSTED_PROXIES"]
    assert trusted == network["gateway"] and ipaddress.ip_address(trusted) in ipaddress.ip_network(network["subnet"])


def _nginx_blocks() -> list[tuple[str, str]]:
    """(document, server block or snippet) of every nginx example in the docs."""
    blocks = []
    for doc in sorted((ROOT_DIR / "docs").glob("*.md")):
        for code in re.findall(r"```nginx\n(.*?)```", doc.read_text(encoding="utf-8"), re.S):
            blocks += [(doc.name, part) for part in re.split(r"\n(?=server \{|# )", code) if part.strip()]
    return blocks


def test_every_nginx_example_publishes_the_zalo_callback_and_keeps_the_console_off_the_public_block() -> None:
    blocks = _nginx_blocks()
    webhooks = [(doc, block) for doc, block in blocks if "/zalo/oa/webhook" in block]
    assert {doc for doc, _ in webhooks} >= {"deploy.md", "zalo.md"}
    for doc, block in webhooks:
        assert "location = /zalo/oa/callback" in block, (doc, block)
    for doc, block in blocks:
        if "/webhook" in block:
            assert ":8081" not in block, (doc, block)  # the console is never in the public server block
