"""Personal data in free text (phone and identity numbers, e-mail addresses, names) and masking for logs.

Numbers are digit groups joined by single spaces, dots or dashes. A phone number is 0, 84, +84 or (+84) then
9 or 10 digits (the first not 0), in groups of two digits or more: "0912.345.678", "(+84) 912-345-678",
"(0212) 3852 123". An identity number (CMND, CCCD) is 9 or 12 digits, together or in groups of three or four;
grouped, it starts as real ones do (CCCD with 0, CMND with 0 to 3). `mask` hides each digit but the last three
("0912 345 678" -> "*******678"; separators and "+84" go too) and an e-mail address but its first character
and domain ("mai.lo@gmail.com" -> "m***@gmail.com"). Unlike `find_personal_data`, it errs towards hiding:
it makes no exception for money or document numbers, and hides any 9 or 12 digits written together.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Literal

import yaml

Kind = Literal["phone", "id_number", "email", "name"]
DATA_FILE = Path(__file__).resolve().parent.parent / "knowledge" / "surnames.yaml"
VISIBLE = 3  # digits left visible at the end of a masked number, so support can tell numbers apart

_S = r"[ .\-\u00a0]"  # one separator between digit groups
_RUN = re.compile(
    rf"(?:(?P<cc>\(\+?84\)){_S}?|(?P<plus>\+)|(?P<area>\(0[0-9]{{2,3}}\)){_S}?)?"
    rf"(?<![0-9])(?P<body>[0-9]+(?:{_S}[0-9]+)*)"
)
_GROUP = re.compile(r"[0-9]+")
_EMAIL = re.compile(r"(?<![A-Za-z0-9._%+\-])(?P<first>[A-Za-z0-9._%+\-])[A-Za-z0-9._%+\-]*"
                    r"(?P<domain>@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,})(?![A-Za-z0-9\-])")
_MONEY_AFTER = re.compile(r"\s?(?:đồng|đ|₫|vnđ|vnd|dong|nghìn|ngàn|triệu|trieu|tỷ|tỉ|usd|k)(?![^\W\d_])", re.I)
_MARKS = "[\u0300-\u036f]*"  # combining marks, for text that is not in NFC
_WORD = re.compile(rf"(?:[^\W\d_]{_MARKS})+(?:['’](?:[^\W\d_]{_MARKS})+)*")
_BLANK = re.compile(r"[ \t\u00a0]+")
_TRIGGERS = ("tên tôi là", "tên em là", "tôi tên là", "em tên là", "tôi tên", "em tên", "tôi là", "em là", "cháu là",
             "mình là")


@dataclass(frozen=True)
class Finding:
    """One piece of personal data: its kind and where it is in the text (text[start:end] == text)."""

    kind: Kind
    start: int
    end: int
    text: str


def _phone_ok(digits: str, cc: str) -> bool:
    if cc == "84":  # "(+84)" in front: the digits are the national number, maybe with its 0
        national = digits[1:] if digits.startswith("0") else digits
    elif digits.startswith("84") and (cc == "+" or len(digits) in (11, 12)):
        national = digits[2:]
        if cc == "+" and national.startswith("0"):  # "+84 0912 ...", a common slip
            national = national[1:]
    elif digits.startswith("0"):
        national = digits[1:]
    else:
        return False
    return len(national) in (9, 10) and national[0] != "0"


def _classify(text: str, groups: list[tuple[int, int, str]], cc: str, strict: bool) -> Kind | None:
    digits = "".join(g[2] for g in groups)
    sizes = {len(g[2]) for g in groups}
    if min(sizes) >= 2 and (_phone_ok(digits, cc) or (cc != "" and _phone_ok(digits, ""))):
        return "phone"
    grouped = len(groups) > 1
    if len(digits) not in (9, 12) or (grouped and sizes not in ({3}, {4})):
        return None
    if (strict or grouped) and digits[0] not in ("0" if len(digits) == 12 else "0123"):
        return None
    if strict:
        start, end = groups[0][0], groups[-1][1]
        separators = {text[g[1]] for g in groups[:-1]}
        if text[start - 1 : start] in ("/", "#") or text[end : end + 1] == "/":
            return None  # a document or ticket number: "123456789/QĐ-UBND", "#123456789"
        if _MONEY_AFTER.match(text, end) or (separators == {"."} and digits[0] != "0"):
            return None  # money: "200.000.000 đồng", "150.000.000"
    return "id_number"


def _numbers(text: str, strict: bool) -> Iterator[tuple[Kind, int, int, str]]:
    """(kind, start, end, digits) of every phone and identity number, left to right."""
    for run in _RUN.finditer(text):
        groups = [(g.start(), g.end(), g.group()) for g in _GROUP.finditer(text, run.start("body"), run.end("body"))]
        if run.group("area"):
            groups.insert(0, (run.start("area"), run.end("area"), run.group("area")[1:-1]))
        cc, n = "84" if run.group("cc") else "+" if run.group("plus") else "", len(groups)
        # Split the run into numbers covering as many digits as possible ("050 123 456 312 345 678" is two).
        cover: list[int] = [0] * (n + 1)
        choice: list[tuple[int, Kind | None]] = [(0, None)] * (n + 1)
        for i in range(n - 1, -1, -1):
            cover[i], count = cover[i + 1], 0
            for j in range(i, n):
                count += len(groups[j][2])
                if count > 13:
                    break
                if count >= 9 and count + cover[j + 1] >= cover[i] and (
                        kind := _classify(text, groups[i : j + 1], cc if i == 0 else "", strict)):
                    cover[i], choice[i] = count + cover[j + 1], (j, kind)
        i = 0
        while i < n:
            j, found = choice[i]
            if found:
                start = run.start() if i == 0 and found == "phone" else groups[i][0]
                yield found, start, groups[j][1], "".join(g[2] for g in groups[i : j + 1])
            i = j + 1 if found else i + 1


def mask(text: str) -> str:
    """Hide phone numbers, identity numbers and e-mail addresses, keeping the last 3 digits of a number."""
    text = _EMAIL.sub(lambda m: f"{m['first']}***{m['domain']}", text)
    pieces: list[str] = []
    done = 0
    for _kind, start, end, digits in _numbers(text, strict=False):
        pieces += [text[done:start], "*" * (len(digits) - VISIBLE), digits[-VISIBLE:]]
        done = end
    pieces.append(text[done:])
    return "".join(pieces)


@lru_cache(maxsize=4096)
def _fold_char(ch: str) -> str:
    if ch in "đĐ":
        return "d"
    base = unicodedata.normalize("NFD", ch)[0].lower()
    return base if len(base) == 1 else ch


def _key(word: str) -> str:
    return unicodedata.normalize("NFC", word).lower().replace("’", "'")


def _fold(word: str) -> str:
    return "".join(_fold_char(c) for c in unicodedata.normalize("NFD", _key(word)) if not unicodedata.combining(c))


def _capitalised(word: str) -> bool:
    parts = re.split(r"['’]", unicodedata.normalize("NFC", word))
    return all(p[:1].isupper() and p[1:] == p[1:].lower() for p in parts)


@lru_cache(maxsize=8)
def _surname_keys(surnames: frozenset[str]) -> tuple[frozenset[str], frozenset[str]]:
    return frozenset(_key(s) for s in surnames), frozenset(_fold(s) for s in surnames)


@lru_cache(maxsize=8)
def _phrases(not_names: frozenset[str]) -> dict[str, list[tuple[str, ...]]]:
    index: dict[str, list[tuple[str, ...]]] = {}
    for phrase in not_names:
        words = tuple(_key(w) for w in phrase.split())
        if words:
            index.setdefault(_fold(words[0]), []).append(words)
    return index


_TRIGGER = re.compile(
    r"(?<!\w)(?:" + "|".join(_BLANK.pattern.join(
        "".join(re.escape(c) + _MARKS for c in _fold(w)) for w in t.split()) for t in _TRIGGERS)
    + r")(?![\w\u0300-\u036f])[ \t\u00a0]*[:,]?[ \t\u00a0]*"
)


def _names(text: str, surnames: frozenset[str], not_names: frozenset[str]) -> Iterator[tuple[int, int]]:
    tokens = [(m.start(), m.end(), _key(m.group()), _capitalised(m.group())  # "A" of "hạng A1" is no syllable
               and not any(c.isdigit() for c in text[m.start() - 1 : m.start()] + text[m.end() : m.end() + 1]))
              for m in _WORD.finditer(text)]
    blocked = [False] * len(tokens)
    index = _phrases(not_names)
    for i, token in enumerate(tokens):
        for words in index.get(_fold(token[2]), ()) if token[3] else ():
            span = tokens[i : i + len(words)]
            # typed without diacritics, a phrase still matches ("Ha Noi"); a single word ("Kháng") must not
            # block a different one ("Khang")
            loose = len(words) > 1
            if len(span) == len(words) and all(t[2] == w or (loose and t[2].isascii() and t[2] == _fold(w))
                                               for t, w in zip(span, words, strict=True)):
                blocked[i : i + len(words)] = [True] * len(words)
    runs: list[list[int]] = []
    for i, token in enumerate(tokens):
        if not token[3] or blocked[i]:
            continue
        if runs and runs[-1][-1] == i - 1 and _BLANK.fullmatch(text, tokens[i - 1][1], token[0]):
            runs[-1].append(i)
        else:
            runs.append([i])
    exact, folded = _surname_keys(surnames)
    for run in runs:
        k = 0
        while k < len(run) - 1:
            key = tokens[run[k]][2]
            if key in exact or (key.isascii() and key in folded):
                name = run[k : k + 4]
                if len(name) >= 2:
                    yield tokens[name[0]][0], tokens[name[-1]][1]
                k += len(name)
            else:
                k += 1
    where = {tokens[i][0]: run[p:] for run in runs for p, i in enumerate(run)}
    folded_text = "".join(_fold_char(c) for c in text)
    for m in _TRIGGER.finditer(folded_text):
        name = where.get(m.end(), [])[:4]
        if len(name) >= 2:
            yield tokens[name[0]][0], tokens[name[-1]][1]


def _entries(path: str | Path, field: str) -> list[str]:
    data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    value = data.get(field) if isinstance(data, dict) else None
    groups = list(value.values()) if isinstance(value, dict) else [value]
    words = [x for g in groups if isinstance(g, list) for x in g]
    if not all(isinstance(g, list) for g in groups) or not all(isinstance(x, str) and x.strip() for x in words):
        raise ValueError(f"{path}: {field}: expected a list of words, or a mapping of such lists")
    return [unicodedata.normalize("NFC", x.strip()) for x in words]


def load_surnames(path: str | Path = DATA_FILE) -> frozenset[str]:
    """The surnames of a data file such as knowledge/surnames.yaml, one syllable each, as written."""
    names = _entries(path, "surnames")
    if any(len(n.split()) != 1 for n in names):
        raise ValueError(f"{path}: surnames: each surname is one syllable")
    return frozenset(names)


@lru_cache(maxsize=4)
def load_not_names(path: str | Path = DATA_FILE) -> frozenset[str]:
    """The capitalised words and phrases of a data file that are never part of a name."""
    return frozenset(_entries(path, "not_names"))


def find_personal_data(
    text: str, surnames: frozenset[str], *, not_names: frozenset[str] | None = None
) -> list[Finding]:
    """Phone and identity numbers, e-mail addresses and names in the text, in order, without overlaps."""
    spans: list[tuple[int, int, Kind]] = [(m.start(), m.end(), "email") for m in _EMAIL.finditer(text)]
    spans += [(start, end, kind) for kind, start, end, _ in _numbers(text, strict=True)]
    stop = load_not_names() if not_names is None else not_names
    spans += [(start, end, "name") for start, end in _names(text, surnames, stop)]
    found: list[Finding] = []
    for start, end, kind in sorted(spans, key=lambda s: (s[0], s[0] - s[1])):
        if not found or start >= found[-1].end:
            found.append(Finding(kind, start, end, text[start:end]))
    return found
