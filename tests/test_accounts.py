"""Signing in to the web console as a use case: the lock-out window, idle sign-ins ending, the audit trail."""

from __future__ import annotations

from bot.engine.services import open_services
from bot.kernel.clock import FixedClock
from bot.kernel.config import Config
from bot.usecases.accounts import IDLE, LOCK, MAX_FAILURES, LockedOut, SignedIn, WrongPassword, hash_password

PASSWORD = "mat-khau-rat-dai-2024"


async def test_sign_in_locks_out_after_failures_and_the_lock_ends(config: Config) -> None:
    clock = FixedClock()
    services = await open_services(config, clock=clock)
    try:
        await services.storage.accounts.add("lan", "Nguyễn Thị Lan", "admin", hash_password(PASSWORD), None)
        accounts = services.accounts
        for _ in range(MAX_FAILURES):
            assert isinstance(await accounts.sign_in("lan", "sai", "10.0.0.1", 0.0), WrongPassword)
        assert isinstance(await accounts.sign_in("lan", PASSWORD, "10.0.0.1", 0.0), LockedOut)
        assert isinstance(await accounts.sign_in("lan", PASSWORD, "10.0.0.2", 0.0), SignedIn)  # another machine
        clock.advance(LOCK + 1)
        assert isinstance(await accounts.sign_in("lan", PASSWORD, "10.0.0.1", 0.0), SignedIn)
    finally:
        await services.close()


async def test_an_idle_sign_in_ends_and_logins_and_logouts_are_audited(config: Config) -> None:
    clock = FixedClock()
    services = await open_services(config, clock=clock)
    try:
        await services.storage.accounts.add("lan", "Nguyễn Thị Lan", "admin", hash_password(PASSWORD), None)
        accounts = services.accounts
        signed = await accounts.sign_in("lan", PASSWORD, "10.0.0.1", 0.0)
        assert isinstance(signed, SignedIn)
        clock.advance(IDLE - 60)
        officer = await accounts.officer(signed.token)
        assert officer is not None and officer.name == "Nguyễn Thị Lan" and officer.is_admin
        clock.advance(IDLE - 60)  # touched a moment ago: still signed in
        assert await accounts.officer(signed.token, touch=False) is not None
        clock.advance(120)
        assert await accounts.officer(signed.token) is None
        again = await accounts.sign_in("lan", PASSWORD, "10.0.0.1", 0.0)
        assert isinstance(again, SignedIn)
        await accounts.sign_out(again.token, officer)
        assert await accounts.officer(again.token) is None
        actions = [(a["admin_id"], a["action"]) for a in await services.storage.audit.recent()]
        assert actions[:3] == [("web:lan", "logout"), ("web:lan", "login"), ("web:lan", "login")]
    finally:
        await services.close()
