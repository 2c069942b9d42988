"""Curating knowledge from citizens' questions: clusters of what the bot misunderstood, and personal data
to remove before a question becomes knowledge.

Clustering method: greedy single pass over the questions, newest first. Each question is reduced to the
set of tokens of the matcher's normalised form (folded, synonyms expanded). It joins the first existing
cluster whose seed (the cluster's first, i.e. newest, question) has a Jaccard similarity
|A ∩ B| / |A ∪ B| of at least 0.5 with it; otherwise it starts a new cluster. Clusters are listed by
their newest question.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import TypeVar

T = TypeVar("T")
THRESHOLD = 0.5


def jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    """|A ∩ B| / |A ∪ B| (0 for two empty sets)."""
    union = a | b
    return len(a & b) / len(union) if union else 0.0


def cluster(items: Sequence[T], tokens: Callable[[T], frozenset[str]], threshold: float = THRESHOLD) -> list[list[T]]:
    """Greedy clustering of `items` (already newest first) by Jaccard similarity to each cluster's seed."""
    seeds: list[frozenset[str]] = []
    groups: list[list[T]] = []
    for item in items:
        words = tokens(item)
        for i, seed in enumerate(seeds):
            if jaccard(words, seed) >= threshold:
                groups[i].append(item)
                break
        else:
            seeds.append(words)
            groups.append([item])
    return groups


# Common surnames in Sơn La, Kinh and Thái: a capitalised name starting with one of them is likely a person.
SURNAMES = ("Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng", "Bùi", "Đỗ", "Hồ",
            "Ngô", "Dương", "Lý", "Lò", "Cầm", "Quàng", "Tòng", "Lường", "Hà", "Sùng", "Giàng", "Mùa", "Thào")
_PHONE = re.compile(r"(?<!\d)(?:\+?84|0)[\s.-]?\d(?:[\s.-]?\d){7,9}(?!\d)")
_ID = re.compile(r"(?<!\d)(?:\d{9}|\d{12})(?!\d)")
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_NAME = re.compile(r"\b(?:" + "|".join(SURNAMES) + r")(?:\s+[A-ZÀ-ỸĐ][\wÀ-ỹ]*){1,3}")


def personal_data(text: str) -> list[str]:
    """What in `text` looks like personal data, each as a short Vietnamese description; empty when clean."""
    try:  # the shared checker, once it is available, knows more than this minimal one
        from bot.privacy import find_personal_data  # type: ignore[import-not-found,unused-ignore]

        return [str(found) for found in find_personal_data(text, SURNAMES)]
    except ImportError:
        pass
    found = [f"số điện thoại «{m.group(0)}»" for m in _PHONE.finditer(text)]
    found += [f"số giấy tờ tùy thân «{m.group(0)}»" for m in _ID.finditer(text) if not _PHONE.fullmatch(m.group(0))]
    found += [f"email «{m.group(0)}»" for m in _EMAIL.finditer(text)]
    found += [f"tên người «{m.group(0)}»" for m in _NAME.finditer(text)]
    return found
