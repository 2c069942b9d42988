"""Word weights and typo repair over the knowledge base's own vocabulary."""

from __future__ import annotations

import math
from collections.abc import Mapping

from rapidfuzz.distance import OSA

# Words that carry the shape of a question, not its subject (folded). They count little either way.
_FILLER_WORDS = """
a ad ah ak anh ban bac bao be biet bot cac can cau cha chac chao chi cho chu chung co con cu cua da
dang dau de den di do duoc em gi giup hay hoac hoi ha huong khi khong la lai lam luc ma may minh moi
muon nao nay ne neu nghe nguoi nhe nha nhieu nhu nhung nua o oi on phai qua ra roi sao se sau tai
the thi thuc tim to toi tra tu tui tuc u vang vay ve voi va vi vui xin xem y
"""
FILLER = frozenset(_FILLER_WORDS.split())
# Folding makes some of these ambiguous ("ban" is bạn and bản, "sao" is sao and bản sao): a pair of
# words the knowledge base knows is weighed by its own rarity, so "ban sao" still counts.
FILLER_WEIGHT = 0.12
UNKNOWN_FACTOR = 1.15


class Lexicon:
    """Inverse topic frequency of every feature, and repair of misspelt or run-together words."""

    def __init__(self, df: Mapping[str, int], n_topics: int) -> None:
        """`df`: how many topics (of `n_topics`) hold each feature."""
        self.n = max(n_topics, 1)
        self.df = df
        self.words = {f for f in df if "_" not in f}
        self.unknown_weight = math.log(1 + self.n / 0.5) * UNKNOWN_FACTOR
        self._weights: dict[str, float] = {}
        self._repairs: dict[str, list[str]] = {}

    def weight(self, feature: str) -> float:
        """How much a feature says about the subject of a question."""
        cached = self._weights.get(feature)
        if cached is not None:
            return cached
        parts = feature.split("_")
        if feature in self.df and (len(parts) > 1 or feature not in FILLER):
            w = math.log(1 + self.n / self.df[feature])
        elif all(p in FILLER for p in parts):
            w = FILLER_WEIGHT
        elif len(parts) > 1:
            w = 0.5 * sum(self.weight(p) for p in parts) / len(parts)
        else:
            w = self.unknown_weight
        if len(self._weights) < 200_000:
            self._weights[feature] = w
        return w

    def _repair(self, word: str) -> list[str]:
        """A known word one typo away, or two known words run together; else the word itself (remembered)."""
        cached = self._repairs.get(word)
        if cached is None:
            cached = self._repair_uncached(word)
            if len(self._repairs) < 100_000:
                self._repairs[word] = cached
        return cached

    def _repair_uncached(self, word: str) -> list[str]:
        if word in self.words or word in FILLER or len(word) < 4 or word.isdigit():
            return [word]
        for i in range(2, len(word) - 1):
            left, right = word[:i], word[i:]
            if f"{left}_{right}" in self.df:
                return [left, right]
        close = [w for w in self.words if abs(len(w) - len(word)) <= 1 and OSA.distance(word, w, score_cutoff=1) <= 1]
        if len(close) == 1:
            return close
        return [word]

    def resolve(self, words: list[str]) -> list[str]:
        """The query's words with typos repaired where the repair is unambiguous."""
        out: list[str] = []
        for w in words:
            out.extend(self._repair(w))  # the cached list is extended from, never handed out
        return out
