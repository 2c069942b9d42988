"""Doubtful answers on the "Chưa hiểu" page: each with the citizen's turns around it and the standalone
reading's other topics; an officer marks it right, dismisses it, or teaches the right topic (/learn)."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bot.engine.services import Services
from bot.kernel.models import ADMIN
from bot.store.doubt import DoubtItem, NearbyTurn
from bot.understanding.doubt import CONTEXT, DISMISSED, RIGHT, alternatives
from bot.usecases.review import AlreadyJudged
from channels.web.base import Officer, back, form_text, page

KINDS = {CONTEXT: "Trả lời theo chủ đề đang hỏi, nhưng riêng câu này gần với chủ đề khác",
         "margin": "Điểm của chủ đề được trả lời chỉ hơn chủ đề đứng sau một chút"}
DONE = {RIGHT: "Đã ghi nhận câu trả lời đúng.", DISMISSED: "Đã bỏ qua câu này (không phải câu hỏi hoặc tin rác)."}


def _title(services: Services, topic_id: str | None) -> str:
    topic = services.brain.kb.topic(topic_id) if topic_id else None
    return topic.title if topic else (topic_id or "")


def _turn(services: Services, t: NearbyTurn) -> dict[str, Any]:
    return {"text": t.text, "topic": _title(services, t.topic), "at": t.created_at}


def suggested_topic(services: Services, item: DoubtItem) -> str:
    """The topic the message alone now points to best, other than the one answered ("" when none)."""
    others = alternatives(services.brain.matcher.match(item.text), item.topic)
    return others[0][0] if others else ""


async def doubt_items(services: Services, limit: int = 100) -> list[dict[str, Any]]:
    """The unjudged doubtful answers, newest first, ready for the page."""
    out = []
    for doubtful in await services.review.doubts(limit):
        item, before, after = doubtful.item, doubtful.before, doubtful.after
        match = services.brain.matcher.match(item.text)  # the message alone, as the knowledge reads it now
        reading = [{"title": _title(services, t), "score": round(s), "answered": t == item.topic}
                   for t, s in alternatives(match, None)[:3]]
        out.append({"id": item.id, "text": item.text, "kind": KINDS.get(item.doubt, item.doubt), "at": item.created_at,
                    "topic": _title(services, item.topic), "reading": reading,
                    "channel": item.channel, "before": [_turn(services, t) for t in before],
                    "after": [_turn(services, t) for t in after]})
    return out


@page(ADMIN)
async def verdict(request: Request, officer: Officer) -> Response:
    """POST /misunderstood/<id>/verdict: verdict=right (the answer was right) or dismissed (not a question, spam)."""
    services: Services = request.app.state.services
    form = await request.form()
    choice, question = form_text(form, "verdict", 20), int(request.path_params["question"])
    if choice not in DONE:
        return back("/misunderstood", err="Thao tác không hợp lệ.")
    if isinstance(await services.review.judge(officer.user, question, choice), AlreadyJudged):
        return back("/misunderstood", err="Câu này đã được cán bộ khác xử lý hoặc không còn.")
    return back("/misunderstood", msg=DONE[choice])


def routes() -> list[Route]:
    """The doubtful answers' routes (the list itself is part of /misunderstood)."""
    return [Route("/misunderstood/{question:int}/verdict", verdict, methods=["POST"])]
