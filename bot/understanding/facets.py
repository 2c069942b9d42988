"""Which parts of a topic a message asks for ("facets"), in the order asked, from the phrases of facets.yaml.

A phrase matches whole words. "co can ... khong" is a phrase with a gap: one to eight words between its two
halves, none of them a question word (so "có cần xin phép không" asks a condition, "có cần gì không" does
not); the gap is the question's subject and stays in the message when the parts are taken out. A phrase
inside a longer phrase of another facet does not count ("bao nhiêu" inside "bao nhiêu ngày"; a gap does
not hide "bị phạt" in "có bị phạt không"). Weak phrases ("tiền", "tuổi", "hết hạn") name a facet only when
no other phrase names one: they are more often the subject of a question than the part asked. Frames
("có … không") are yes/no questions: their facet comes after the other parts the message asks.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

GAP = " ... "
MAX_GAP = 8
# Words that make the gap of a gapped phrase a different question ("có cần gì không" asks for documents).
_QUESTION_WORDS = ("gi", "nao", "dau", "bao", "may", "ai", "sao", "nhung")


def _words(text: str, n: int) -> str:
    """A phrase's words as a pattern; [bracketed] words are kept in the message as its subject."""
    out = []
    for i, piece in enumerate(re.split(r"(\[[^\]]+\])", text)):
        if piece.startswith("["):
            out.append(f"(?P<keep{n}_{i}>{re.escape(piece[1:-1])})")
        elif piece:
            out.append(re.escape(piece))
    return "".join(out)


def _compile(phrase: str, n: int) -> str:
    if GAP not in phrase:
        return _words(phrase, n)
    head, tail = phrase.split(GAP, 1)
    gap_word = r"(?:(?!(?:" + "|".join(_QUESTION_WORDS) + r")(?!\S))\S+)"
    return rf"{_words(head, n)}(?P<gap{n}>(?: {gap_word}){{1,{MAX_GAP}}}) {_words(tail, n + 100_000)}"


def plain(phrase: str) -> str:
    """The phrase as it reads, without its brackets."""
    return phrase.replace("[", "").replace("]", "")


def phrase_pattern(phrases: tuple[str, ...]) -> re.Pattern[str] | None:
    """One pattern matching any of the phrases as whole words, longest first."""
    if not phrases:
        return None
    ordered = sorted(set(phrases), key=lambda p: len(plain(p)), reverse=True)
    return re.compile(r"(?<!\S)(?:" + "|".join(_compile(p, n) for n, p in enumerate(ordered)) + r")(?!\S)")


@dataclass(frozen=True)
class _Found:
    start: int
    end: int
    rank: int  # the facet's place in facets.yaml
    name: str
    literal: tuple[tuple[int, int], ...]  # the phrase's own words (without its gap)
    kind: str  # strong, weak or frame


def _literal(m: re.Match[str]) -> tuple[tuple[int, int], ...]:
    """The spans of the phrase's own words: without its gap and its [bracketed] subject words."""
    kept = sorted((m.start(k), m.end(k)) for k, v in m.groupdict().items() if v is not None)
    out, at = [], m.start()
    for start, end in kept:
        if start > at:
            out.append((at, start))
        at = max(at, end)
    if m.end() > at:
        out.append((at, m.end()))
    return tuple(out)


class FacetFinder:
    """Finds the facets a normalised message asks for; a plain object built once per knowledge base."""

    def __init__(self, facets: Mapping[str, tuple[str, ...]], weak: tuple[str, ...] = (),
                 frames: tuple[str, ...] = ()) -> None:
        self._cache: dict[str, list[_Found]] = {}
        kinds = {**{p: "weak" for p in weak}, **{p: "frame" for p in frames}}
        self.patterns = [(kind, rank, name, phrase_pattern(tuple(p for p in phrases if kinds.get(p, "strong") == kind)))
                         for rank, (name, phrases) in enumerate(facets.items()) for kind in ("strong", "weak", "frame")]
        # A frame not listed under any facet still asks a condition.
        extra = tuple(p for p in frames if not any(p in phrases for phrases in facets.values()))
        if extra and "conditions" in facets:
            self.patterns.append(("frame", list(facets).index("conditions"), "conditions", phrase_pattern(extra)))

    def _found(self, norm: str) -> list[_Found]:
        cached = self._cache.get(norm)
        if cached is None:
            if len(self._cache) >= 4096:  # a message is looked at a few times in a row, then never again
                self._cache.clear()
            cached = self._cache[norm] = self._find_all(norm)
        return cached

    def _find_all(self, norm: str) -> list[_Found]:
        found = [_Found(m.start(), m.end(), rank, name, _literal(m), kind)
                 for kind, rank, name, pattern in self.patterns if pattern is not None
                 for m in pattern.finditer(norm)]
        return [f for f in found if not any(
            o is not f and o.end - o.start > f.end - f.start and any(a <= f.start and f.end <= b for a, b in o.literal)
            for o in found)]

    def find(self, norm: str) -> tuple[str, ...]:
        """The facets asked, in the order asked; frames after the others, weak phrases only when nothing else."""
        found = self._found(norm)
        strong = sorted((f for f in found if f.kind == "strong"), key=lambda f: (f.start, f.rank))
        frames = sorted((f for f in found if f.kind == "frame"), key=lambda f: (f.start, f.rank))
        names = [f.name for f in (*strong, *frames)]
        if not names:
            # The first listed weak facet: "tiền" and "tuổi" together are one question, not two.
            weak = [f for f in found if f.kind == "weak"]
            return (min(weak, key=lambda f: f.rank).name,) if weak else ()
        return tuple(dict.fromkeys(names))

    def strong_found(self, norm: str) -> bool:
        """True when a phrase that is neither weak nor a yes/no frame asks for a part ("ở đâu", "bao lâu")."""
        return any(f.kind == "strong" for f in self._found(norm))

    def strip(self, norm: str) -> str:
        """The message without its facet phrases (the gaps of gapped phrases stay: they are the subject)."""
        spans = sorted(span for f in self._found(norm) for span in f.literal)
        out, at = [], 0
        for start, end in spans:
            if start >= at:
                out.append(norm[at:start])
                at = end
        out.append(norm[at:])
        return " ".join(" ".join(out).split())
