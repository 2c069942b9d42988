"""What the bot says, topic by topic, for officers to read and check without opening YAML: each part as a citizen
sees it, the source of each part, the verified date, dated changes and what `papibot kb check` finds."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from bot.engine.services import Services
from bot.kernel.models import ADMIN
from bot.usecases.changes import changes_of
from channels.web.base import Officer, page, render
from knowledge.claims import COUNTED
from knowledge.loader import KnowledgeBase, check_knowledge
from knowledge.review import Review, review
from knowledge.schema import SECTION_LABELS, Topic

STALE_DAYS = 180  # a topic verified longer ago than this is highlighted for review


@dataclass
class Findings:
    """What `kb check` says about one topic on a given day."""

    problems: list[str] = field(default_factory=list)  # broken fields, and changes passed unverified
    warnings: list[str] = field(default_factory=list)  # changes within WARN_DAYS
    unsourced: list[str] = field(default_factory=list)  # labels of the counted parts without a source
    sourced: int = 0
    counted: int = 0


def findings(kb: KnowledgeBase, problems: list[str], today: dt.date) -> tuple[dict[str, Findings], Review]:
    """Every topic's findings (by id), and the whole review (for its share line and totals)."""
    found = review(kb.topics, today)
    out: dict[str, Findings] = {}
    for t in kb.topics:
        mine = [p for p in [*problems, *found.failures] if t.file and p.startswith(f"{t.file}:")]
        unsourced = found.unsourced.get(t.id, [])
        counted = sum(1 for key in COUNTED if t.section(key))
        out[t.id] = Findings(mine, [w for w in found.warnings if w.startswith(f"{t.file}:")],
                             [SECTION_LABELS[k] for k in unsourced], counted - len(unsourced), counted)
    return out, found


def _parts(services: Services, topic: Topic) -> list[dict[str, Any]]:
    """Every part of the topic as the citizen's reply shows it (Telegram's markup), with the source it names."""
    kb, present = services.brain.kb, services.citizen.present
    out = [{"label": "Tóm tắt (câu trả lời đầu tiên)", "html": present.answer(kb, topic.id).text,
            "basis": topic.basis_of("summary"), "counted": False}]
    for key, _ in topic.sections:
        if key != "summary":
            out.append({"label": SECTION_LABELS[key], "html": present.answer(kb, topic.id, (key,), whole=True).text,
                        "basis": topic.basis_of(key), "counted": key in COUNTED})
    out.append({"label": SECTION_LABELS["basis"], "html": present.answer(kb, topic.id, ("basis",), whole=True).text,
                "basis": (), "counted": False})
    return out


@page(ADMIN)
async def topic_page(request: Request, officer: Officer) -> Response:
    """GET /knowledge/topic/<id>: one topic as the bot says it, part by part, with its sources and findings."""
    services: Services = request.app.state.services
    topic = services.brain.kb.topic(request.path_params["topic_id"])
    if topic is None:
        return PlainTextResponse("404: không có chủ đề này.", status_code=404)
    document = await services.review.document()
    _, problems = check_knowledge(services.brain.directory, document)
    today = services.today()
    mine, found = findings(services.brain.kb, list(problems), today)
    return render(request, "knowledge_topic.html", officer, t=topic, f=mine[topic.id], parts=_parts(services, topic),
                  changes=changes_of(topic, today), today=today, share=found.share(),
                  stale=(today - topic.verified).days > STALE_DAYS, stale_days=STALE_DAYS)


def routes() -> list[Route]:
    """The topic pages' routes."""
    return [Route("/knowledge/topic/{topic_id:str}", topic_page, methods=["GET"])]
