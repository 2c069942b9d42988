"""What a citizen sees for each decision: a topic phone-first (the summary, or the part asked for, with one
button per other part), suggestions, small talk, the catalogue, the "sent to an officer" notice."""

from __future__ import annotations

from bot.kernel import codec
from bot.kernel.clock import Today, vn_today
from bot.kernel.models import Buttons, Diagnosis, Reply, Ticket
from bot.kernel.render import Renderer
from bot.understanding.dialogue import CATALOGUE
from bot.understanding.matcher import ANSWER, QUEUE, SMALLTALK, SUGGEST
from bot.understanding.turns import Decision
from knowledge.claims import vn_date
from knowledge.loader import KnowledgeBase
from knowledge.review import passed
from knowledge.schema import FACET_LABELS, SECTION_KEYS, SECTION_LABELS, SECTION_LABELS_EN, Topic

# A part's button; the legal basis's carries the parts on screen with a source of their own: `basis_fee_time`.
SECTION_PAYLOAD = rf"{'|'.join(SECTION_KEYS)}|basis(?:_(?:{'|'.join(SECTION_KEYS)}))*"
CONTACT_LABEL = "Liên hệ"
SINGLE_BUDGET = 600  # characters of one part in a first reply; a part cut short keeps its button
MULTI_BUDGET = 900  # characters of all parts together when several are asked
FULL = 10_000  # a part opened by its button is shown whole
# A part the topic lacks is answered by a nearby part only where that part answers the same question.
FALLBACK = {"conditions": "who"}
# Topics whose answer offers an action of its own: topic id -> (label in messages.yaml, button payload).
TOPIC_ACTIONS = {"phan-anh-kien-nghi": ("button_feedback", codec.encode("pa", "new"))}
FACET_LABELS_EN = {**{k: v.lower() for k, v in SECTION_LABELS_EN.items()}, "contact": "contact phone number"}


def plan(topic: Topic, asked: tuple[str, ...], contact: bool = False) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The parts to show for the parts asked, in order, and the parts asked that the topic lacks; `contact`: the
    office's contacts (contacts.yaml) serve this topic."""
    shown: list[str] = []
    missing: list[str] = []
    if len(topic.sections) == 1:  # one free answer (a learned topic): it is the answer to every part
        return (), ()
    extra = ("basis", "contact") if contact else ("basis",)
    for facet in asked:
        part = facet if facet in extra or topic.section(facet) else FALLBACK.get(facet)
        if part and (part in extra or topic.section(part)):
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
    return topic.section(part) or ""


def basis_payload(topic_id: str, seen: tuple[str, ...]) -> str:
    """The legal basis button's payload, naming the parts on screen that have a source (as many as fit)."""
    parts = ["basis", *seen]
    while len(parts) > 1 and (len("_".join(parts)) > 48 or len(f"sec:{topic_id}:") + len("_".join(parts)) > 64):
        parts.pop()
    return codec.encode("sec", topic_id, "_".join(parts))


def parse_part(payload_part: str) -> tuple[str, tuple[str, ...]]:
    """(the part, the parts that were on screen) from a part's button: `basis_fee_time`."""
    part, *seen = payload_part.split("_")
    return part, tuple(seen)


def _parts(topic: Topic) -> list[str]:
    """The parts a citizen can open for this topic, in order: its sections after the summary, then the basis."""
    return [key for key, _ in topic.sections if key != "summary"] + ["basis"]


def categories_of(kb: KnowledgeBase) -> list[str]:
    """The categories of the topics, in the knowledge's order (a category button carries its index)."""
    return list(dict.fromkeys(t.category for t in kb.topics))


class Presenter:
    """Renders replies; the knowledge is passed in each time, so a reload takes effect at once."""

    def __init__(self, renderer: Renderer, today: Today = vn_today) -> None:
        self.renderer = renderer
        self.today = today  # the date replies are judged on (dated changes): injected, never patched

    def _buttons(self, topic: Topic, shown: tuple[str, ...], question_id: int, english: bool,
                 summary_shown: bool = False, seen: tuple[str, ...] = ()) -> Buttons:
        labels = SECTION_LABELS_EN if english else SECTION_LABELS
        parts = [p for p in ("summary", *_parts(topic)) if p not in shown and not (p == "summary" and summary_shown)]
        names = [self.renderer.message("button_summary") if p == "summary" else labels[p] for p in parts]
        sourced = tuple(p for p in seen if topic.basis_of(p))
        data = [basis_payload(topic.id, sourced) if p == "basis" else codec.encode("sec", topic.id, p) for p in parts]
        rows: Buttons = [list(zip(names[i:i + 2], data[i:i + 2], strict=True)) for i in range(0, len(parts), 2)]
        if topic.id in TOPIC_ACTIONS and not english:  # e.g. «Gửi phản ánh» on the feedback topic's answer
            label, payload = TOPIC_ACTIONS[topic.id]
            rows.append([(self.renderer.message(label), payload)])
        if question_id:
            escalate = self.renderer.message("button_escalate_en" if english else "button_ask_officer")
            rows.append([(escalate, codec.encode("esc", question_id))])
            rows.append([(self.renderer.message("button_yes"), codec.encode("fb", question_id, "y")),
                         (self.renderer.message("button_no"), codec.encode("fb", question_id, "n"))])
        return rows

    def caution(self, topic: Topic) -> str:
        """The date from which the topic's text may no longer hold (a passed, unverified change), or ""."""
        changes = passed(topic, self.today())
        return vn_date(changes[0].on) if changes else ""

    def answer(self, kb: KnowledgeBase, topic_id: str, facets: tuple[str, ...] | str | None = (), question_id: int = 0,
               english: bool = False, whole: bool = False, seen: tuple[str, ...] = ()) -> Reply:
        """The parts asked, in order (the summary when none), a plain word on parts the knowledge lacks, and
        buttons for the other parts; `seen`: the parts on screen before (the legal basis starts with theirs)."""
        topic = kb.topic(topic_id)
        if topic is None:  # callers check, but a reload may have taken a learned topic away meanwhile
            raise LookupError(f"topic {topic_id!r} is not in the knowledge base")
        asked = (facets,) if isinstance(facets, str) else tuple(facets or ())
        contact = kb.contacts.view(topic.id, topic.source)
        shown, missing = plan(topic, asked, contact is not None and not english)
        caution = self.caution(topic)
        if english and topic.summary_en:
            english_parts = [(SECTION_LABELS_EN[p], _section(topic, p)) for p in shown if p != "basis"]
            text = self.renderer.render("answer_en.html", topic=topic, parts=english_parts, caution=caution,
                                        missing=[FACET_LABELS_EN.get(m, m) for m in missing])
            return Reply(text, self._buttons(topic, (), question_id, True, summary_shown=True),
                         diagnosis=Diagnosis(ANSWER, topic_id))
        budget = FULL if whole else (MULTI_BUDGET if len(shown) > 1 else SINGLE_BUDGET) // max(len(shown), 1)
        parts = [(p, SECTION_LABELS.get(p, CONTACT_LABEL), excerpt(_section(topic, p), budget)) for p in shown]
        whole_parts = tuple(p for p, _, body in parts if body == _section(topic, p) and p != "contact")
        summary_shown = not shown and not missing
        on_screen = tuple(p for p in shown if p not in ("basis", "contact")) or (("summary",) if summary_shown else ())
        sources = [(SECTION_LABELS.get(p, "Tóm tắt"), topic.basis_of(p)) for p in dict.fromkeys((*seen, *on_screen))
                   if topic.basis_of(p)]
        text = self.renderer.render("answer.html", topic=topic, parts=parts, missing=[FACET_LABELS[m] for m in missing],
                                    summary=topic.summary if summary_shown else "", rate=bool(question_id),
                                    contact=contact, sources=sources, caution=caution)
        return Reply(text, self._buttons(topic, whole_parts, question_id, False, summary_shown, on_screen),
                     diagnosis=Diagnosis(ANSWER, topic_id))

    def facets_shown(self, kb: KnowledgeBase, topic_id: str | None, facets: tuple[str, ...]) -> tuple[str, ...]:
        """The parts the reply really opens, in order (none: the summary)."""
        topic = kb.topic(topic_id) if topic_id else None
        if topic is None:
            return ()
        return plan(topic, facets, kb.contacts.view(topic.id, topic.source) is not None)[0]

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
        return Reply(text, rows, diagnosis=Diagnosis(SUGGEST))

    def catalogue(self, kb: KnowledgeBase) -> Reply:
        """Every procedure, with one button per category; without buttons, the categories alone (`plain`)."""
        names = categories_of(kb)
        rows: Buttons = [[(name, codec.encode("cat", i, 0))] for i, name in enumerate(names)]
        return Reply(self.renderer.render("catalogue.html", topics=kb.topics, brief=False), rows,
                     plain=self.renderer.render("catalogue.html", topics=kb.topics, brief=True),
                     diagnosis=Diagnosis(SMALLTALK))

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
                         diagnosis=Diagnosis(SMALLTALK))
        found = next((s for s in kb.smalltalk if s.id == intent), None)
        text = self.renderer.render("message.html", text=found.reply) if found else welcome
        return Reply(text, rows, diagnosis=Diagnosis(SMALLTALK))

    def queued(self, ticket: Ticket, created: bool, out_of_scope: str | None = None, escalated: bool = False,
               english: bool = False) -> Reply:
        """The notice that an officer will answer, with the ticket number."""
        name = "queued_en.html" if english else "queued.html"
        text = self.renderer.render(name, ticket=ticket, created=created, out_of_scope=out_of_scope,
                                    escalated=escalated)
        return Reply(text, diagnosis=Diagnosis(QUEUE, ticket_id=ticket.id))

    def decision(self, kb: KnowledgeBase, d: Decision, question_id: int, welcome: str) -> Reply:
        """The reply to any decision but a queued one (which needs its ticket)."""
        if d.decision == SMALLTALK:
            return self.smalltalk(kb, d.smalltalk, welcome, d.english)
        if d.decision == ANSWER and d.topic:
            return self.answer(kb, d.topic, d.facets, question_id, d.english)
        return self.suggest(kb, d.suggestions, question_id, d.english)
