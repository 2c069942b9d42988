"""The console's foundations: sign-in cookies over the accounts use case (bot/usecases/accounts.py), CSRF tokens,
role checks, and rendering pages from channels/web/templates (one autoescaped jinja2 environment)."""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import jinja2
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response

from bot.kernel.models import ADMIN, STAFF
from bot.kernel.render import age, local_time
from bot.usecases.accounts import Accounts, LockedOut, SignedIn
from bot.usecases.accounts import Officer as Officer  # the pages take it from here, with `page`
from bot.usecases.staff import vn_number

SESSION_COOKIE = "papibot_session"
LOGIN_COOKIE = "papibot_login"  # double-submit token for the login form, before any session exists
MAX_FORM = 256 * 1024  # bytes: the longest answer is 20,000 characters
MAX_ID = 2**63  # row ids are signed 64-bit integers: a larger number names no row (and would overflow)
LOCKED = "Đăng nhập sai quá nhiều lần. Tài khoản tạm khóa 15 phút đối với máy này."
WRONG = "Sai tên đăng nhập hoặc mật khẩu."


class Auth:
    """The console's cookies over the accounts use case; `secure` marks cookies Secure (served over https)."""

    def __init__(self, accounts: Accounts, secure: bool = False, failure_delay: float = 0.5) -> None:
        self.accounts = accounts
        self.secure = secure
        self.failure_delay = failure_delay

    def set_cookie(self, response: Response, name: str, value: str, max_age: int | None = None) -> None:
        """An HttpOnly, SameSite=Lax cookie (Secure over https)."""
        response.set_cookie(name, value, max_age=max_age, httponly=True, samesite="lax", secure=self.secure,
                            path="/")

    async def login(self, login: str, password: str, client: str) -> tuple[str | None, str]:
        """(session token, "") on success, else (None, the reason to show)."""
        outcome = await self.accounts.sign_in(login, password, client, self.failure_delay)
        if isinstance(outcome, SignedIn):
            return outcome.token, ""
        return None, LOCKED if isinstance(outcome, LockedOut) else WRONG

    async def officer(self, request: Request, touch: bool = True) -> Officer | None:
        """The officer signed in on this request, if any; `touch=False` (a page polling by itself) does not keep
        the session from ending after IDLE seconds without the officer."""
        return await self.accounts.officer(request.cookies.get(SESSION_COOKIE, ""), touch)

    async def logout(self, request: Request, officer: Officer) -> None:
        """End the session of this request (audited)."""
        await self.accounts.sign_out(request.cookies.get(SESSION_COOKIE, ""), officer)


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
