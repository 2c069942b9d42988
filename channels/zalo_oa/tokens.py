"""Zalo OA access tokens: refreshed ahead of expiry under a lock, the single-use refresh token stored first."""

from __future__ import annotations

import asyncio
import logging

import httpx

from bot.engine.guard import MaskingFilter
from bot.kernel.clock import SYSTEM, Clock
from bot.store.channel_store import ChannelStore, Tokens

log = logging.getLogger(__name__)
CHANNEL = "zalo_oa"
EARLY = 600.0  # seconds before expiry when the access token is refreshed


class TokenError(Exception):
    """No usable access token: the refresh was refused (papibot zalo authorize is needed) or failed."""


def mask_in_logs(*secrets: str) -> None:
    """Add secrets learnt at run time (tokens from the database or Zalo) to every log masking filter."""
    for handler in logging.getLogger().handlers:
        for flt in handler.filters:
            if isinstance(flt, MaskingFilter):
                flt.secrets = (*flt.secrets, *(s for s in secrets if s and s not in flt.secrets))


async def request_tokens(client: httpx.AsyncClient, oauth_api: str, app_secret: str,
                         form: dict[str, str], clock: Clock = SYSTEM) -> Tokens:
    """POST /v4/oa/access_token (refresh or authorization code); the new tokens, or TokenError."""
    try:
        resp = await client.post(f"{oauth_api}/v4/oa/access_token", data=form, headers={"secret_key": app_secret})
        data = resp.json()
    except (httpx.HTTPError, ValueError) as exc:
        raise TokenError(f"Zalo OAuth unreachable: {type(exc).__name__}") from exc
    if not isinstance(data, dict) or not data.get("access_token") or not data.get("refresh_token"):
        error = data.get("error") if isinstance(data, dict) else None
        name = data.get("error_name", "") if isinstance(data, dict) else ""
        raise TokenError(f"Zalo OAuth refused ({error} {name})".strip())
    lifetime = float(str(data.get("expires_in") or "3600"))
    tokens = Tokens(str(data["access_token"]), str(data["refresh_token"]), clock.now() + lifetime)
    mask_in_logs(tokens.access_token, tokens.refresh_token)
    return tokens


class TokenKeeper:
    """The OA's access token: loaded from the database (the setting only seeds an empty one), refreshed once."""

    def __init__(self, store: ChannelStore, client: httpx.AsyncClient, oauth_api: str, app_id: str,
                 app_secret: str, seed: str, clock: Clock = SYSTEM) -> None:
        self.store, self.client, self.oauth_api = store, client, oauth_api
        self.app_id, self.app_secret, self.seed, self.clock = app_id, app_secret, seed, clock
        self.tokens: Tokens | None = None
        self.status = "no token"
        self._lock = asyncio.Lock()

    async def load(self) -> None:
        """Read the stored tokens; seed the database from the setting when it has none."""
        self.tokens = await self.store.tokens.get(CHANNEL)
        if self.tokens is None and self.seed:
            self.tokens = Tokens("", self.seed, 0.0)
            await self.store.tokens.save(CHANNEL, self.tokens)
        if self.tokens is not None:
            mask_in_logs(self.tokens.access_token, self.tokens.refresh_token)
        self.status = self._describe()

    def health(self) -> str:
        """The token's state for /healthz: ok, expired (refreshed on next use), or why it cannot be had."""
        return self.status if self.status != "ok" else self._describe()

    def _fresh(self, tokens: Tokens | None) -> bool:
        return tokens is not None and bool(tokens.access_token) and self.clock.now() < tokens.expires_at - EARLY

    def _describe(self) -> str:
        if self.tokens is None:
            return "no token: run `papibot zalo authorize`"
        return "ok" if self._fresh(self.tokens) else "access token expired (refreshed on next use)"

    async def access_token(self) -> str:
        """A valid access token, refreshed first when it expires within EARLY seconds."""
        tokens = self.tokens
        if tokens is not None and self._fresh(tokens):
            return tokens.access_token
        return await self.refresh(tokens.access_token if tokens else "")

    async def refresh(self, stale: str) -> str:
        """Replace the access token `stale` (refused or expiring); one refresh at a time, never twice."""
        # One refresh at a time in this process, and across processes sharing the database (the refresh
        # token is single-use: a second process refreshing with it would be refused).
        async with self._lock, self.store.coordination.exclusive("zalo_oa token refresh"):
            current = self.tokens
            if current is not None and current.access_token != stale and self._fresh(current):
                return current.access_token  # another task refreshed while this one waited
            stored = await self.store.tokens.get(CHANNEL)  # another process may have rotated it
            if stored is not None and stored.access_token != stale and self._fresh(stored):
                self.tokens = stored
                return stored.access_token
            refresh = (stored or current or Tokens("", self.seed, 0.0)).refresh_token
            if not refresh:
                self.status = "no refresh token: run `papibot zalo authorize`"
                raise TokenError(self.status)
            form = {"app_id": self.app_id, "grant_type": "refresh_token", "refresh_token": refresh}
            try:
                tokens = await request_tokens(self.client, self.oauth_api, self.app_secret, form, self.clock)
            except TokenError as exc:
                self.status = f"token refresh failed: {exc}"
                log.error("Zalo OA %s", self.status)
                raise
            await self.store.tokens.save(CHANNEL, tokens)  # the old refresh token is dead: store before use
            self.tokens, self.status = tokens, "ok"
            log.info("Zalo OA access token refreshed")
            return tokens.access_token
