"""Before saving new knowledge, try it: how the bot reads a few paraphrases of each question now, and with it."""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass

from bot.understanding.brain import Brain
from bot.understanding.matcher import ANSWER, Matcher
from bot.understanding.text import fold
from knowledge.schema import Topic

PER_QUESTION = 3  # questions tried, each with its paraphrases


@dataclass(frozen=True)
class Trial:
    """One paraphrase: the decision now (`before`) and with the new knowledge (`after`); `answered`: the new
    knowledge answers it with the topic being taught."""

    text: str
    before: str
    after: str
    answered: bool


def variants(question: str) -> list[str]:
    """A few paraphrases an officer can check: as typed, without diacritics, with a polite opener, shortened."""
    words = question.split()
    shortened = " ".join(words[: max(3, len(words) * 2 // 3)])
    opener = f"Cho tôi hỏi {question[:1].lower()}{question[1:]}"
    return list(dict.fromkeys([question, fold(question), opener, shortened]))


def trial_matcher(brain: Brain, topic_id: str, title: str, questions: list[str], answer: str,
                  day: dt.date) -> Matcher:
    """The matcher as it would be with the new knowledge, without writing anything."""
    kb = brain.kb
    if kb.topic(topic_id):
        topics = tuple(dataclasses.replace(t, questions=t.questions + tuple(questions)) if t.id == topic_id else t
                       for t in kb.topics)
    else:
        topics = (*kb.topics, Topic(topic_id, title, "Dịch vụ hành chính công", tuple(questions),
                                    (("summary", answer),), ("Trả lời của cán bộ",), "https://sonla.gov.vn",
                                    day))
    return Matcher(dataclasses.replace(kb, topics=topics), *brain.thresholds)


def try_knowledge(brain: Brain, topic_id: str, title: str, questions: list[str], answer: str,
                  day: dt.date) -> list[Trial]:
    """The paraphrases of the first questions, read by the matcher as it is and as it would be (the new topic
    checked on `day`)."""
    after = trial_matcher(brain, topic_id, title, questions, answer, day)
    trials = []
    for question in questions[:PER_QUESTION]:
        for text in variants(question):
            old, new = brain.matcher.match(text), after.match(text)
            trials.append(Trial(text, old.decision, new.decision, new.decision == ANSWER and new.topic == topic_id))
    return trials
