"""Knowledge from the console: add a question or topic (checked for personal data by understanding/publish.py, tried on
paraphrases before saving). The form carries where its questions came from (a ticket, a doubtful answer or a
cluster's questions), so what is learned from a citizen's words is erased with them."""

from __future__ import annotations

from typing import Any

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bot.engine.services import Services
from bot.kernel.clock import vn_today
from bot.kernel.models import ADMIN
from bot.understanding.learn import new_topic, origins_of
from bot.understanding.publish import NameOverride, PersonalDataRefused, Verdict, check
from bot.usecases.trials import try_knowledge
from channels.web.base import Officer, back, form_text, page, render, row_id
from channels.web.doubt import suggested_topic
from channels.web.knowledge_pages import routes as knowledge_routes

DECISIONS = {"answer": "trả lời", "suggest": "gợi ý chủ đề", "queue": "chuyển cán bộ", "smalltalk": "xã giao"}


def _draft(form: FormData) -> dict[str, Any]:
    """The add-to-knowledge form as entered."""
    questions = [q.strip() for q in form_text(form, "questions").splitlines() if q.strip()][:30]
    origins = [i for v in form.getlist("origin")[:30] if isinstance(v, str) and (i := row_id(v)) is not None]
    return {"topic": form_text(form, "topic", 80), "title": form_text(form, "title", 200), "questions": questions,
            "answer": form_text(form, "answer", 1500), "ticket": form_text(form, "ticket", 12),
            "doubt": form_text(form, "doubt", 12), "origins": origins, "allow": form_text(form, "allow_name", 300)}


def _verdict(request: Request, draft: dict[str, Any]) -> Verdict:
    """The one personal-data check (understanding/publish.py) over every text the draft would publish."""
    fields = [("tiêu đề", draft["title"]), *(("câu hỏi", q) for q in draft["questions"]),
              ("câu trả lời", draft["answer"])]
    return check(fields, request.app.state.services.brain.directory)


def _new_id(draft: dict[str, Any], now: float) -> str:
    seed = str(row_id(draft["ticket"]) or int(now))
    return f"hoi-dap-{seed}"


async def _learn_page(request: Request, officer: Officer, draft: dict[str, Any], checked: bool = False) -> Response:
    services: Services = request.app.state.services
    brain = services.brain
    verdict = _verdict(request, draft)
    trials: list[dict[str, Any]] = []
    if checked and draft["questions"]:
        target = draft["topic"] or _new_id(draft, services.clock.now())
        for t in try_knowledge(brain, target, draft["title"] or draft["questions"][0], draft["questions"],
                               draft["answer"] or "…", vn_today(services.clock)):
            trials.append({"text": t.text, "before": DECISIONS.get(t.before, t.before),
                           "after": DECISIONS.get(t.after, t.after), "answered": t.answered})
    topics = [{"id": t.id, "title": t.title, "first": t.answer.strip().splitlines()[0][:160]}
              for t in sorted(brain.kb.topics, key=lambda t: t.title)]
    return render(request, "learn.html", officer, d=draft, topics=topics, problems=verdict.lines(), trials=trials,
                  checked=checked, names_only=bool(verdict.names) and not verdict.fixed,
                  can_save=checked and verdict.allows(draft["allow"]))


@page(ADMIN)
async def learn_form(request: Request, officer: Officer) -> Response:
    """GET /learn?ticket=N, ?doubt=N or ?question=N&question=…: the add-to-knowledge form, filled from a ticket,
    a doubtful answer (with the topic its message alone points to) or a cluster's questions."""
    services: Services = request.app.state.services
    ids = [i for v in request.query_params.getlist("question") if (i := row_id(v)) is not None]
    asked = await services.review.asked(ids)
    draft = {"topic": "", "title": "", "questions": list(dict.fromkeys(asked.values()))[:10], "answer": "",
             "ticket": "", "doubt": "", "origins": list(asked), "allow": ""}
    ticket_id, doubt_id = row_id(request.query_params.get("ticket", "")), row_id(request.query_params.get("doubt", ""))
    ticket = await services.console.ticket(ticket_id) if ticket_id is not None else None
    item = await services.review.doubt(doubt_id) if doubt_id is not None else None
    if (ticket is None and "ticket" in request.query_params) or (item is None and "doubt" in request.query_params):
        text = "Không có câu hỏi này, hoặc câu này đã được cán bộ khác xử lý."
        return render(request, "message.html", officer, code=404, text=text)
    if ticket is not None:
        draft.update(questions=[ticket.question], answer=ticket.answer or "", ticket=str(ticket.id))
    if item is not None:
        draft.update(questions=[item.text], topic=suggested_topic(services, item), doubt=str(item.id),
                     origins=[item.id])
    return await _learn_page(request, officer, draft)


@page(ADMIN)
async def learn_submit(request: Request, officer: Officer) -> Response:
    """POST /learn: action=check tries the paraphrases; action=save writes it once it holds no personal data
    (names only with the officer's reason, audited)."""
    services: Services = request.app.state.services
    form = await request.form()
    draft = _draft(form)
    verdict = _verdict(request, draft)
    if form_text(form, "action") != "save" or not draft["questions"] or not verdict.allows(draft["allow"]):
        return await _learn_page(request, officer, draft, checked=True)
    allow = NameOverride(officer.user.key, draft["allow"]) if verdict.names else None
    origins = origins_of(draft["questions"], await services.review.asked(draft["origins"]))
    ticket = row_id(draft["ticket"])
    try:
        if draft["topic"] and services.brain.kb.topic(draft["topic"]):
            topic_id = draft["topic"]
            problems = await services.learned.add_questions(topic_id, draft["questions"], ticket, origins=origins,
                                                            override=allow)
        elif draft["title"] and draft["answer"]:
            topic_id = _new_id(draft, services.clock.now())
            problems = await services.learned.add_topic(new_topic(
                topic_id, draft["title"], draft["questions"], draft["answer"], vn_today(services.clock),
                "Trả lời của cán bộ Văn phòng UBND tỉnh", ticket), origins=origins, override=allow)
        else:
            return back("/knowledge", err="Chủ đề mới cần tiêu đề và câu trả lời.")
    except PersonalDataRefused:
        return await _learn_page(request, officer, draft, checked=True)
    if problems:
        return back("/knowledge", err=f"Đã ghi nhưng không nạp lại được: {problems[0]}")
    taught = await services.review.taught(officer.user, topic_id, draft["questions"], origins, ticket,
                                          row_id(draft["doubt"]))
    if taught.from_doubt:  # taught from a doubtful answer: it left the list, counted as taught
        return back("/misunderstood", msg=f"Đã dạy bot chủ đề đúng («{topic_id}»).")
    return back("/knowledge", msg=f"Đã thêm vào cơ sở tri thức (chủ đề «{topic_id}»).")


def routes() -> list[Route]:
    """The learn form's routes, and those of the knowledge pages around it."""
    return [
        Route("/learn", learn_form, methods=["GET"]),
        Route("/learn", learn_submit, methods=["POST"]),
        *knowledge_routes(),
    ]
