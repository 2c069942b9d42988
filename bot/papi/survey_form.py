"""The satisfaction survey as data (knowledge/survey.yaml): elements, questions, the path a citizen's answers take.

Answers travel as a string of digits, one per question asked, in order: "1"–"9" name an option (or the 1–5
scale's value), "0" is «bỏ qua». Which question comes next depends only on the answers before it, so the
path can be replayed from the digits alone, and nothing about a survey in progress is stored.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

SURVEY_FILE = "survey.yaml"
MAX_QUESTIONS = 6  # on any path: the survey stays short
MAX_OPTIONS = 9  # one digit per answer
SKIP = "0"


class SurveyError(ValueError):
    """survey.yaml is missing or inconsistent; the message names the file and the field."""


@dataclass(frozen=True)
class Option:
    """A choice of a screening question; `stop` ends the survey when chosen."""

    id: str
    text: str
    text_en: str
    stop: bool = False


@dataclass(frozen=True)
class Element:
    """One of the five elements measured, and the PAPI areas (numbers) the office reads it beside."""

    key: str
    name: str
    name_en: str
    informs: tuple[int, ...]


@dataclass(frozen=True)
class Question:
    """A screening question (options) or an element's question (the 1–5 scale); asked only `when` it applies."""

    id: str
    text: str
    text_en: str
    element: str | None = None
    options: tuple[Option, ...] = ()
    when: tuple[tuple[str, frozenset[str]], ...] = ()

    def label(self, english: bool) -> str:
        """The question's wording in the citizen's language."""
        return self.text_en if english else self.text


@dataclass(frozen=True)
class Survey:
    """The whole survey: its basis, how often a person may take it, the scale, elements and questions."""

    basis: str
    basis_en: str
    every_days: int
    scale: tuple[Option, ...]
    elements: tuple[Element, ...]
    questions: tuple[Question, ...]

    def element(self, key: str) -> Element | None:
        """The element with this key."""
        return next((e for e in self.elements if e.key == key), None)

    def choices(self, question: Question) -> tuple[Option, ...]:
        """What a question offers: its options, or the 1–5 scale."""
        return question.options or self.scale

    def replay(self, digits: str) -> tuple[dict[str, str], Question | None]:
        """The answers so far ({question id: option id, scale value or ""}) and the next question (None: done)."""
        answers: dict[str, str] = {}
        pending = iter(digits)
        for question in self.questions:
            if not all(answers.get(ref) in allowed for ref, allowed in question.when):
                continue
            digit = next(pending, None)
            if digit is None:
                return answers, question
            options = self.choices(question)
            chosen = options[int(digit) - 1] if digit != SKIP and int(digit) <= len(options) else None
            answers[question.id] = chosen.id if chosen else ""
            if chosen is not None and chosen.stop:
                return answers, None
        return answers, None


def _text(raw: dict[str, Any], key: str, where: str) -> str:
    value = raw.get(key)
    if not isinstance(value, str) or not value.strip():
        raise SurveyError(f"{where}: {key} must be a non-empty text")
    return value.strip()


def _option(raw: Any, where: str) -> Option:
    if not isinstance(raw, dict):
        raise SurveyError(f"{where}: expected a mapping")
    return Option(str(raw.get("id", raw.get("value", ""))), _text(raw, "text", where), _text(raw, "text_en", where),
                  bool(raw.get("stop", False)))


def _question(raw: Any, where: str, elements: set[str], seen: dict[str, Question]) -> Question:
    if not isinstance(raw, dict):
        raise SurveyError(f"{where}: expected a mapping")
    qid, element = str(raw.get("id", "")), raw.get("element")
    options = tuple(_option(o, f"{where}.options[{i}]") for i, o in enumerate(raw.get("options") or ()))
    if not qid or qid in seen:
        raise SurveyError(f"{where}: id missing or repeated: {qid!r}")
    if (element is None) == (not options):
        raise SurveyError(f"{where}: a question has either an element (1–5 scale) or options, not both or none")
    if element is not None and element not in elements:
        raise SurveyError(f"{where}: element {element!r} is not one of {sorted(elements)}")
    if len(options) > MAX_OPTIONS:
        raise SurveyError(f"{where}: at most {MAX_OPTIONS} options")
    when = []
    for ref, allowed in (raw.get("when") or {}).items():
        known = {o.id for o in seen[ref].options} if ref in seen else set()
        if not known or not set(allowed) <= known:
            raise SurveyError(f"{where}: when {ref}: {allowed} must name options of an earlier question")
        when.append((str(ref), frozenset(str(a) for a in allowed)))
    return Question(qid, _text(raw, "text", where), _text(raw, "text_en", where), element, options, tuple(when))


def _longest(survey: Survey, prefix: str = "") -> int:
    """The most questions any sequence of answers asks: every option of every screening question is tried
    (a scale's value never decides what comes next, so one branch stands for all five)."""
    _, question = survey.replay(prefix)
    if question is None or len(prefix) > MAX_QUESTIONS:
        return len(prefix)
    digits = [SKIP, *(str(i + 1) for i in range(len(question.options)))] if question.options else [SKIP]
    return max(_longest(survey, prefix + d) for d in digits)


def load_survey(path: Path) -> Survey:
    """Read and check survey.yaml; SurveyError names what is wrong."""
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise SurveyError(f"{path}: cannot be read: {exc}") from exc
    if not isinstance(raw, dict):
        raise SurveyError(f"{path}: expected a mapping")
    try:
        where = f"{path}: elements"
        elements = tuple(Element(str(e["key"]), _text(e, "name", where), _text(e, "name_en", where),
                                 tuple(int(n) for n in e.get("informs") or ())) for e in raw.get("elements") or ())
        scale = tuple(_option(s, f"{path}: scale[{i}]") for i, s in enumerate(raw.get("scale") or ()))
        seen: dict[str, Question] = {}
        for i, q in enumerate(raw.get("questions") or ()):
            question = _question(q, f"{path}: questions[{i}]", {e.key for e in elements}, seen)
            seen[question.id] = question
        survey = Survey(_text(raw, "basis", str(path)), _text(raw, "basis_en", str(path)), int(raw["every_days"]),
                        scale, elements, tuple(seen.values()))
    except (KeyError, TypeError, ValueError) as exc:
        raise SurveyError(exc.args[0] if isinstance(exc, SurveyError) else f"{path}: {exc!r}") from exc
    if [s.id for s in scale] != ["1", "2", "3", "4", "5"]:
        raise SurveyError(f"{path}: scale must list the values 1 to 5 in order")
    if not survey.questions or survey.every_days < 1:
        raise SurveyError(f"{path}: needs questions and every_days of at least 1")
    if _longest(survey) > MAX_QUESTIONS:
        raise SurveyError(f"{path}: some answers lead to more than {MAX_QUESTIONS} questions")
    return survey
