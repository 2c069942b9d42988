"""Personal data in free text (phone and identity numbers, e-mail addresses, names) and masking for logs.

Numbers are digit groups joined by single spaces, dots or dashes, the letter O read as zero inside them
("O912 345 678"), or digits spelled out in words (bot/understanding/forms.py). A phone number is 0, 84, +84 or (+84)
then 9 or 10 digits (the first not 0), in groups of two digits or more, or one digit at a time with one
separator: "0912.345.678", "(+84) 912-345-678", "(0212) 3852 123", "0 9 1 2 3 4 5 6 7 8". An identity number
(CMND, CCCD) is 9 or 12 digits, together or in groups of three or more; grouped, it starts as real ones do (CCCD
with 0, CMND with 0 to 3); 1800 and 1900 start hotlines, never identity numbers. `mask` hides each digit but the
last three ("0912 345 678" -> "*******678"; separators and "+84" go too) and an e-mail address but its first
character and domain ("mai.lo@gmail.com" -> "m***@gmail.com"). Unlike `find_personal_data`, it errs towards
hiding: it makes no exception for money or document numbers, and hides any 9 or 12 digits written together.
Names: bot/understanding/names.py.
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

import knowledge
from bot.understanding.forms import digit_view, emails, id_codes, spelled_numbers
from bot.understanding.names import find_names

Kind = Literal["phone", "id_number", "email", "name"]
DATA_FILE = Path(knowledge.__file__).resolve().parent / "surnames.yaml"
VISIBLE = 3  # digits left visible at the end of a masked number, so support can tell numbers apart

_S = r"(?:[ \u00a0]?[.\-–—][ \u00a0]?|[ \u00a0])"  # one separator between digit groups, maybe with blanks around
_RUN = re.compile(
    rf"(?:(?P<cc>\(\+?84\)){_S}?|(?P<plus>\+)|(?P<area>\(0[0-9]{{2,3}}\)){_S}?)?"
    rf"(?<![0-9])(?P<body>[0-9]+(?:{_S}[0-9]+)*)"
)
_GROUP = re.compile(r"[0-9]+")
_MONEY_AFTER = re.compile(r"\s?(?:đồng|đ|₫|vnđ|vnd|dong|nghìn|ngàn|triệu|trieu|tỷ|tỉ|usd|k)(?![^\W\d_])", re.I)
_ID_CUE = re.compile(r"(?:cccd|cmnd|cmt|căn cước|can cuoc|định danh|dinh danh|chứng minh|chung minh)[^0-9]{0,20}$",
                     re.I)
HOTLINES = ("1800", "1900")  # the start of toll-free and shared-cost service numbers, never identity numbers


@dataclass(frozen=True)
class Finding:
    """One piece of personal data: its kind and where it is in the text (text[start:end] == text)."""

    kind: Kind
    start: int
    end: int
    text: str


def _phone_ok(digits: str, cc: str) -> bool:
    if cc == "" and digits.startswith("0084"):  # the international prefix dialled: "0084 912 345 678"
        return _phone_ok(digits[2:], "+")
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
    spaced = sizes == {1} and len({text[g[1]] for g in groups[:-1]}) == 1  # "0 9 1 2 3 4 5 6 7 8"
    if (min(sizes) >= 2 or spaced) and (_phone_ok(digits, cc) or (cc != "" and _phone_ok(digits, ""))):
        return "phone"
    grouped = len(groups) > 1
    if len(digits) not in (9, 12) or digits.startswith(HOTLINES):
        return None
    if _ID_CUE.search(text[max(0, groups[0][0] - 40) : groups[0][0]]):
        return "id_number"  # named as one ("CCCD số 17 1234 567"): however it is grouped
    if grouped and not (min(sizes) >= 3 or (spaced and digits[0] == "0")):
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
    text = "".join(_masked_emails(text))
    return _masked_numbers(_masked_numbers(text, digit_view(text)), None)  # an O read as zero, then as written


def _masked_numbers(text: str, view: str | None) -> str:
    pieces: list[str] = []
    done = 0
    for _kind, start, end, digits in _numbers(view or text, strict=False):
        pieces += [text[done:start], "*" * (len(digits) - VISIBLE), digits[-VISIBLE:]]
        done = end
    pieces.append(text[done:])
    return "".join(pieces)


def _masked_emails(text: str) -> Iterator[str]:
    done = 0
    for m in emails(text):
        yield from (text[done : m.start()], f"{m['first']}***@{m['domain']}")
        done = m.end()
    yield text[done:]


def _spelled_kind(digits: str) -> Kind | None:
    return "phone" if _phone_ok(digits, "") else "id_number" if len(digits) in (9, 12) else None


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
    spans: list[tuple[int, int, Kind]] = [(m.start(), m.end(), "email") for m in emails(text)]
    for view in {digit_view(text), text}:  # an O read as zero, and as written ("O" + twelve digits)
        spans += [(start, end, kind) for kind, start, end, _ in _numbers(view, strict=True)]
    spans += [(start, end, kind) for start, end, digits in spelled_numbers(text) if (kind := _spelled_kind(digits))]
    spans += [(start, end, "id_number") for start, end in id_codes(text)]
    stop = load_not_names() if not_names is None else not_names
    spans += [(start, end, "name") for start, end in find_names(text, surnames, stop)]
    found: list[Finding] = []
    for start, end, kind in sorted(spans, key=lambda s: (s[0], s[0] - s[1])):
        if not found or start >= found[-1].end:
            found.append(Finding(kind, start, end, text[start:end]))
    return found
