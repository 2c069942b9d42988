"""The knowledge pages around the learn form: the misunderstood questions in clusters, the knowledge overview,
removing learned items, reloading the folder."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

import channels.web.said as said
from bot.engine.services import Services
from bot.kernel.models import ADMIN
from bot.understanding.curation import cluster
from bot.understanding.learn import learned_items
from bot.usecases.changes import changes_of
from bot.usecases.review import NotLearned
from channels.web.base import Officer, back, form_text, page, render
from channels.web.doubt import doubt_items
from channels.web.topics import STALE_DAYS, findings
from channels.web.topics import routes as topics_routes
from knowledge.loader import check_knowledge

ORIGINS = 30  # question ids a cluster's learn link carries (the citizens whose words the form starts from)


@page(ADMIN)
async def unlearn(request: Request, officer: Officer) -> Response:
    """POST /learn/remove: take a learned question or topic out of the knowledge again."""
    services: Services = request.app.state.services
    form = await request.form()
    topic_id, question = form_text(form, "topic", 80), form_text(form, "question") or None
    outcome = await services.review.unlearn(officer.user, topic_id, question)
    if isinstance(outcome, NotLearned):
        return back("/knowledge", err="Không tìm thấy mục đã học này.")
    problems = outcome.problems
    return back("/knowledge", err=f"Không nạp lại được: {problems[0]}" if problems else "",
                msg="" if problems else "Đã gỡ mục đã học khỏi cơ sở tri thức.")


@page(ADMIN)
async def misunderstood(request: Request, officer: Officer) -> Response:
    """GET /misunderstood: doubtful answers with their conversation, then queued, only-suggested and 👎
    questions in clusters of similar ones (erased ones left out)."""
    services: Services = request.app.state.services
    rows = [r for r in await services.review.misunderstood() if r["text"]]
    matcher = services.brain.matcher
    groups = cluster(rows, lambda r: frozenset(matcher.normalize(r["text"]).split()))
    clusters = [{"count": len(g), "newest": g[0]["created_at"], "examples": list(dict.fromkeys(r["text"] for r in g)),
                 "ids": [r["id"] for r in g][:ORIGINS], "thumbs_down": sum(1 for r in g if r["helpful"] == 0)}
                for g in groups]
    return render(request, "misunderstood.html", officer, clusters=clusters, total=len(rows),
                  doubts=await doubt_items(services), counts=await services.review.doubt_counts())


@page(ADMIN)
async def knowledge_page(request: Request, officer: Officer) -> Response:
    """GET /knowledge: every topic with its use, review date, sources, dated changes and `kb check` findings (each
    linked to the topic as the bot says it), the knowledge problems, the learned items."""
    services: Services = request.app.state.services
    usage = await services.review.topic_usage()
    today = services.today()
    document = await services.review.document()
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
    services: Services = request.app.state.services
    return said.reloaded(await services.admin.reload(officer.user)).back("/knowledge")


def routes() -> list[Route]:
    """The knowledge pages' routes (the learn form's are in channels/web/learning.py)."""
    return [
        Route("/learn/remove", unlearn, methods=["POST"]),
        Route("/misunderstood", misunderstood, methods=["GET"]),
        Route("/knowledge", knowledge_page, methods=["GET"]),
        *topics_routes(),
        Route("/knowledge/reload", reload, methods=["POST"]),
    ]
