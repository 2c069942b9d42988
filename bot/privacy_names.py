"""People's names in free text, found by the shape Vietnamese names take rather than by a list alone.

A name is two to four syllables that start with a known surname ("Lò Văn Páo"), or that carry a middle name
such as Văn, Thị or A between two name syllables ("Sồng A Chứ"), or that follow a cue: an introduction
("tôi là", "tên em là", "họ và tên:") or a way of addressing someone ("anh", "chị", "ông", "bà", "cháu",
"chào", "gửi"), where one capitalised syllable is enough ("chào anh Páo"). Case decides how sure a shape is:
a capitalised run that stands out from lower-case neighbours is a name; in text that is all capitals or all
title case ("GIÀNG A SỬ ĐÃ NỘP", "Hồ Sơ Ly Hôn") and in lower case ("lò văn páo") only a middle name makes
it one. Places, institutions and roles (knowledge/surnames.yaml `not_names`) and streets and schools named
after people ("đường Lò Văn Giá", "trường THPT Chu Văn An") are never names.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache

MARKS = "[\u0300-\u036f]*"  # combining marks, for text that is not in NFC
WORD = re.compile(rf"(?:[^\W\d_]{MARKS})+(?:['’](?:[^\W\d_]{MARKS})+)*")
BLANK = re.compile(r"[ \t\u00a0]+")
_SYLLABLE = re.compile(r"(?:ngh|ng|nh|ch|gh|gi|kh|ph|qu|th|tr|[bcdghklmnprstvx])?[aeiouy]{1,3}(?:ng|nh|ch|[cmnpt])?")
MIDDLE = frozenset({"van", "thi", "a"})  # folded: Văn, Thị and the H'Mông A
MIDDLE_KEYS = frozenset({"văn", "thị", "a"})
# A middle syllable followed by these makes an ordinary word ("văn bản", "thị trấn"), not a name.
COMPOUNDS = frozenset({
    "văn bản", "văn phòng", "văn hóa", "văn hoá", "văn thư", "văn kiện", "văn học", "văn minh", "văn nghệ",
    "văn tự", "văn miếu", "văn mẫu", "văn thể", "văn hiến", "văn phạm", "văn chương", "văn bằng",
    "thị trấn", "thị xã", "thị trường", "thị thực", "thị lực", "thị sát", "thị giác", "thị chính", "thị uỷ",
    "thị ủy", "thị phần", "a lô", "a di"})
INTRO = ("tên tôi là", "tên em là", "tên cháu là", "tên mình là", "tôi tên là", "em tên là", "cháu tên là",
         "mình tên là", "họ và tên", "họ tên", "tên là", "tôi tên", "em tên", "tôi là", "em là", "cháu là",
         "mình là", "tên")
KIN = frozenset({"anh", "chị", "ông", "bà", "em", "cháu", "cô", "chú", "bác", "cụ", "bạn", "cậu", "dì", "mợ", "thím",
                 "chí", "o"})  # "chí" of "đồng chí"
SHORT_KIN = frozenset({"a", "c", "e"})  # "a Páo", "c Hoa", "e Mai": anh, chị, em as typed on a phone
ADDRESS = KIN | {"chào", "gửi", "thưa", "kính", "đồng"}  # after a greeting alone, one capitalised word is no name
# Words that follow a form of address without being a name: kin, pronouns, roles, birth-order nicknames.
NOT_GIVEN = frozenset({
    "anh", "chị", "em", "ông", "bà", "cô", "chú", "bác", "cháu", "con", "cậu", "dì", "mợ", "thím", "dượng", "mẹ",
    "bố", "cha", "má", "ba", "hai", "cả", "út", "ngoại", "nội", "ấy", "này", "kia", "đó", "ta", "họ", "mình",
    "trai", "gái", "rể", "dâu", "bé", "nhỏ", "lớn", "già", "cụ", "bạn", "trưởng", "phó", "chủ", "bí",
    "giám", "cán", "kế", "thủ", "trợ", "luật", "đại", "trung", "thiếu", "thượng", "chánh", "tổ", "đội",
    "đảng", "hội", "bộ", "giáo", "sinh", "học", "người", "dân", "chiến", "cựu", "bệnh", "thầy", "kính", "chào"})
# A run of names right after these words names a place or a school: "đường Lò Văn Giá", "phố Tô Hiệu".
PLACES = frozenset({"đường", "phố", "ngõ", "ngách", "hẻm", "phường", "xã", "thôn", "bản", "xóm", "tổ", "khu",
                    "trường", "lộ", "cầu", "chợ", "quảng", "tượng", "đền", "nhà", "công", "viên", "lớp", "bến",
                    "số"})
SCHOOL_WORDS = frozenset({"thpt", "thcs", "th", "ptdtnt", "ptdtbt", "dtnt", "mn", "tiểu", "học", "trung", "mầm",
                          "non", "mẫu", "giáo", "phổ", "thông", "dân", "tộc", "nội", "trú", "chuyên", "đài",
                          "trường"})


@dataclass(frozen=True)
class Token:
    """One word of the text and how it is written."""

    start: int
    end: int
    key: str  # NFC, lower case
    fold: str  # ascii, lower case
    style: str  # "cap" (Title or UPPER), "lower" or "mixed"
    syllable: bool  # shaped like a Vietnamese syllable, not beside a digit ("A" of "A1" is none)


@lru_cache(maxsize=4096)
def fold_char(ch: str) -> str:
    """One character without diacritics, lower case (đ -> d)."""
    if ch in "đĐ":
        return "d"
    base = unicodedata.normalize("NFD", ch)[0].lower()
    return base if len(base) == 1 else ch


def key(word: str) -> str:
    """A word as compared: NFC, lower case, one kind of apostrophe."""
    return unicodedata.normalize("NFC", word).lower().replace("’", "'")


def fold(word: str) -> str:
    """A word without diacritics, lower case."""
    return "".join(fold_char(c) for c in unicodedata.normalize("NFD", key(word)) if not unicodedata.combining(c))


def _style(word: str) -> str:
    letters = [c for c in unicodedata.normalize("NFC", word) if c.isalpha()]
    if all(c.islower() for c in letters):
        return "lower"
    if letters[0].isupper() and (all(c.islower() for c in letters[1:]) or all(c.isupper() for c in letters[1:])):
        return "cap"
    return "mixed"


def tokens(text: str) -> list[Token]:
    """The words of the text, left to right."""
    out = []
    for m in WORD.finditer(text):
        word, near = m.group(), text[m.start() - 1 : m.start()] + text[m.end() : m.end() + 1]
        folded = fold(word)
        out.append(Token(m.start(), m.end(), key(word), folded, _style(word),
                         bool(_SYLLABLE.fullmatch(folded)) and not any(c.isdigit() for c in near)))
    return out


@lru_cache(maxsize=8)
def phrase_index(not_names: frozenset[str]) -> dict[str, list[tuple[str, ...]]]:
    """The not-a-name phrases by the folded form of their first word."""
    index: dict[str, list[tuple[str, ...]]] = {}
    for phrase in not_names:
        words = tuple(key(w) for w in phrase.split())
        if words:
            index.setdefault(fold(words[0]), []).append(words)
    return index


def blocked(toks: list[Token], not_names: frozenset[str]) -> list[bool]:
    """Which tokens belong to a place, institution or role phrase (typed with or without diacritics)."""
    out = [False] * len(toks)
    for i, tok in enumerate(toks):
        for words in phrase_index(not_names).get(tok.fold, ()):
            span = toks[i : i + len(words)]
            loose = len(words) > 1  # a single word ("Kháng") must not block a different one ("Khang")
            if len(span) == len(words) and all(t.key == w or (loose and t.key.isascii() and t.key == fold(w))
                                               for t, w in zip(span, words, strict=True)):
                out[i : i + len(words)] = [True] * len(words)
    return out


def after_place(toks: list[Token], i: int) -> bool:
    """Whether the words from i on name a street, ward or school ("đường Lò Văn Giá", "trường THPT Chu Văn An")."""
    j = i - 1
    while j >= 0 and (toks[j].key in SCHOOL_WORDS or (toks[j].style == "cap" and not toks[j].syllable)):
        j -= 1
    return (j >= 0 and toks[j].key in PLACES) or (j < i - 1 and toks[j + 1].key == "trường")


def compound(first: Token, second: Token) -> bool:
    """Whether a middle-name syllable and the next word make an ordinary word ("văn bản", "thị trấn")."""
    pair = f"{first.key} {second.key}"
    return pair in COMPOUNDS or (pair.isascii() and pair in {fold(c) for c in COMPOUNDS})


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


def _sentence_start(text: str, at: int) -> bool:
    before = text[:at].rstrip(" \t\u00a0")
    return not before or before[-1] in ".!?:;,\n-–•(\"'“”…"


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
        if cue is None or cue.key not in ADDRESS or not BLANK.fullmatch(self.text, cue.end, self.toks[i].start):
            return False
        if cue.key not in KIN and not (i + 1 < len(self.toks) and self.toks[i + 1].style == self.toks[i].style
                                       and BLANK.fullmatch(self.text, self.toks[i].end, self.toks[i + 1].start)):
            return False
        return cue.style == "lower" or _sentence_start(self.text, cue.start) or (
            i >= 2 and self.toks[i - 2].key in ADDRESS)

    def in_run(self, run: list[int], p: int) -> Iterator[tuple[int, int]]:
        """Names starting at position p of a run; nothing when the words there name a place."""
        toks, at = self.toks, run[p]
        if after_place(toks, at) or toks[at].key in NOT_GIVEN:
            return
        name, cap = run[p : p + 4], toks[at].style == "cap"  # a run has one style, bar a lower-case middle name
        leading = all(toks[j].key in ADDRESS for j in run[:p])
        distinct = cap and leading and len(run) - p <= 4
        end = name[-1] if distinct or (cap and leading) else name[min(2, len(name) - 1)]
        by_surname = self.surname(at, name) and len(name) >= 2 and (distinct or self.middle_at(name))
        by_middle = self.middle_at(name) and (cap or self.cue_before(at))
        by_cue = cap and distinct and self.cue_before(at)
        if by_surname or by_middle or by_cue:
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


def find_names(text: str, surnames: frozenset[str], not_names: frozenset[str]) -> Iterator[tuple[int, int]]:
    """(start, end) of every name in the text, maybe overlapping."""
    return _Finder(text, surnames, not_names).find()
