"""Which parts of a topic a message asks for ("facets"), in the order asked, from the phrases of facets.yaml.

A phrase matches whole words. "co can ... khong" is a phrase with a gap: one to five words between its two
halves, none of them a question word (so "có cần xin phép không" asks a condition, "có cần gì không" does
not). A phrase found inside a longer phrase of another facet does not count ("bao nhiêu" inside "bao nhiêu
ngày"). Weak phrases ("tiền", "tuổi", "có được") name a facet only when no other phrase names one: they
are more often the subject of a question than the part asked.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

GAP = " ... "
MAX_GAP = 5
# Words that make the gap of a gapped phrase a different question ("có cần gì không" asks for documents).
_QUESTION_WORDS = ("gi", "nao", "dau", "bao", "may", "ai", "sao", "nhung")


def _compile(phrase: str, n: int) -> str:
    if GAP not in phrase:
        return re.escape(phrase)
    head, tail = phrase.split(GAP, 1)
    gap_word = r"(?:(?!(?:" + "|".join(_QUESTION_WORDS) + r")(?!\S))\S+)"
    # The gap is a named group: it is the question's subject, and stays when the phrase is taken out.
    return rf"{re.escape(head)}(?P<gap{n}>(?: {gap_word}){{1,{MAX_GAP}}}) {re.escape(tail)}"


def phrase_pattern(phrases: tuple[str, ...]) -> re.Pattern[str] | None:
    """One pattern matching any of the phrases as whole words, longest first."""
    if not phrases:
        return None
    ordered = sorted(phrases, key=len, reverse=True)
    return re.compile(r"(?<!\S)(?:" + "|".join(_compile(p, n) for n, p in enumerate(ordered)) + r")(?!\S)")


def _gap(m: re.Match[str]) -> tuple[int, int] | None:
    return next(((m.start(k), m.end(k)) for k, v in m.groupdict().items() if v), None)


class FacetFinder:
    """Finds the facets a normalised message asks for; a plain object built once per knowledge base."""

    def __init__(self, facets: Mapping[str, tuple[str, ...]], weak: tuple[str, ...] = ()) -> None:
        weak_set = set(weak)
        self.strong = {name: phrase_pattern(tuple(p for p in phrases if p not in weak_set))
                       for name, phrases in facets.items()}
        self.weak = {name: phrase_pattern(tuple(p for p in phrases if p in weak_set))
                     for name, phrases in facets.items()}

    def _matches(self, norm: str, patterns: Mapping[str, re.Pattern[str] | None]) -> list[tuple[int, int, int, str,
                                                                                                 re.Match[str]]]:
        found = [(m.start(), m.end(), rank, name, m) for rank, (name, pattern) in enumerate(patterns.items())
                 if pattern is not None for m in pattern.finditer(norm)]
        return [s for s in found if not any(o[0] <= s[0] and s[1] <= o[1] and o[1] - o[0] > s[1] - s[0]
                                            for o in found)]

    def _spans(self, norm: str, patterns: Mapping[str, re.Pattern[str] | None]) -> list[tuple[int, int, int, str]]:
        return [(a, b, rank, name) for a, b, rank, name, _ in self._matches(norm, patterns)]

    def find(self, norm: str) -> tuple[str, ...]:
        """The facets asked, in the order they appear in the message (weak phrases only when nothing else)."""
        spans = self._spans(norm, self.strong)
        if not spans:
            # The first listed weak facet: "tiền" and "tuổi" together are one question, not two.
            weak = self._spans(norm, self.weak)
            return (min(weak, key=lambda s: s[2])[3],) if weak else ()
        ordered = sorted(spans, key=lambda s: (s[0], s[2]))
        return tuple(dict.fromkeys(name for _, _, _, name in ordered))

    def strong_found(self, norm: str) -> bool:
        """True when a phrase that is not weak asks for a part ("ở đâu", "bao lâu")."""
        return bool(self._spans(norm, self.strong))

    def spans(self, norm: str) -> list[tuple[int, int]]:
        """Where facet phrases (strong and weak) are, without their gaps, to take them out of the message."""
        out = []
        for start, end, _, _, m in self._matches(norm, self.strong) + self._matches(norm, self.weak):
            gap = _gap(m)
            out += [(start, gap[0]), (gap[1], end)] if gap else [(start, end)]
        return out

    def strip(self, norm: str) -> str:
        """The message without its facet phrases."""
        spans = sorted(self.spans(norm))
        out, at = [], 0
        for start, end in spans:
            if start >= at:
                out.append(norm[at:start])
                at = end
        out.append(norm[at:])
        return " ".join(" ".join(out).split())
