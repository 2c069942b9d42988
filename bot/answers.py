"""What a citizen sees for each decision: a topic phone-first (the summary, or the part asked for, with one
button per other part), suggestions, small talk, the catalogue, the "sent to an officer" notice."""

from __future__ import annotations

from bot import codec
from bot.dialogue import CATALOGUE
from bot.matcher import ANSWER, QUEUE, SMALLTALK, SUGGEST
from bot.models import Buttons, Reply, Ticket
from bot.render import Renderer
from bot.turns import Decision
from knowledge.loader import KnowledgeBase
from knowledge.schema import FACET_LABELS, SECTION_LABELS, SECTION_LABELS_EN, Topic

SECTION_PAYLOAD = r"summary|who|conditions|documents|place|time|validity|fee|benefit|online|notes|basis"
SINGLE_BUDGET = 600  # characters of one part in a first reply; a part cut short keeps its button
MULTI_BUDGET = 900  # characters of all parts together when several are asked
FULL = 10_000  # a part opened by its button is shown whole
# A part the topic lacks is answered by a nearby part only where that part answers the same question.
FALLBACK = {"conditions": "who"}
FACET_LABELS_EN = {**{k: v.lower() for k, v in SECTION_LABELS_EN.items()}, "contact": "contact phone number"}


def plan(topic: Topic, asked: tuple[str, ...]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The parts to show for the parts asked, in order, and the parts asked that the topic lacks."""
    shown: list[str] = []
    missing: list[str] = []
    if len(topic.sections) == 1:  # one free answer (a learned topic): it is the answer to every part
        return (), ()
    for facet in asked:
        part = facet if facet == "basis" or topic.section(facet) else FALLBACK.get(facet)
        if part and (part == "basis" or topic.section(part)):
            if part not in shown:
                shown.append(part)
        elif facet not in missing:
            missing.append(facet)
    return tuple(shown), tuple(missing)


def excerpt(text: str, limit: int) -> str:
    """The text cut at a line (or a sentence) so that it fits in about `limit` characters."""
    if len(text) <= limit:
        return text
    kept: list[str] = []
    for line in text.strip().splitlines():
        if kept and sum(len(k) + 1 for k in kept) + len(line) > limit:
            break
        kept.append(line)
    out = "\n".join(kept)
    if len(out) > limit:
        cut = out.rfind(". ", 0, limit)
        out = out[:cut + 1] if cut > limit // 3 else out[:limit].rsplit(" ", 1)[0]
    return out + " …"


def _section(topic: Topic, part: str) -> str:
    return "" if part == "basis" else topic.section(part) or ""


def _parts(topic: Topic) -> list[str]:
    """The parts a citizen can open for this topic, in order: its sections after the summary, then the basis."""
    return [key for key, _ in topic.sections if key != "summary"] + ["basis"]


class Presenter:
    """Renders replies; the knowledge is passed in each time, so a reload takes effect at once."""

    def __init__(self, renderer: Renderer) -> None:
        self.renderer = renderer

    def _buttons(self, topic: Topic, shown: tuple[str, ...], question_id: int, english: bool,
                 summary_shown: bool = False) -> Buttons:
        labels = SECTION_LABELS_EN if english else SECTION_LABELS
        parts = [p for p in ("summary", *_parts(topic)) if p not in shown and not (p == "summary" and summary_shown)]
        names = [self.renderer.message("button_summary") if p == "summary" else labels[p] for p in parts]
        rows: Buttons = [[(n, codec.encode("sec", topic.id, p)) for n, p in zip(names[i:i + 2], parts[i:i + 2],
                                                                                   strict=True)]
                         for i in range(0, len(parts), 2)]
        if question_id:
            escalate = self.renderer.message("button_escalate_en" if english else "button_ask_officer")
            rows.append([(escalate, codec.encode("esc", question_id))])
            rows.append([(self.renderer.message("button_yes"), codec.encode("fb", question_id, "y")),
                         (self.renderer.message("button_no"), codec.encode("fb", question_id, "n"))])
        return rows

    def answer(self, kb: KnowledgeBase, topic_id: str, facets: tuple[str, ...] | str | None = (), question_id: int = 0,
               english: bool = False, whole: bool = False) -> Reply:
        """The parts asked, in order (the summary when none), a plain word on parts the knowledge lacks, and
        buttons for the other parts."""
        topic = kb.topic(topic_id)
        assert topic is not None
        asked = (facets,) if isinstance(facets, str) else tuple(facets or ())
        shown, missing = plan(topic, asked)
        if english and topic.summary_en:
            english_parts = [(SECTION_LABELS_EN[p], _section(topic, p)) for p in shown if p != "basis"]
            text = self.renderer.render("answer_en.html", topic=topic, parts=english_parts,
                                        missing=[FACET_LABELS_EN.get(m, m) for m in missing])
            return Reply(text, self._buttons(topic, (), question_id, True, summary_shown=True), ANSWER, topic_id)
        budget = FULL if whole else (MULTI_BUDGET if len(shown) > 1 else SINGLE_BUDGET) // max(len(shown), 1)
        parts = [(p, SECTION_LABELS[p], excerpt(_section(topic, p), budget)) for p in shown]
        whole_parts = tuple(p for p, _, body in parts if body == _section(topic, p))
        summary_shown = not shown and not missing
        text = self.renderer.render("answer.html", topic=topic, parts=parts, missing=[FACET_LABELS[m] for m in missing],
                                    summary=topic.summary if summary_shown else "", rate=bool(question_id))
        return Reply(text, self._buttons(topic, whole_parts, question_id, False, summary_shown), ANSWER, topic_id)

    def facets_shown(self, kb: KnowledgeBase, topic_id: str | None, facets: tuple[str, ...]) -> tuple[str, ...]:
        """The parts the reply really opens, in order (none: the summary)."""
        topic = kb.topic(topic_id) if topic_id else None
        return plan(topic, facets)[0] if topic is not None else ()

    def facet_shown(self, kb: KnowledgeBase, topic_id: str, facet: str | None) -> str | None:
        """The first part the reply opens (None when the topic has no such part: the summary then)."""
        shown = self.facets_shown(kb, topic_id, (facet,) if facet else ())
        return shown[0] if shown else None

    def suggest(self, kb: KnowledgeBase, suggestions: tuple[str, ...], question_id: int,
                english: bool = False) -> Reply:
        """Up to three topics to pick from, and "send to an officer"."""
        topics = [t for t in (kb.topic(i) for i in suggestions) if t]
        rows: Buttons = [[(t.title, codec.encode("sug", question_id, t.id))] for t in topics]
        escalate = self.renderer.message("button_escalate_en" if english else "button_escalate")
        rows.append([(escalate, codec.encode("esc", question_id))])
        text = self.renderer.render("suggest_en.html" if english else "suggest.html", topics=topics)
        return Reply(text, rows, SUGGEST)

    def catalogue(self, kb: KnowledgeBase) -> Reply:
        """Every procedure, with one button per category."""
        names = list(dict.fromkeys(t.category for t in kb.topics))
        rows: Buttons = [[(name, codec.encode("cat", i, 0))] for i, name in enumerate(names)]
        return Reply(self.renderer.render("catalogue.html", topics=kb.topics), rows, SMALLTALK)

    def smalltalk(self, kb: KnowledgeBase, intent: str | None, welcome: str, english: bool = False,
                  question_id: int = 0) -> Reply:
        """The polite reply of a small-talk intent (the catalogue for a bare "thủ tục"); with a question id,
        a button that sends it to an officer."""
        if intent == CATALOGUE:
            return self.catalogue(kb)
        rows: Buttons = []
        if question_id:
            label = self.renderer.message("button_escalate_en" if english else "button_ask_officer")
            rows = [[(label, codec.encode("esc", question_id))]]
        if english:
            name = f"smalltalk_en_{intent}" if self.renderer.has_message(f"smalltalk_en_{intent}") else "smalltalk_en"
            return Reply(self.renderer.render("message.html", text=self.renderer.message(name)), rows,
                         decision=SMALLTALK)
        found = next((s for s in kb.smalltalk if s.id == intent), None)
        text = self.renderer.render("message.html", text=found.reply) if found else welcome
        return Reply(text, rows, decision=SMALLTALK)

    def queued(self, ticket: Ticket, created: bool, out_of_scope: str | None = None, escalated: bool = False,
               english: bool = False) -> Reply:
        """The notice that an officer will answer, with the ticket number."""
        name = "queued_en.html" if english else "queued.html"
        text = self.renderer.render(name, ticket=ticket, created=created, out_of_scope=out_of_scope,
                                    escalated=escalated)
        return Reply(text, decision=QUEUE, ticket_id=ticket.id)

    def decision(self, kb: KnowledgeBase, d: Decision, question_id: int, welcome: str) -> Reply:
        """The reply to any decision but a queued one (which needs its ticket)."""
        if d.decision == SMALLTALK:
            return self.smalltalk(kb, d.smalltalk, welcome, d.english)
        if d.decision == ANSWER and d.topic:
            return self.answer(kb, d.topic, d.facets, question_id, d.english)
        return self.suggest(kb, d.suggestions, question_id, d.english)
