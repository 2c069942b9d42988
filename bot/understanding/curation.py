"""Curating knowledge from citizens' questions: clusters of what the bot misunderstood (personal data is kept
out of what is learned by bot/understanding/publish.py).

Clustering method: greedy single pass over the questions, newest first. Each question is reduced to the
set of tokens of the matcher's normalised form (folded, synonyms expanded). It joins the first existing
cluster whose seed (the cluster's first, i.e. newest, question) has a Jaccard similarity
|A ∩ B| / |A ∪ B| of at least 0.5 with it; otherwise it starts a new cluster. Clusters are listed by
their newest question.
"""

from __future__ import annotations

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

