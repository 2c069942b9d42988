"""The console's foundations: argon2id passwords, throttled logins, idle-expiring sessions, CSRF tokens,
role checks, and rendering pages from channels/web/templates (one autoescaped jinja2 environment)."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import jinja2
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response

from bot.kernel.clock import SYSTEM, Clock
from bot.kernel.models import ADMIN, STAFF, User
from bot.kernel.render import age, local_time
from bot.store.sqlite import StorageUnavailable
from bot.store.storage import Storage
from bot.usecases.staff import vn_number

SESSION_COOKIE = "papibot_session"
LOGIN_COOKIE = "papibot_login"  # double-submit token for the login form, before any session exists
IDLE = 8 * 3600  # seconds: a session unused this long is signed out
MAX_FAILURES, WINDOW, LOCK = 5, 15 * 60, 15 * 60  # 5 failures within 15 min lock that (login, address) for 15 min
MAX_FORM = 256 * 1024  # bytes: the longest answer is 20,000 characters
MAX_ID = 2**63  # row ids are signed 64-bit integers: a larger number names no row (and would overflow)
_HASHER = PasswordHasher()  # argon2id with the library's current recommended cost
_DUMMY = _HASHER.hash("papibot-dummy-password")  # verified against for unknown logins: same timing


def hash_password(password: str) -> str:
    """An argon2id hash of the password."""
    return _HASHER.hash(password)


def check_password(stored: str, password: str) -> bool:
    """Whether the password matches the stored hash."""
    try:
        return _HASHER.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False


def token_hash(token: str) -> str:
    """Sessions are stored by the hash of their cookie, so a copy of the database signs nobody in."""
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class Officer:
    """A signed-in officer."""

    login: str
    name: str
    role: str
    csrf: str

    @property
    def user(self) -> User:
        """The officer as the services see them: identity `web:<login>`."""
        return User("web", self.login, self.login, self.name or self.login, self.role)

    @property
    def is_admin(self) -> bool:
        """May use the inbox and knowledge pages."""
        return self.role == ADMIN


class Auth:
    """Sign-in state over the database; `secure` marks cookies Secure (the console is served over https)."""

    def __init__(self, storage: Storage, secure: bool = False, failure_delay: float = 0.5,
                 clock: Clock = SYSTEM) -> None:
        self.storage = storage
        self.clock = clock
        self.secure = secure
        self.failure_delay = failure_delay

    def set_cookie(self, response: Response, name: str, value: str, max_age: int | None = None) -> None:
        """An HttpOnly, SameSite=Lax cookie (Secure over https)."""
        response.set_cookie(name, value, max_age=max_age, httponly=True, samesite="lax", secure=self.secure,
                            path="/")

    async def locked_until(self, login: str, client: str) -> float | None:
        """When the lock on this (login, address) ends, or None when it may try."""
        failures = await self.storage.accounts.failures(login, client, self.clock.now() - WINDOW - LOCK)
        for i in range(len(failures) - MAX_FAILURES + 1):
            if failures[i + MAX_FAILURES - 1] - failures[i] <= WINDOW:
                until = failures[i + MAX_FAILURES - 1] + LOCK
                if until > self.clock.now():
                    return until
        return None

    async def login(self, login: str, password: str, client: str) -> tuple[str | None, str]:
        """(session token, "") on success, else (None, the reason to show)."""
        if await self.locked_until(login, client):
            return None, "Đăng nhập sai quá nhiều lần. Tài khoản tạm khóa 15 phút đối với máy này."
        account = await self.storage.accounts.get(login)
        ok = check_password(account.password_hash if account else _DUMMY, password)
        if not ok or account is None or account.disabled:
            await self.storage.accounts.add_failure(login, client)
            recent = await self.storage.accounts.failures(login, client, self.clock.now() - WINDOW)
            await asyncio.sleep(min(self.failure_delay * len(recent), 5.0))  # slow down guessing
            return None, "Sai tên đăng nhập hoặc mật khẩu."
        await self.storage.accounts.clear_failures(login, client)
        token = secrets.token_urlsafe(32)
        await self.storage.sessions.add(token_hash(token), login, secrets.token_urlsafe(24), IDLE)
        await self.storage.audit.record(f"web:{login}", "login", None, client)
        return token, ""

    async def officer(self, request: Request, touch: bool = True) -> Officer | None:
        """The officer signed in on this request, if any; `touch=False` (a page polling by itself) does not keep
        the session from ending after IDLE seconds without the officer."""
        token = request.cookies.get(SESSION_COOKIE, "")
        session = await self.storage.sessions.get(token_hash(token), IDLE) if token else None
        account = await self.storage.accounts.get(session.login) if session else None
        if session is None or account is None or account.disabled:
            return None
        if touch:
            with contextlib.suppress(StorageUnavailable):  # a full disk: the page is still shown, the session untouched
                await self.storage.sessions.touch(token_hash(token), session)
        return Officer(account.login, account.name, account.role, session.csrf)

    async def logout(self, request: Request) -> None:
        """End the session of this request."""
        token = request.cookies.get(SESSION_COOKIE, "")
        if token:
            await self.storage.sessions.end(token_hash(token))


def too_large(request: Request) -> bool:
    """A form bigger than any the console shows (a declared length over MAX_FORM)."""
    declared = request.headers.get("content-length", "")
    return not declared.isdigit() or int(declared) > MAX_FORM


Handler = Callable[[Request, Officer], Awaitable[Response]]


def page(role: str = STAFF) -> Callable[[Handler], Callable[[Request], Awaitable[Response]]]:
    """Wrap a handler: sign-in required (else /login), the role checked (else 403), CSRF checked on POST."""
    def wrap(handler: Handler) -> Callable[[Request], Awaitable[Response]]:
        async def endpoint(request: Request) -> Response:
            auth: Auth = request.app.state.auth
            officer = await auth.officer(request)
            if officer is None:
                return RedirectResponse("/login", status_code=303)
            if role == ADMIN and not officer.is_admin:
                return PlainTextResponse("403: trang này chỉ dành cho quản trị viên.", status_code=403)
            if any(isinstance(v, int) and v >= MAX_ID for v in request.path_params.values()):
                return render(request, "message.html", officer, code=404, text="Không có trang này.")
            if request.method == "POST":
                if too_large(request):
                    return PlainTextResponse("413: nội dung gửi lên quá lớn.", status_code=413)
                form = await request.form()
                sent = str(form.get("csrf", ""))
                if not hmac.compare_digest(sent.encode(), officer.csrf.encode()):
                    return PlainTextResponse("403: phiên làm việc không hợp lệ (CSRF). Tải lại trang.",
                                             status_code=403)
            return await handler(request, officer)
        endpoint.__doc__ = handler.__doc__
        return endpoint
    return wrap


def row_id(text: str) -> int | None:
    """A database row id written in decimal, or None when the text is not one."""
    digits = text.isascii() and text.isdigit() and len(text) <= 19  # "²" is a digit to str.isdigit, not to int()
    return int(text) if digits and int(text) < MAX_ID else None


def form_text(form: Any, name: str, limit: int = 20_000) -> str:
    """A form field as stripped text, cut at `limit` characters."""
    value = form.get(name, "")
    return str(value).strip()[:limit] if isinstance(value, str) else ""


HERE = Path(__file__).resolve().parent
_ENV = jinja2.Environment(loader=jinja2.FileSystemLoader(str(HERE / "templates")), autoescape=True,
                          undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)
_ENV.filters.update(time=local_time, age=age, vn=vn_number)


def render(request: Request, name: str, officer: Officer | None = None, code: int = 200,
           **context: Any) -> HTMLResponse:
    """A page from the console's templates, with the officer and any message from the query string."""
    html = _ENV.get_template(name).render(officer=officer, path=request.url.path,
                                          msg=request.query_params.get("msg", "")[:300],
                                          err=request.query_params.get("err", "")[:300], **context)
    return HTMLResponse(html, status_code=code, headers={"Cache-Control": "no-store"})




def back(url: str, msg: str = "", err: str = "") -> RedirectResponse:
    """Redirect after a POST (303), with a message for the next page."""
    query = urlencode({k: v for k, v in (("msg", msg), ("err", err)) if v})
    joiner = "&" if "?" in url else "?"
    return RedirectResponse(f"{url}{joiner}{query}" if query else url, status_code=303)
