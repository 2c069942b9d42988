"""Knowledge from the console: add a question or topic (checked for personal data, tried on paraphrases
before saving), remove learned items, the misunderstood questions in clusters, the knowledge overview."""

from __future__ import annotations

import dataclasses
import datetime as dt
import time
from typing import Any

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bot.brain import Brain
from bot.changes import changes_of
from bot.curation import cluster, personal_data
from bot.doubt import TAUGHT
from bot.learn import learned_items, new_topic
from bot.learned import stored_document
from bot.matcher import ANSWER, Matcher
from bot.models import ADMIN
from bot.render import to_plain
from bot.services import Services
from bot.textnorm import fold
from channels.web.base import Officer, back, form_text, page, render, row_id
from channels.web.doubt import doubt_items, suggested_topic
from channels.web.topics import STALE_DAYS, findings
from channels.web.topics import routes as topics_routes
from knowledge.loader import check_knowledge
from knowledge.schema import Topic

DECISIONS = {"answer": "trả lời", "suggest": "gợi ý chủ đề", "queue": "chuyển cán bộ", "smalltalk": "xã giao"}


def variants(question: str) -> list[str]:
    """A few paraphrases an officer can check: as typed, without diacritics, with a polite opener, shortened."""
    words = question.split()
    shortened = " ".join(words[: max(3, len(words) * 2 // 3)])
    opener = f"Cho tôi hỏi {question[:1].lower()}{question[1:]}"
    return list(dict.fromkeys([question, fold(question), opener, shortened]))


def trial_matcher(brain: Brain, topic_id: str, title: str, questions: list[str], answer: str) -> Matcher:
    """The matcher as it would be with the new knowledge, without writing anything."""
    kb = brain.kb
    if kb.topic(topic_id):
        topics = tuple(dataclasses.replace(t, questions=t.questions + tuple(questions)) if t.id == topic_id else t
                       for t in kb.topics)
    else:
        topics = (*kb.topics, Topic(topic_id, title, "Dịch vụ hành chính công", tuple(questions),
                                    (("summary", answer),), ("Trả lời của cán bộ",), "https://sonla.gov.vn",
                                    dt.date.today()))
    return Matcher(dataclasses.replace(kb, topics=topics), *brain.thresholds)


def _draft(form: FormData | dict[str, Any]) -> dict[str, Any]:
    """The add-to-knowledge form as entered."""
    questions = [q.strip() for q in form_text(form, "questions").splitlines() if q.strip()][:30]
    return {"topic": form_text(form, "topic", 80), "title": form_text(form, "title", 200), "questions": questions,
            "answer": form_text(form, "answer", 1500), "ticket": form_text(form, "ticket", 12),
            "doubt": form_text(form, "doubt", 12)}


def _new_id(draft: dict[str, Any]) -> str:
    seed = str(row_id(draft["ticket"]) or int(time.time()))
    return f"hoi-dap-{seed}"


async def _learn_page(request: Request, officer: Officer, draft: dict[str, Any], checked: bool = False) -> Response:
    services: Services = request.app.state.services
    brain = services.brain
    problems = [p for q in draft["questions"] for p in personal_data(q)] + personal_data(draft["title"])
    trials: list[dict[str, Any]] = []
    if checked and draft["questions"]:
        target = draft["topic"] or _new_id(draft)
        after = trial_matcher(brain, target, draft["title"] or draft["questions"][0], draft["questions"],
                              draft["answer"] or "…")
        for q in draft["questions"][:3]:
            for v in variants(q):
                old, new = brain.matcher.match(v), after.match(v)
                trials.append({"text": v, "before": DECISIONS.get(old.decision, old.decision),
                               "after": DECISIONS.get(new.decision, new.decision),
                               "answered": new.decision == ANSWER and new.topic == target})
    topics = [{"id": t.id, "title": t.title, "first": t.answer.strip().splitlines()[0][:160]}
              for t in sorted(brain.kb.topics, key=lambda t: t.title)]
    return render(request, "learn.html", officer, d=draft, topics=topics, problems=problems, trials=trials,
                  checked=checked)


@page(ADMIN)
async def learn_form(request: Request, officer: Officer) -> Response:
    """GET /learn?ticket=N, ?doubt=N or ?q=…&q=…: the add-to-knowledge form, filled from a ticket, a doubtful
    answer (with the topic its message alone points to) or a cluster."""
    services: Services = request.app.state.services
    storage = services.storage
    questions = [q for q in request.query_params.getlist("q") if q.strip()]
    draft = {"topic": "", "title": "", "questions": questions, "answer": "", "ticket": "", "doubt": ""}
    ticket_id, doubt_id = row_id(request.query_params.get("ticket", "")), row_id(request.query_params.get("doubt", ""))
    ticket = await storage.ticket(ticket_id) if ticket_id is not None else None
    item = await storage.doubt_item(doubt_id) if doubt_id is not None else None
    if (ticket is None and "ticket" in request.query_params) or (item is None and "doubt" in request.query_params):
        text = "Không có câu hỏi này, hoặc câu này đã được cán bộ khác xử lý."
        return render(request, "message.html", officer, code=404, text=text)
    if ticket is not None:
        draft.update(questions=[ticket.question], answer=ticket.answer or "", ticket=str(ticket.id))
    if item is not None:
        draft.update(questions=[item.text], topic=suggested_topic(services, item), doubt=str(item.id))
    return await _learn_page(request, officer, draft)


@page(ADMIN)
async def learn_submit(request: Request, officer: Officer) -> Response:
    """POST /learn: action=check tries the paraphrases; action=save writes it once it holds no personal data."""
    services: Services = request.app.state.services
    form = await request.form()
    draft = _draft(form)
    if form_text(form, "action") != "save" or not draft["questions"]:
        return await _learn_page(request, officer, draft, checked=True)
    if any(personal_data(q) for q in [*draft["questions"], draft["title"]]):
        return await _learn_page(request, officer, draft, checked=True)
    ticket = row_id(draft["ticket"])
    if draft["topic"] and services.brain.kb.topic(draft["topic"]):
        problems = await services.learned.add_questions(draft["topic"], draft["questions"], ticket)
        topic_id = draft["topic"]
    elif draft["title"] and draft["answer"]:
        topic_id = _new_id(draft)
        problems = await services.learned.add_topic(new_topic(
            topic_id, draft["title"], draft["questions"], draft["answer"], dt.date.today(),
            f"Trả lời của cán bộ Văn phòng UBND tỉnh ({officer.name or officer.login})", ticket))
    else:
        return back("/knowledge", err="Chủ đề mới cần tiêu đề và câu trả lời.")
    if problems:
        return back("/knowledge", err=f"Đã ghi nhưng không nạp lại được: {problems[0]}")
    await services.storage.audit(officer.user.key, "learn", ticket,
                                 f"{topic_id}: {' | '.join(draft['questions'])[:200]}")
    doubt = row_id(draft["doubt"])
    if doubt is not None:  # taught from a doubtful answer: it leaves the list, counted as taught
        await services.storage.judge(doubt, TAUGHT, officer.user.key)
        return back("/misunderstood", msg=f"Đã dạy bot chủ đề đúng («{topic_id}»).")
    return back("/knowledge", msg=f"Đã thêm vào cơ sở tri thức (chủ đề «{topic_id}»).")


@page(ADMIN)
async def unlearn(request: Request, officer: Officer) -> Response:
    """POST /learn/remove: take a learned question or topic out of the knowledge again."""
    services: Services = request.app.state.services
    form = await request.form()
    topic_id, question = form_text(form, "topic", 80), form_text(form, "question") or None
    problems = await services.learned.remove(topic_id, question)
    if problems is None:
        return back("/knowledge", err="Không tìm thấy mục đã học này.")
    await services.storage.audit(officer.user.key, "unlearn", None, f"{topic_id}: {question or '(chủ đề)'}"[:200])
    return back("/knowledge", err=f"Không nạp lại được: {problems[0]}" if problems else "",
                msg="" if problems else "Đã gỡ mục đã học khỏi cơ sở tri thức.")


@page(ADMIN)
async def misunderstood(request: Request, officer: Officer) -> Response:
    """GET /misunderstood: doubtful answers with their conversation, then queued, only-suggested and 👎
    questions in clusters of similar ones."""
    services: Services = request.app.state.services
    rows = await services.storage.misunderstood_questions()
    matcher = services.brain.matcher
    groups = cluster(rows, lambda r: frozenset(matcher.normalize(r["text"]).split()))
    clusters = [{"count": len(g), "newest": g[0]["created_at"], "examples": list(dict.fromkeys(r["text"] for r in g)),
                 "thumbs_down": sum(1 for r in g if r["helpful"] == 0)} for g in groups]
    return render(request, "misunderstood.html", officer, clusters=clusters, total=len(rows),
                  doubts=await doubt_items(services), counts=await services.storage.doubt_counts())


@page(ADMIN)
async def knowledge_page(request: Request, officer: Officer) -> Response:
    """GET /knowledge: every topic with its use, review date, sources, dated changes and `kb check` findings (each
    linked to the topic as the bot says it), the knowledge problems, the learned items."""
    services: Services = request.app.state.services
    usage = await services.storage.topic_usage()
    today = services.today()
    _, document = await stored_document(services.storage)
    _, problems = check_knowledge(services.brain.directory, document)
    found, review = findings(services.brain.kb, list(problems), today)
    rows = []
    for t in sorted(services.brain.kb.topics, key=lambda t: (t.category, t.title)):
        answered, rated, helpful = usage.get(t.id, (0, 0, 0))
        rows.append({"t": t, "answered": answered, "rated": rated, "helpful": helpful, "f": found[t.id],
                     "stale": (today - t.verified).days > STALE_DAYS, "changes": changes_of(t, today)})
    questions, topics = learned_items(document)
    return render(request, "knowledge.html", officer, rows=rows, problems=[*problems, *review.failures],
                  warnings=review.warnings, share=review.share(), learned_q=questions, learned_t=topics,
                  stale_days=STALE_DAYS)


@page(ADMIN)
async def reload(request: Request, officer: Officer) -> Response:
    """POST /knowledge/reload: load the folder again; on error the old knowledge keeps serving."""
    reply = await request.app.state.services.admin.reload(officer.user)
    text = to_plain(reply.text)
    return back("/knowledge", msg=text if reply.ok else "", err="" if reply.ok else text)


def routes() -> list[Route]:
    """The knowledge pages' routes."""
    return [
        Route("/learn", learn_form, methods=["GET"]),
        Route("/learn", learn_submit, methods=["POST"]),
        Route("/learn/remove", unlearn, methods=["POST"]),
        Route("/misunderstood", misunderstood, methods=["GET"]),
        Route("/knowledge", knowledge_page, methods=["GET"]),
        *topics_routes(),
        Route("/knowledge/reload", reload, methods=["POST"]),
    ]
