"""Load and validate the knowledge folder: all problems are collected, none is skipped silently."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from knowledge import contacts as contacts_file
from knowledge.schema import FACETS, OutOfScope, Problems, Smalltalk, Topic, parse_topic

# The learned document's name in problems and exports (it lives in the database, not in this folder).
LEARNED_FILE = "learned.yaml"
# libyaml's safe loader when PyYAML has it: ten times faster on large knowledge folders.
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class KnowledgeError(Exception):
    """The knowledge folder has problems; `problems` lists each as 'file: field: message'."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = list(problems)
        more = f" (and {len(problems) - 1} more; run `papibot kb check`)" if len(problems) > 1 else ""
        super().__init__(f"knowledge base is broken: {problems[0]}{more}")


@dataclass(frozen=True)
class KnowledgeBase:
    """Everything the bot knows, loaded once."""

    directory: Path
    topics: tuple[Topic, ...]
    synonyms: dict[str, tuple[str, ...]]
    smalltalk: tuple[Smalltalk, ...]
    out_of_scope: tuple[OutOfScope, ...]
    # Which part of a topic a question asks for (facets.yaml), and English words mapped to Vietnamese.
    facets: dict[str, tuple[str, ...]] = dataclasses.field(default_factory=dict)
    followup: tuple[str, ...] = ()
    facet_weak: tuple[str, ...] = ()
    facet_frames: tuple[str, ...] = ()
    # Groups of people ("hộ cận nghèo", "người khuyết tật"): asked about with a condition or an amount, a
    # variation of the current procedure, not a subject of their own (facets.yaml `groups`).
    groups: tuple[str, ...] = ()
    # Words of small talk by intent (smalltalk.yaml `words`): a message of only these is small talk.
    social: dict[str, tuple[str, ...]] = dataclasses.field(default_factory=dict)
    english: dict[str, str] = dataclasses.field(default_factory=dict)
    # Words that name no procedure alone (ambiguous.yaml `generic`): never enough to offer a suggestion.
    generic: tuple[str, ...] = ()
    # Words naming the object of several procedures (ambiguous.yaml): phrases -> the topics to offer.
    ambiguous: tuple[tuple[tuple[str, ...], tuple[str, ...]], ...] = ()
    # Topics that are a way of doing any procedure (ambiguous.yaml `ways`): topic id -> the part it stands for.
    # None: no procedure holds that part ("tra cứu tình trạng hồ sơ"), the way's own topic answers.
    ways: dict[str, str | None] = dataclasses.field(default_factory=dict)
    # The office's contacts (contacts.yaml): the provincial centre, how to reach a commune.
    contacts: contacts_file.Contacts = dataclasses.field(default_factory=lambda: contacts_file.Contacts({}))

    def topic(self, topic_id: str) -> Topic | None:
        """The topic with this id, or None."""
        return next((t for t in self.topics if t.id == topic_id), None)


def _read_yaml(path: Path, problems: Problems, where: str = "") -> Any:
    where = where or path.name
    try:
        return yaml.load(path.read_text(encoding="utf-8"), Loader=_LOADER)  # a safe loader
    except FileNotFoundError:
        problems.add(where, "(file)", "missing")
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        detail = " ".join(str(exc).split())
        problems.add(where, "(file)", f"cannot be read as YAML: {detail}")
    return None


def _load_topics(directory: Path, problems: Problems) -> list[Topic]:
    topics: list[Topic] = []
    seen: dict[str, str] = {}
    files = sorted((directory / "topics").glob("*.yaml"))
    if not files:
        problems.add("topics/", "(folder)", "no topic files found")
    for path in files:
        where = f"topics/{path.name}"
        before = len(problems)
        data = _read_yaml(path, problems, where)
        if len(problems) > before:
            continue
        topic = parse_topic(data, where, problems)
        if topic is None:
            continue
        if topic.id != path.stem:
            problems.add(where, "id", f"{topic.id!r} differs from the file name {path.stem!r}")
        if topic.id in seen:
            problems.add(where, "id", f"duplicate id {topic.id!r}, also in {seen[topic.id]}")
            continue
        seen[topic.id] = where
        topics.append(topic)
    return topics


def _learned_text(item: object) -> str | None:
    """A learned example question: plain text, or {text, ticket} linking it to the ticket it came from."""
    if isinstance(item, dict):
        item = item.get("text")
    return item.strip() if isinstance(item, str) and item.strip() else None


def _load_learned(data: Mapping[str, Any] | None, topics: list[Topic], problems: Problems) -> list[Topic]:
    """Merge what officers taught (stored in the database): example questions and whole topics."""
    if not data:
        return topics
    if not isinstance(data, Mapping) or set(data) - {"questions", "topics"}:
        problems.add(LEARNED_FILE, "(file)", "expected the keys questions and topics")
        return topics
    by_id = {t.id: t for t in topics}
    for i, item in enumerate(data.get("topics") or []):
        topic = parse_topic(item, f"{LEARNED_FILE} topics[{i}]", problems, min_questions=1, learned=True)
        if topic and topic.id in by_id:
            problems.add(LEARNED_FILE, f"topics[{i}].id", f"duplicate id {topic.id!r}")
        elif topic:
            by_id[topic.id] = topic
    for topic_id, questions in (data.get("questions") or {}).items():
        if topic_id not in by_id:
            problems.add(LEARNED_FILE, f"questions.{topic_id}", "no topic with this id")
        elif not isinstance(questions, list) or not all(_learned_text(q) for q in questions):
            problems.add(LEARNED_FILE, f"questions.{topic_id}", "expected a list of questions ({text, ticket})")
        else:
            t = by_id[topic_id]
            texts = tuple(_learned_text(q) or "" for q in questions)
            by_id[topic_id] = dataclasses.replace(t, questions=t.questions + texts)
    return list(by_id.values())


def _load_synonyms(directory: Path, problems: Problems) -> dict[str, tuple[str, ...]]:
    data = _read_yaml(directory / "synonyms.yaml", problems)
    if data is None:
        return {}
    if not isinstance(data, dict) or not all(
        isinstance(v, list) and all(isinstance(x, str) for x in v) for v in data.values()
    ):
        problems.add("synonyms.yaml", "(file)", "expected a mapping canonical: [variants]")
        return {}
    return {str(k): tuple(v) for k, v in data.items()}


def _optional_yaml(directory: Path, name: str, problems: Problems) -> Any:
    path = directory / name
    return _read_yaml(path, problems) if path.exists() else None


def _entries(data: Any, name: str, key: str, problems: Problems) -> list[dict[str, Any]]:
    if data is None:
        return []
    items = data.get(key) if isinstance(data, dict) else None
    if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
        problems.add(name, key, "expected a list of mappings")
        return []
    return items


def _load_smalltalk(data: Any, problems: Problems) -> list[Smalltalk]:
    out = []
    for i, item in enumerate(_entries(data, "smalltalk.yaml", "intents", problems)):
        pats, reply = item.get("patterns"), item.get("reply")
        if set(item) - {"id", "patterns", "reply"} or not isinstance(pats, list) or not isinstance(reply, str):
            problems.add("smalltalk.yaml", f"intents[{i}]", "needs exactly id, patterns (list), reply (text)")
            continue
        out.append(Smalltalk(str(item.get("id", i)), tuple(map(str, pats)), reply.strip()))
    return out


def _load_social(data: Any, problems: Problems) -> dict[str, tuple[str, ...]]:
    """smalltalk.yaml `words`: intent id -> words and phrases that carry no procedure."""
    words = data.get("words", {}) if isinstance(data, dict) else {}
    out: dict[str, tuple[str, ...]] = {}
    for intent, phrases in (words.items() if isinstance(words, dict) else []):
        if (checked := _phrases(phrases)) is None:
            problems.add("smalltalk.yaml", f"words.{intent}", "a list of words or phrases")
            continue
        out[str(intent)] = checked
    if not isinstance(words, dict):
        problems.add("smalltalk.yaml", "words", "expected intent: [words]")
    return out


def _load_out_of_scope(directory: Path, problems: Problems) -> list[OutOfScope]:
    out = []
    data = _read_yaml(directory / "out_of_scope.yaml", problems)
    for i, item in enumerate(_entries(data, "out_of_scope.yaml", "procedures", problems)):
        pats, name = item.get("patterns"), item.get("name")
        if set(item) - {"name", "patterns"} or not isinstance(pats, list) or not isinstance(name, str):
            problems.add("out_of_scope.yaml", f"procedures[{i}]", "needs exactly name (text) and patterns (list)")
            continue
        out.append(OutOfScope(name, tuple(map(str, pats))))
    return out


def _phrases(value: object) -> tuple[str, ...] | None:
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        return None
    return tuple(v.strip() for v in value)


Facets = tuple[dict[str, tuple[str, ...]], tuple[str, ...], tuple[str, ...], tuple[str, ...], tuple[str, ...]]


def _load_facets(directory: Path, problems: Problems) -> Facets:
    """facets.yaml: facet name -> phrases, the follow-up words, the weak phrases and the yes/no frames."""
    if not (directory / "facets.yaml").exists():
        return {}, (), (), (), ()
    data = _read_yaml(directory / "facets.yaml", problems) or {}
    data = data if isinstance(data, dict) else {}
    facets, followup = data.get("facets"), _phrases(data.get("followup", []))
    weak, frames, groups = (_phrases(data.get(k, [])) for k in ("weak", "frames", "groups"))
    if not isinstance(facets, dict) or followup is None or weak is None or frames is None or groups is None:
        problems.add("facets.yaml", "(file)", "expected facets (name: [phrases]); followup, weak, frames, groups")
        return {}, (), (), (), ()
    out: dict[str, tuple[str, ...]] = {}
    for name, phrases in facets.items():
        if name not in FACETS or (checked := _phrases(phrases)) is None:
            problems.add("facets.yaml", f"facets.{name}", f"a facet among {', '.join(FACETS)} with a list of phrases")
            continue
        out[name] = checked
    return out, followup, weak, frames, groups


def _load_english(directory: Path, problems: Problems) -> dict[str, str]:
    if not (directory / "english.yaml").exists():
        return {}
    data = _read_yaml(directory / "english.yaml", problems) or {}
    terms = data.get("terms") if isinstance(data, dict) else None
    if not isinstance(terms, dict) or not all(isinstance(v, str) for v in terms.values()):
        problems.add("english.yaml", "terms", "expected a mapping english phrase: Vietnamese words")
        return {}
    return {str(k).lower(): v for k, v in terms.items()}


def _load_ways(data: Any, topic_ids: set[str], problems: Problems) -> dict[str, str | None]:
    ways = data.get("ways", {}) if isinstance(data, dict) else {}
    if not isinstance(ways, dict) or not all(t in topic_ids and (f is None or f in FACETS) for t, f in ways.items()):
        problems.add("ambiguous.yaml", "ways", "a mapping topic id: part (a facet name, or null)")
        return {}
    return dict(ways)


def _load_ambiguous(data: Any, topic_ids: set[str], problems: Problems) -> tuple[Any, ...]:
    out = []
    for i, item in enumerate(_entries(data, "ambiguous.yaml", "terms", problems)):
        phrases, topics = _phrases(item.get("phrases")), _phrases(item.get("topics"))
        if set(item) - {"phrases", "topics"} or not phrases or not topics or not set(topics) <= topic_ids:
            problems.add("ambiguous.yaml", f"terms[{i}]", "needs phrases (list) and topics (ids of existing topics)")
            continue
        out.append((phrases, topics))
    return tuple(out)


def _load_generic(data: Any, problems: Problems) -> tuple[str, ...]:
    words = _phrases(data.get("generic", [])) if isinstance(data, dict) else ()
    if words is None:
        problems.add("ambiguous.yaml", "generic", "a list of words")
    return words or ()


def check_knowledge(directory: Path, learned: Mapping[str, Any] | None = None) -> tuple[KnowledgeBase, Problems]:
    """Load the folder and the learned document (questions, topics) and return it with every problem found."""
    directory = Path(directory)
    problems = Problems()
    if not directory.is_dir():
        problems.add(str(directory), "(folder)", "knowledge folder not found")
        return KnowledgeBase(directory, (), {}, (), ()), problems
    topics = _load_learned(learned, _load_topics(directory, problems), problems)
    facets, followup, weak, frames, groups = _load_facets(directory, problems)
    smalltalk = _read_yaml(directory / "smalltalk.yaml", problems)
    ambiguous, ids = _optional_yaml(directory, "ambiguous.yaml", problems), {t.id for t in topics}
    kb = KnowledgeBase(
        facets=facets, followup=followup, facet_weak=weak, facet_frames=frames, groups=groups,
        social=_load_social(smalltalk, problems),
        english=_load_english(directory, problems),
        ambiguous=_load_ambiguous(ambiguous, ids, problems),
        generic=_load_generic(ambiguous, problems),
        ways=_load_ways(ambiguous, ids, problems),
        contacts=contacts_file.parse_contacts(_optional_yaml(directory, contacts_file.FILE, problems), ids, problems),
        directory=directory,
        topics=tuple(sorted(topics, key=lambda t: t.id)),
        synonyms=_load_synonyms(directory, problems),
        smalltalk=tuple(_load_smalltalk(smalltalk, problems)),
        out_of_scope=tuple(_load_out_of_scope(directory, problems)),
    )
    return kb, problems


def load_knowledge(directory: Path, learned: Mapping[str, Any] | None = None) -> KnowledgeBase:
    """Load the knowledge folder or raise KnowledgeError naming every broken file and field."""
    kb, problems = check_knowledge(directory, learned)
    if problems:
        raise KnowledgeError(problems)
    return kb
