"""What a citizen sees for each decision: a topic phone-first (the summary, or the part asked for, with one
button per other part), suggestions, small talk, the catalogue, the "sent to an officer" notice."""

from __future__ import annotations

from bot import codec
from bot.dialogue import CATALOGUE, Decision
from bot.matcher import ANSWER, QUEUE, SMALLTALK, SUGGEST
from bot.models import Buttons, Reply, Ticket
from bot.render import Renderer
from knowledge.loader import KnowledgeBase
from knowledge.schema import SECTION_LABELS, SECTION_LABELS_EN, Topic

SECTION_PAYLOAD = r"summary|who|conditions|documents|place|time|validity|fee|benefit|online|notes|basis"


def _parts(topic: Topic) -> list[str]:
    """The parts a citizen can open for this topic, in order: its sections after the summary, then the basis."""
    return [key for key, _ in topic.sections if key != "summary"] + ["basis"]


class Presenter:
    """Renders replies; the knowledge is passed in each time, so a reload takes effect at once."""

    def __init__(self, renderer: Renderer) -> None:
        self.renderer = renderer

    def _buttons(self, topic: Topic, shown: str, question_id: int, english: bool) -> Buttons:
        labels = SECTION_LABELS_EN if english else SECTION_LABELS
        parts = [p for p in ("summary", *_parts(topic)) if p != shown and (p != "summary" or shown != "")]
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

    def answer(self, kb: KnowledgeBase, topic_id: str, facet: str | None = None, question_id: int = 0,
               english: bool = False) -> Reply:
        """The summary, or the asked-for part when the topic has it, with buttons for the other parts."""
        topic = kb.topic(topic_id)
        assert topic is not None
        if english and topic.summary_en:
            text = self.renderer.render("answer_en.html", topic=topic)
            return Reply(text, self._buttons(topic, "", question_id, True), ANSWER, topic_id)
        part = facet if facet == "basis" or (facet and topic.section(facet)) else None
        body = topic.section(part) if part and part != "basis" else topic.summary
        label = SECTION_LABELS.get(part or "", "")
        text = self.renderer.render("answer.html", topic=topic, facet=part, label=label, body=body or "",
                                    rate=bool(question_id))
        return Reply(text, self._buttons(topic, part or "", question_id, False), ANSWER, topic_id)

    def facet_shown(self, kb: KnowledgeBase, topic_id: str, facet: str | None) -> str | None:
        """The facet the reply really opens (None when the topic has no such part: the summary then)."""
        topic = kb.topic(topic_id)
        if topic is None or facet is None:
            return None
        return facet if facet == "basis" or topic.section(facet) else None

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

    def smalltalk(self, kb: KnowledgeBase, intent: str | None, welcome: str, english: bool = False) -> Reply:
        """The polite reply of a small-talk intent (the catalogue for a bare "thủ tục")."""
        if intent == CATALOGUE:
            return self.catalogue(kb)
        if english:
            return Reply(self.renderer.render("message.html", text=self.renderer.message("smalltalk_en")),
                         decision=SMALLTALK)
        found = next((s for s in kb.smalltalk if s.id == intent), None)
        text = self.renderer.render("message.html", text=found.reply) if found else welcome
        return Reply(text, decision=SMALLTALK)

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
            return self.answer(kb, d.topic, d.facet, question_id, d.english)
        return self.suggest(kb, d.suggestions, question_id, d.english)
