"""People's names in free text, found by the shape Vietnamese names take rather than by a list alone.

A name is two to four syllables that start with a known surname ("Lò Văn Páo"), or that carry a middle name
such as Văn, Thị or A between two name syllables ("Sồng A Chứ"), or that follow a cue: an introduction
("tôi là", "tên em là", "họ và tên:") or a way of addressing someone ("anh", "chị", "ông", "bà", "cháu",
"chào", "gửi"), where one capitalised syllable is enough ("chào anh Páo", "a Páo", "chao chi Hoa"), as it is
before a call ("Páo ơi"). A surname, Văn or Thị and a syllable are a name in any case ("Lò văn páo"). Case
decides how sure any other shape is:
a capitalised run that stands out from lower-case neighbours is a name; in text that is all capitals or all
title case ("GIÀNG A SỬ ĐÃ NỘP", "Hồ Sơ Ly Hôn") and in lower case ("lò văn páo") only a middle name makes
it one. Places, institutions and roles (knowledge/surnames.yaml `not_names`) and streets and schools named
after people ("đường Lò Văn Giá", "trường THPT Chu Văn An") are never names.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import lru_cache

from bot.understanding.name_words import (
    ADDRESS,
    BLANK,
    INTRO,
    KIN,
    MARKS,
    MIDDLE,
    MIDDLE_KEYS,
    NOT_GIVEN,
    SHORT_KIN,
    VOCATIVE,
    Token,
    address,
    after_place,
    blocked,
    compound,
    fold,
    fold_char,
    key,
    sentence_start,
    tokens,
)


def iter_intro(text: str) -> Iterator[int]:
    """Where a name may start after an introduction ("tôi là", "họ và tên:"), as offsets in the text."""
    folded = "".join(fold_char(c) for c in text)
    yield from (m.end() for m in _intro_pattern().finditer(folded))


@lru_cache(maxsize=1)
def _intro_pattern() -> re.Pattern[str]:
    words = (BLANK.pattern.join("".join(re.escape(c) + MARKS for c in fold(w)) for w in t.split()) for t in INTRO)
    return re.compile(r"(?<!\w)(?:" + "|".join(words) + r")(?![\w\u0300-\u036f])[ \t\u00a0]*:?[ \t\u00a0]*")


@lru_cache(maxsize=8)
def _surname_keys(surnames: frozenset[str]) -> tuple[frozenset[str], frozenset[str]]:
    return frozenset(key(s) for s in surnames), frozenset(fold(s) for s in surnames)


def _runs(toks: list[Token], stop: list[bool], text: str) -> list[list[int]]:
    """Maximal runs of name-shaped words of one style, separated by blanks only ("Lò văn Páo" is one)."""
    def joined(a: int, b: int) -> bool:
        return a >= 0 and b < len(toks) and BLANK.fullmatch(text, toks[a].end, toks[b].start) is not None

    def style(i: int) -> str:
        tok = toks[i]
        if tok.key in MIDDLE_KEYS - {"a"} and joined(i - 1, i) and joined(i, i + 1) and \
                toks[i - 1].style == toks[i + 1].style == "cap":
            return "cap"  # a middle name typed in lower case between capitals
        return tok.style

    runs: list[list[int]] = []
    for i, tok in enumerate(toks):
        if stop[i] or not tok.syllable or tok.style == "mixed":
            continue
        prev = runs[-1][-1] if runs else -2
        if prev == i - 1 and style(prev) == style(i) and joined(prev, i):
            runs[-1].append(i)
        else:
            runs.append([i])
    return runs


class _Finder:
    """The name rules over one text's tokens."""

    def __init__(self, text: str, surnames: frozenset[str], not_names: frozenset[str]) -> None:
        self.text, self.toks = text, tokens(text)
        self.stop = blocked(self.toks, not_names)
        self.exact, self.folded = _surname_keys(surnames)

    def surname(self, i: int, name: list[int]) -> bool:
        tok = self.toks[i]
        return tok.key in self.exact or (all(self.toks[j].key.isascii() for j in name) and tok.fold in self.folded)

    def middle_at(self, name: list[int], p: int = 1) -> bool:
        """Whether the p-th syllable is a middle name followed by a name syllable, not an ordinary word.

        In lower case the middle name must be written as one ("thị", never "thì" or a bare "thi"), and the name
        must carry diacritics: "lau thi co" is "lâu thì có", not a person.
        """
        if len(name) <= p + 1:
            return False
        middle, words = self.toks[name[p]], [self.toks[j] for j in name[: p + 2]]
        lower = middle.style == "lower" and self.toks[name[0]].style == "lower"
        if (middle.key if lower else middle.fold) not in (MIDDLE_KEYS if lower else MIDDLE):
            return False
        if lower and all(t.key.isascii() for t in words):
            return False
        return not compound(middle, self.toks[name[p + 1]])

    def cue_before(self, i: int) -> bool:
        """Whether a form of address stands right before token i, typed so that a name stands out after it."""
        cue = self.toks[i - 1] if i > 0 else None
        if cue is not None and cue.key in SHORT_KIN and cue.style == "lower":
            return BLANK.fullmatch(self.text, cue.end, self.toks[i].start) is not None
        word = address(cue)
        if cue is None or word is None or not BLANK.fullmatch(self.text, cue.end, self.toks[i].start):
            return False
        if word not in KIN and not (i + 1 < len(self.toks) and self.toks[i + 1].style == self.toks[i].style
                                       and BLANK.fullmatch(self.text, self.toks[i].end, self.toks[i + 1].start)):
            return False
        return cue.style == "lower" or sentence_start(self.text, cue.start) or (
            i >= 2 and address(self.toks[i - 2]) is not None)

    def in_run(self, run: list[int], p: int) -> Iterator[tuple[int, int]]:
        """Names starting at position p of a run; nothing when the words there name a place."""
        toks, at = self.toks, run[p]
        if after_place(toks, at) or toks[at].key in NOT_GIVEN:
            return
        name, cap = run[p : p + 4], toks[at].style == "cap"  # a run has one style, bar a lower-case middle name
        leading = all(toks[j].key in ADDRESS for j in run[:p])
        distinct = cap and leading and len(run) - p <= 4
        # A long capitalised run is a long name in title case, but runs on into ordinary words in capitals.
        upper = all(self.text[toks[j].start : toks[j].end].isupper() for j in name)
        end = name[-1] if distinct or (cap and leading and not upper) else name[min(2, len(name) - 1)]
        by_surname = self.surname(at, name) and len(name) >= 2 and (distinct or self.middle_at(name))
        by_middle = self.middle_at(name) and (cap or self.cue_before(at))
        by_cue = cap and distinct and self.cue_before(at)
        follows = name[-1] + 1 < len(toks) and toks[name[-1] + 1].key in VOCATIVE
        by_vocative = cap and distinct and len(run) - p <= 3 and follows
        if by_surname or by_middle or by_cue or by_vocative:
            yield toks[at].start, toks[end].end

    def after_intro(self, runs: dict[int, list[int]]) -> Iterator[tuple[int, int]]:
        """Names right after "tôi là", "tên em là", "họ và tên:": one capitalised word is enough."""
        starts = {t.start: i for i, t in enumerate(self.toks)}
        for offset in iter_intro(self.text):
            i = starts.get(offset)
            run = runs.get(i) if i is not None else None
            if not run or self.toks[run[0]].key in NOT_GIVEN or after_place(self.toks, run[0]):
                continue
            name = run[:4]
            if self.toks[run[0]].style == "cap" and len(run) <= 4:
                yield self.toks[name[0]].start, self.toks[name[-1]].end
            elif self.toks[run[0]].style == "lower" and len(name) >= 2 and (self.middle_at(name) or (
                    self.surname(run[0], name) and not all(self.toks[j].key.isascii() for j in name[:2]))):
                yield self.toks[name[0]].start, self.toks[name[min(2, len(name) - 1)]].end

    def find(self) -> Iterator[tuple[int, int]]:
        """Every (start, end) of a name, maybe overlapping."""
        runs = _runs(self.toks, self.stop, self.text)
        for run in runs:
            p = 0
            while p < len(run):
                found = list(self.in_run(run, p))
                yield from found
                end = found[0][1] if found else self.toks[run[p]].end
                p = next((k for k in range(p + 1, len(run)) if self.toks[run[k]].start >= end), len(run))
        yield from self.after_intro({run[k]: run[k:] for run in runs for k in range(len(run))})
        yield from self.surname_middle()

    def surname_middle(self) -> Iterator[tuple[int, int]]:
        """A surname, Văn or Thị, and a syllable, whatever their case: "Lò văn páo", "lò Văn Páo"."""
        toks, text = self.toks, self.text
        for i in range(len(toks) - 2):
            first, middle, last = toks[i : i + 3]
            if (first.key in self.exact and middle.key in ("văn", "thị") and last.syllable
                    and not any(self.stop[i : i + 3])
                    and all(BLANK.fullmatch(text, a.end, b.start) for a, b in ((first, middle), (middle, last)))
                    and not compound(middle, last) and not after_place(toks, i)):
                yield first.start, last.end


def find_names(text: str, surnames: frozenset[str], not_names: frozenset[str]) -> Iterator[tuple[int, int]]:
    """(start, end) of every name in the text, maybe overlapping."""
    return _Finder(text, surnames, not_names).find()
