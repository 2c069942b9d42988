"""`papibot zalo authorize`: the OA's first authorisation (OAuth v4 with PKCE S256), tokens stored."""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import sys
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx

from bot.kernel.config import Config
from channels.zalo_oa.tokens import CHANNEL, TokenError, request_tokens


def challenge(verifier: str) -> str:
    """PKCE S256: base64url of the verifier's SHA-256, without padding."""
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).decode().rstrip("=")


def pending_file(config: Config) -> Path:
    """Where the verifier waits between printing the URL and receiving the code (next to the database)."""
    return config.db_path.parent / "zalo_oa_authorize.json"


def permission_url(config: Config, verifier: str, state: str) -> str:
    """The URL the OA's administrator opens to grant papibot access."""
    query = urlencode({"app_id": config.zalo_oa_app_id, "redirect_uri": config.zalo_oa_redirect_url,
                       "code_challenge": challenge(verifier), "state": state})
    return f"{config.zalo_oauth_api}/v4/oa/permission?{query}"


def code_of(text: str) -> str:
    """The code, given bare or as the whole redirect URL."""
    text = text.strip()
    if "code=" in text:
        return parse_qs(urlsplit(text).query or text).get("code", [text])[0]
    return text


def start(config: Config) -> str:
    """A fresh verifier kept in the data directory; returns the permission URL."""
    verifier, state = secrets.token_urlsafe(48), secrets.token_urlsafe(12)
    path = pending_file(config)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"code_verifier": verifier, "state": state}), encoding="utf-8")
    path.chmod(0o600)
    return permission_url(config, verifier, state)


async def finish(config: Config, code: str) -> None:
    """Exchange the code with the kept verifier and store the tokens."""
    path = pending_file(config)
    if not path.exists():
        raise TokenError("no authorisation started: run `papibot zalo authorize` without a code first")
    verifier = json.loads(path.read_text(encoding="utf-8"))["code_verifier"]
    form = {"app_id": config.zalo_oa_app_id, "grant_type": "authorization_code", "code": code_of(code),
            "code_verifier": verifier}
    async with httpx.AsyncClient(timeout=15.0) as client:
        tokens = await request_tokens(client, config.zalo_oauth_api, config.zalo_oa_app_secret, form)
    from bot.store.storage import Storage

    storage = await Storage.open(config)
    try:
        await storage.channels.tokens.save(CHANNEL, tokens)
    finally:
        await storage.close()
    path.unlink()


async def authorize(config: Config, code: str | None) -> int:
    """Print the permission URL (unless a code is given), read the code, store the tokens."""
    if not (config.zalo_oa_app_id and config.zalo_oa_app_secret and config.zalo_oa_redirect_url):
        print("Cần PAPIBOT_ZALO_OA_APP_ID, PAPIBOT_ZALO_OA_APP_SECRET và PAPIBOT_ZALO_OA_REDIRECT_URL.",
              file=sys.stderr)
        return 2
    if not code:
        print("Mở địa chỉ sau bằng tài khoản quản trị OA và cấp quyền cho ứng dụng:")
        print(start(config))
        print("Dán mã (code) hoặc cả địa chỉ được chuyển hướng tới, rồi nhấn Enter:", flush=True)
        code = sys.stdin.readline().strip()
        if not code:
            print("Chưa có mã. Chạy lại: papibot zalo authorize MÃ", file=sys.stderr)
            return 1
    try:
        await finish(config, code)
    except TokenError as exc:
        print(f"Không lấy được mã truy cập: {exc}", file=sys.stderr)
        return 1
    print("Đã lưu mã truy cập Zalo OA vào cơ sở dữ liệu.")
    return 0
