"""What every console response carries and how it fails: security headers (a Content-Security-Policy that
allows no inline script or style) and Vietnamese error pages."""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from channels.web.base import render

CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; object-src 'none'; "
       "frame-ancestors 'none'; form-action 'self'; base-uri 'none'")
HEADERS = {"Content-Security-Policy": CSP, "X-Content-Type-Options": "nosniff", "Referrer-Policy": "same-origin",
           "X-Frame-Options": "DENY"}
ERRORS = {404: "Không có trang này.", 405: "Trang này không nhận thao tác đó."}
SERVER_ERROR = "Lỗi máy chủ. Vui lòng thử lại sau hoặc báo quản trị hệ thống."
STORAGE_DOWN = ("Máy chủ tạm thời không ghi được dữ liệu (ổ đĩa đầy hoặc lỗi lưu trữ), nên thao tác vừa rồi "
                "chưa được lưu. Các trang vẫn xem được; vui lòng thử lại sau ít phút hoặc báo quản trị hệ thống.")


def add_headers(headers: MutableHeaders) -> None:
    """The security headers a response does not already set."""
    for name, value in HEADERS.items():
        headers.setdefault(name, value)


class SecurityHeaders:
    """ASGI middleware: the security headers on every response of the app inside it (static files included)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Add the headers to the start of each HTTP response."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                add_headers(MutableHeaders(scope=message))
            await send(message)

        await self.app(scope, receive, send_with_headers)


async def http_error(request: Request, exc: Exception) -> Response:
    """404, 405 and other refusals as console pages, in Vietnamese."""
    code = exc.status_code if isinstance(exc, HTTPException) else 500
    page = render(request, "message.html", code=code, text=ERRORS.get(code, "Yêu cầu không hợp lệ."))
    page.headers.update(getattr(exc, "headers", None) or {})  # e.g. Allow on a 405
    return page


async def storage_unavailable(request: Request, exc: Exception) -> Response:
    """503 when the database cannot take a write (full disk, read-only, I/O error): nothing was saved."""
    return render(request, "message.html", code=503, text=STORAGE_DOWN)


async def server_error(request: Request, exc: Exception) -> Response:
    """500: a page of our own, sent from outside every middleware, so it sets the security headers itself."""
    page = render(request, "message.html", code=500, text=SERVER_ERROR)
    add_headers(page.headers)
    return page
