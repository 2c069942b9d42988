"""The web console's ASGI app: sign-in pages, static files, and the routes of every page module."""

from __future__ import annotations

import hmac
import secrets
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from bot.engine.services import Services
from bot.store.sqlite import StorageUnavailable
from channels.http import Health, health_route
from channels.web.base import HERE, LOGIN_COOKIE, SESSION_COOKIE, Auth, Officer, form_text, page, render, too_large
from channels.web.dashboard import routes as dashboard_routes
from channels.web.doubt import routes as doubt_routes
from channels.web.inbox import routes as inbox_routes
from channels.web.learning import routes as learning_routes
from channels.web.live import routes as live_routes
from channels.web.plan_pages import routes as plan_pages_routes
from channels.web.report_pages import routes as report_pages_routes
from channels.web.safety import SecurityHeaders, http_error, server_error, storage_unavailable
from channels.web.voice import routes as voice_routes


def _client(request: Request) -> str:
    return request.client.host if request.client else "?"


async def login_form(request: Request, error: str = "", status: int = 200) -> Response:
    """GET /login: the sign-in form with a fresh double-submit token."""
    token = request.cookies.get(LOGIN_COOKIE) or secrets.token_urlsafe(24)
    response = render(request, "login.html", error=error, csrf=token, code=status)
    request.app.state.auth.set_cookie(response, LOGIN_COOKIE, token, max_age=3600)
    return response


async def login_submit(request: Request) -> Response:
    """POST /login: check the token, the throttle and the password; start a session."""
    auth: Auth = request.app.state.auth
    if too_large(request):
        return await login_form(request, "Nội dung gửi lên quá lớn.", 413)
    form = await request.form()
    sent, expected = form_text(form, "csrf"), request.cookies.get(LOGIN_COOKIE, "")
    if not expected or not hmac.compare_digest(sent.encode(), expected.encode()):
        return await login_form(request, "Phiên đăng nhập đã hết hạn, vui lòng thử lại.", 403)
    token, error = await auth.login(form_text(form, "username", 64), form_text(form, "password", 1024),
                                    _client(request))
    if token is None:
        return await login_form(request, error, 401)
    response = RedirectResponse("/", status_code=303)
    auth.set_cookie(response, SESSION_COOKIE, token)
    response.delete_cookie(LOGIN_COOKIE, path="/")
    return response


@page()
async def logout(request: Request, officer: Officer) -> Response:
    """POST /logout: end the session."""
    await request.app.state.auth.logout(request, officer)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@page()
async def home(request: Request, officer: Officer) -> Response:
    """GET /: admins start at the inbox, staff at the dashboard."""
    return RedirectResponse("/inbox" if officer.is_admin else "/dashboard", status_code=303)


def _health(services: Services) -> Health:
    async def health() -> tuple[bool, dict[str, Any]]:
        state = await services.console.health()
        return state == "ok", {"database": state}
    return health


def build_web_app(services: Services, failure_delay: float = 0.5) -> Starlette:
    """The console's app over the given services; `failure_delay` slows each failed login (seconds per failure)."""
    app = Starlette(routes=[
        Route("/", home, methods=["GET"]),
        Route("/login", login_form, methods=["GET"]),
        Route("/login", login_submit, methods=["POST"]),
        Route("/logout", logout, methods=["POST"]),
        *inbox_routes(), *learning_routes(), *doubt_routes(), *dashboard_routes(), *plan_pages_routes(),
        *live_routes(), *report_pages_routes(), *voice_routes(),
        health_route(_health(services)),
        Mount("/static", StaticFiles(directory=str(HERE / "static")), name="static"),
    ], middleware=[Middleware(SecurityHeaders)], exception_handlers={
        HTTPException: http_error, StorageUnavailable: storage_unavailable, Exception: server_error})
    app.state.services = services
    app.state.auth = Auth(services.accounts, services.config.web_url.startswith("https://"), failure_delay)
    return app
