"""Synthetic knowledge bases for scale benchmarks, made by recombining the real topics."""

from __future__ import annotations

import dataclasses
import random
from pathlib import Path

import yaml

from knowledge.loader import KnowledgeBase
from knowledge.schema import Topic

# Place names make recombined topics distinct from each other, as real local procedures would be.
PLACES = ("Mộc Châu", "Mai Sơn", "Thuận Châu", "Sông Mã", "Yên Châu", "Bắc Yên", "Phù Yên", "Quỳnh Nhai",
          "Mường La", "Sốp Cộp", "Vân Hồ", "Chiềng Sinh", "Tô Hiệu", "Chiềng An", "Chiềng Cơi")


def synthetic_kb(kb: KnowledgeBase, n_topics: int, seed: int = 7) -> KnowledgeBase:
    """A knowledge base of n_topics, each with ten example questions mixed from two real topics."""
    rng = random.Random(seed)
    real = list(kb.topics)
    topics = []
    for i in range(n_topics):
        a, b = real[i % len(real)], rng.choice(real)
        place = f"{rng.choice(PLACES)} {i // len(PLACES)}"
        questions = rng.sample(a.questions, 6) + rng.sample(b.questions, 4)
        topics.append(dataclasses.replace(
            a, id=f"{a.id}-{i}", title=f"{a.title} ({place})",
            questions=tuple(f"{q} ở {place}" if j % 2 else q for j, q in enumerate(questions)),
        ))
    return dataclasses.replace(kb, topics=tuple(topics))


SKIPPED = ("learned.yaml", "ambiguous.yaml", "contacts.yaml")


def write_knowledge(kb: KnowledgeBase, source: Path, target: Path) -> Path:
    """Write a knowledge folder (topic files plus the shipped non-topic files) for start-up benchmarks."""
    (target / "topics").mkdir(parents=True, exist_ok=True)
    for item in source.iterdir():
        # ambiguous.yaml and contacts.yaml name the shipped topics' ids, which a synthetic knowledge base does not have
        if item.is_file() and item.suffix == ".yaml" and item.name not in SKIPPED:
            (target / item.name).write_text(item.read_text(encoding="utf-8"), encoding="utf-8")
    templates = target / "templates"
    templates.mkdir(exist_ok=True)
    for item in (source / "templates").iterdir():
        (templates / item.name).write_text(item.read_text(encoding="utf-8"), encoding="utf-8")
    for t in kb.topics:
        data = {f.name: getattr(t, f.name) for f in dataclasses.fields(Topic) if f.name != "file"}
        data["questions"], data["legal_basis"] = list(t.questions), list(t.legal_basis)
        data["sections"] = dict(t.sections)
        data["changes"] = [{"on": c.on, "note": c.note} for c in t.changes]
        data["basis"] = {key: list(items) for key, items in t.basis}
        (target / "topics" / f"{t.id}.yaml").write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return target
