"""What keeps an open inbox current: a small JSON answer that /static/live.js polls (same origin, so the console's
Content-Security-Policy allows it), and the officers' notices that did not arrive, as the inbox lists them."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from bot.kernel.registry import REGISTRY
from bot.usecases.console import Console
from bot.usecases.notify import LOST

PROBLEM_STATES = {"undeliverable": "không gửi được", "pending": "đang thử gửi lại", "uncertain": "đang thử gửi lại"}


async def live(request: Request) -> Response:
    """GET /inbox/live: pending tickets, the newest one, undelivered notices; polling never extends the session."""
    officer = await request.app.state.auth.officer(request, touch=False)
    if officer is None or not officer.is_admin:
        return JSONResponse({"error": "đăng nhập với quyền quản trị để xem hộp thư"}, status_code=401)
    counts = await request.app.state.services.console.live()
    return JSONResponse(counts, headers={"Cache-Control": "no-store"})


def _what(row: dict[str, Any]) -> str:
    kind = str(row["kind"]).split("@")[0]
    number = f" #{row['ticket_id']}" if row["ticket_id"] else ""
    if kind == "admin_post":
        return f"Câu hỏi mới{number}"
    if kind.startswith(LOST):
        return f"Báo một thông báo không tới được{number and ' (câu hỏi' + number + ')'}"
    if kind.startswith("undeliverable:"):
        return "Báo tin không tới được công dân"
    return f"Ghi chú về câu hỏi{number}" if number else "Thông báo cho cán bộ"


async def notice_problems(console: Console) -> list[dict[str, Any]]:
    """The officers' notices of the last days that did not arrive or are being retried, ready to show."""
    return [{**row, "place": REGISTRY.place_label(f"{row['channel']}:{row['chat_id']}"), "what": _what(row),
             "state": PROBLEM_STATES.get(row["status"], row["status"])}
            for row in await console.notice_problems()]


def routes() -> list[Route]:
    """The live count's route."""
    return [Route("/inbox/live", live, methods=["GET"])]
