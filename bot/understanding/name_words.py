"""The words bot/understanding/names.py reads names by (middle names, cues that introduce or address a person, words
that follow such a cue without being a name, words that make the next ones a place) and the text as words:
how each is written (case, diacritics, syllable shape) and which belong to a phrase that is never a name."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

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
ASCII_ADDRESS = {"anh": "anh", "chi": "chị", "ong": "ông", "ba": "bà", "em": "em", "chau": "cháu", "co": "cô",
                 "chu": "chú", "bac": "bác", "cu": "cụ", "ban": "bạn", "chao": "chào", "gui": "gửi", "thua": "thưa"}
VOCATIVE = frozenset({"ơi", "oi"})  # "Páo ơi"
SHORT_KIN = frozenset({"a", "c", "e"})  # "a Páo", "c Hoa", "e Mai": anh, chị, em as typed on a phone
ADDRESS = KIN | {"chào", "gửi", "thưa", "kính", "đồng"}  # after a greeting alone, one capitalised word is no name
# Words that follow a form of address without being a name: kin, pronouns, roles, birth-order nicknames.
NOT_GIVEN = frozenset({
    "anh", "chị", "em", "ông", "bà", "cô", "chú", "bác", "cháu", "con", "cậu", "dì", "mợ", "thím", "dượng", "mẹ",
    "bố", "cha", "má", "ba", "hai", "cả", "út", "ngoại", "nội", "ấy", "này", "kia", "đó", "ta", "họ", "mình",
    "trai", "gái", "rể", "dâu", "bé", "nhỏ", "lớn", "già", "cụ", "bạn", "trưởng", "phó", "chủ", "bí",
    "giám", "cán", "kế", "thủ", "trợ", "luật", "đại", "trung", "thiếu", "thượng", "chánh", "tổ", "đội",
    "đảng", "hội", "bộ", "giáo", "sinh", "học", "người", "dân", "chiến", "cựu", "bệnh", "thầy", "kính", "chào",
    "trời", "ơi"})
# A run of names right after these words names a place or a school: "đường Lò Văn Giá", "phố Tô Hiệu".
PLACES = frozenset({"đường", "phố", "ngõ", "ngách", "hẻm", "phường", "xã", "thôn", "bản", "xóm", "tổ", "khu",
                    "trường", "lộ", "cầu", "chợ", "quảng", "tượng", "đền", "nhà", "công", "viên", "lớp", "bến",
                    "số", "viện", "chùa", "đình", "hồ", "sông", "núi", "đèo", "suối", "thác", "lăng", "ngã"})
SCHOOL_WORDS = frozenset({"thpt", "thcs", "th", "ptdtnt", "ptdtbt", "dtnt", "mn", "tiểu", "học", "trung", "mầm",
                          "non", "mẫu", "giáo", "phổ", "thông", "dân", "tộc", "nội", "trú", "chuyên", "đài",
                          "trường", "tư", "ba", "năm"})  # "ngã tư", "ngã ba"

MARKS = "[\u0300-\u036f]*"  # combining marks, for text that is not in NFC
WORD = re.compile(rf"(?:[^\W\d_]{MARKS})+(?:['’](?:[^\W\d_]{MARKS})+)*")
BLANK = re.compile(r"[ \t\u00a0]+")
_SYLLABLE = re.compile(r"(?:ngh|ng|nh|ch|gh|gi|kh|ph|qu|th|tr|[bcdghklmnprstvx])?[aeiouy]{1,3}(?:ng|nh|ch|[cmnpt])?")
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


def address(tok: Token | None) -> str | None:
    """The form of address a word is ("chi" typed for "chị"), or None."""
    if tok is None:
        return None
    if tok.key in ADDRESS:
        return tok.key
    return ASCII_ADDRESS.get(tok.key) if tok.key.isascii() else None


def sentence_start(text: str, at: int) -> bool:
    before = text[:at].rstrip(" \t\u00a0")
    return not before or before[-1] in ".!?:;,\n-–•(\"'“”…"
