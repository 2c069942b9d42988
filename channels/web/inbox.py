"""The inbox: pending tickets with their context; answer, preview, correct, close, assign; canned replies."""

from __future__ import annotations

import html
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

import channels.web.said as said
from bot.engine.services import Services
from bot.kernel.models import ADMIN, ANSWERED, PENDING, Ticket
from bot.kernel.registry import REGISTRY
from bot.usecases.admin import NO_REASON
from bot.usecases.notify import CHANNEL_NAMES, LOST
from bot.usecases.outcomes import Answered, Assigned, Closed, Corrected, Preview
from channels.web.base import Officer, back, form_text, page, render, row_id
from channels.web.delivering import inbox_notice, ticket_notice
from channels.web.live import notice_problems

DELIVERY_STATES = {"pending": "đang chờ gửi", "uncertain": "chưa chắc đã tới, sẽ gửi lại", "sent": "đã gửi",
                   "undeliverable": "không gửi được", "failed": "gửi thất bại"}
KIND_NAMES = {"answer": "Câu trả lời", "closed": "Thông báo đóng", "admin_post": "Thông báo cho cán bộ",
              LOST: "Báo cán bộ: một thông báo không tới được"}
CONTEXT_ROWS = 100  # tickets in the list shown with the questions asked just before them
def kind_name(kind: str, channel: str = "", chat_id: str = "") -> str:
    """A Vietnamese name for an outbox message kind, with the officers' destination it went to when given."""
    base = kind.partition("@")[0]  # `…@n`: the same notice at another officers' destination
    if base.startswith("correction:"):
        name = f"Đính chính lần {base.split(':', 1)[1]}"
    else:
        name = KIND_NAMES.get(base.partition(":")[0], "Ghi chú cho nhóm cán bộ" if base.startswith("web_") else base)
    to_officers = base == "admin_post" or base.startswith((LOST, "web_"))
    return f"{name} → {REGISTRY.place_label(f'{channel}:{chat_id}')}" if to_officers and channel else name


async def tell_officers(services: Services, ticket: Ticket, kind: str, text: str) -> None:
    """Note at every officers' destination, after the ticket's post there, what was done on the console."""
    await services.officers.note(ticket, kind, html.escape(text, quote=False))


@page(ADMIN)
async def inbox(request: Request, officer: Officer) -> Response:
    """GET /inbox: tickets oldest first, filtered by status, channel, assignment and text."""
    q = request.query_params
    status = q.get("status", PENDING) if q.get("status", PENDING) in ("", PENDING, ANSWERED, "closed") else PENDING
    channel, search = q.get("channel", ""), q.get("q", "").strip()[:100]
    mine = q.get("mine") == "1"
    services: Services = request.app.state.services
    console = services.console
    rows = await console.tickets(status, channel, officer.user.key if mine else "", search)
    before = {t.id: await console.asked_before(t, 2) for t, _ in rows[:CONTEXT_ROWS]}
    return render(request, "inbox.html", officer, rows=rows, now=services.clock.now(), status=status, channel=channel,
                  search=search, mine=mine, channels=CHANNEL_NAMES, before=before,
                  undelivered=await inbox_notice(services), inbox_live=await console.live(),
                  problems=await notice_problems(console))


async def _ticket_page(request: Request, officer: Officer, ticket: Ticket, draft: str = "",
                       preview: Preview | None = None, error: str = "") -> Response:
    services: Services = request.app.state.services
    console = services.console
    before: list[dict[str, Any]] = await console.asked_before(ticket)
    kb = services.brain.kb
    for item in before:
        suggested = services.brain.matcher.match(item["text"]).suggestions if item["decision"] == "suggest" else ()
        topics = [item["topic"]] if item["topic"] else list(suggested)
        item["topics"] = [(kb.topic(t).title if kb.topic(t) else t) for t in topics]  # type: ignore[union-attr]
    deliveries = await console.deliveries(ticket.id)
    officers = await services.accounts.admins()
    return render(request, "ticket.html", officer, t=ticket, before=before, deliveries=deliveries,
                  states=DELIVERY_STATES, kind_name=kind_name, canned=await console.canned(),
                  officers=officers, assigned=await console.assigned_to(ticket.id), draft=draft, preview=preview,
                  error=error, channel=CHANNEL_NAMES.get(ticket.channel, ticket.channel), now=services.clock.now(),
                  undelivered=await ticket_notice(services, deliveries))


async def _ticket(request: Request) -> Ticket | None:
    return await request.app.state.services.console.ticket(int(request.path_params["id"]))  # type: ignore[no-any-return]


@page(ADMIN)
async def ticket_page(request: Request, officer: Officer) -> Response:
    """GET /inbox/<id>: the ticket, the conversation before it, delivery states, the answer form."""
    ticket = await _ticket(request)
    if ticket is None:
        return render(request, "message.html", officer, code=404, text="Không có câu hỏi này.")
    return await _ticket_page(request, officer, ticket, draft=ticket.answer or "")


@page(ADMIN)
async def answer(request: Request, officer: Officer) -> Response:
    """POST /inbox/<id>/answer: insert a canned reply, preview, send (or correct an answer already sent)."""
    services: Services = request.app.state.services
    ticket = await _ticket(request)
    if ticket is None:
        return back("/inbox", err="Không có câu hỏi này.")
    form = await request.form()
    text, action = form_text(form, "answer"), form_text(form, "action")
    if action == "insert":
        chosen = {str(c.id): c.body for c in await services.console.canned()}.get(form_text(form, "canned"))
        text = f"{text}\n\n{chosen}".strip() if chosen else text
        return await _ticket_page(request, officer, ticket, draft=text)
    if action == "preview" or not text:
        error = "" if text else "Hãy viết câu trả lời trước khi gửi."
        preview = services.inbox.preview(officer.user, ticket, text)
        return await _ticket_page(request, officer, ticket, text, preview if isinstance(preview, Preview) else None,
                                  error)
    if ticket.status == ANSWERED:
        return await _correct(services, officer, ticket, text)
    outcome = await services.admin.answer(officer.user, ticket.id, text)
    if not isinstance(outcome, Answered):
        return await _ticket_page(request, officer, ticket, text, error=said.answered(outcome).text)
    who = officer.name or officer.login
    await tell_officers(services, ticket, "web_answer", f"✅ Câu hỏi #{ticket.id} đã được {who} trả lời trên"
                        " bảng điều khiển web.")
    return said.answered(outcome).back(f"/inbox/{ticket.id}")


async def _correct(services: Services, officer: Officer, ticket: Ticket, text: str) -> Response:
    outcome = await services.inbox.correct(officer.user, ticket.id, text)
    if isinstance(outcome, Corrected):
        await tell_officers(services, ticket, f"web_correction:{outcome.number}",
                            f"✏️ Câu trả lời cho câu hỏi #{ticket.id} đã được đính chính (lần {outcome.number}).")
    return said.corrected(outcome).back(f"/inbox/{ticket.id}")


@page(ADMIN)
async def close(request: Request, officer: Officer) -> Response:
    """POST /inbox/<id>/close: close with a reason («spam» is not told to the citizen)."""
    services: Services = request.app.state.services
    ticket = await _ticket(request)
    if ticket is None:
        return back("/inbox", err="Không có câu hỏi này.")
    reason = form_text(await request.form(), "reason", 300)
    outcome = await services.admin.close(officer.user, ticket.id, reason)
    if isinstance(outcome, Closed):
        who = officer.name or officer.login
        await tell_officers(services, ticket, "web_close", f"🚫 Câu hỏi #{ticket.id} đã được {who} đóng trên"
                            f" bảng điều khiển web: {reason or NO_REASON}.")
    return said.closed(outcome).back(f"/inbox/{ticket.id}")


@page(ADMIN)
async def assign(request: Request, officer: Officer) -> Response:
    """POST /inbox/<id>/assign: assign to myself or another officer."""
    services: Services = request.app.state.services
    login = form_text(await request.form(), "officer", 64) or officer.login
    outcome = await services.inbox.assign(officer.user, int(request.path_params["id"]), login)
    return said.assigned(outcome).back(f"/inbox/{outcome.ticket.id}" if isinstance(outcome, Assigned) else "/inbox")


@page(ADMIN)
async def canned(request: Request, officer: Officer) -> Response:
    """GET /canned: the canned replies; POST: create, edit or delete one."""
    services: Services = request.app.state.services
    if request.method == "POST":
        form = await request.form()
        reply_id = row_id(form_text(form, "id"))
        if form_text(form, "action") == "delete" and reply_id is not None:
            return said.canned(await services.inbox.delete_canned(officer.user, reply_id)).back("/canned")
        title, body = form_text(form, "title", 200), form_text(form, "body", 5000)
        return said.canned(await services.inbox.save_canned(officer.user, reply_id, title, body)).back("/canned")
    return render(request, "canned.html", officer, items=await services.console.canned())


def routes() -> list[Route]:
    """The inbox's routes."""
    return [
        Route("/inbox", inbox, methods=["GET"]),
        Route("/inbox/{id:int}", ticket_page, methods=["GET"]),
        Route("/inbox/{id:int}/answer", answer, methods=["POST"]),
        Route("/inbox/{id:int}/close", close, methods=["POST"]),
        Route("/inbox/{id:int}/assign", assign, methods=["POST"]),
        Route("/canned", canned, methods=["GET", "POST"]),
    ]
