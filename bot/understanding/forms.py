"""The ways people disguise a number or an e-mail address in a message, read back to their plain form.

A number may be typed with the letter O for zero ("O912 345 678"), or spelled out in words ("không chín một
hai…", with or without diacritics). An e-mail address may hide its @ ("pao.lo @ gmail.com", "[at]", "(a)",
"a còng") and its dots ("gmail chấm com", "[dot]"), and its name may carry diacritics ("páo@gmail.com").
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator

_ZEROS = "OoОоΟο"  # the letter O, Latin, Cyrillic or Greek, typed for a zero
_ZERO_RUN = re.compile(rf"(?<![^\W\d_])[0-9{_ZEROS}](?:[ .\-]?[0-9{_ZEROS}])+(?![^\W\d_])")
# A health insurance card ("GD 4 01 0123456789") and a passport named as one ("hộ chiếu số C1234567").
_CODES = re.compile(r"(?<![\w])(?:[A-Z]{2}[ ]?[0-9][ ]?[0-9]{2}[ ]?[0-9]{10}"
                    r"|(?<=hộ chiếu )(?:số:? ?)?[A-Z][0-9]{7}|(?<=passport )[A-Z][0-9]{7})(?![\w])", re.I)
_DIGIT_WORDS = {
    "không": "0", "khong": "0", "linh": "0", "lẻ": "0", "một": "1", "mốt": "1", "mot": "1", "hai": "2", "ba": "3",
    "bốn": "4", "bon": "4", "tư": "4", "năm": "5", "nam": "5", "lăm": "5", "sáu": "6", "sau": "6", "bảy": "7",
    "bẩy": "7", "bay": "7", "tám": "8", "tam": "8", "chín": "9", "chin": "9",
}
_PIECE_PATTERN = r"[^\W\d_][\w\u0300-\u036f]*|[0-9]+"
_SPELLED = re.compile(rf"(?<!\w)(?:{_PIECE_PATTERN})(?:[ ,.\-]{{1,2}}(?:{_PIECE_PATTERN}))+")
_PIECE = re.compile(_PIECE_PATTERN)
MIN_SPELLED = 3  # digit words a run needs before it is read as a number (else the digits path sees it)

_PROVIDERS = r"(?:gmail|yahoo|hotmail|outlook|icloud|ymail)"
_LOCAL = r"[\w.%+\-\u0300-\u036f]+"
_AT = (r"(?:[ \t]{0,3}(?:@|＠|\[[ \t]?(?:at|a|@)[ \t]?\]|\([ \t]?(?:at|a|@)[ \t]?\)|\{[ \t]?(?:at|a|@)[ \t]?\}"
       r"|<[ \t]?at[ \t]?>)[ \t]{0,3}|[ \t]+(?:at|a còng|a cong)[ \t]+(?=" + _PROVIDERS + "))")
_DOT = r"(?:[ \t]{0,2}(?:\.|\[[ \t]?(?:dot|chấm|cham|\.)[ \t]?\]|\([ \t]?(?:dot|chấm|cham|\.)[ \t]?\))[ \t]{0,2}" \
       r"|[ \t]+(?:dot|chấm|cham)[ \t]+)"
_LABEL = r"[A-Za-z0-9\-]+"
EMAIL = re.compile(
    rf"(?<![\w.%+\-\u0300-\u036f])(?P<first>[\w\u0300-\u036f])(?:{_LOCAL})?(?P<at>{_AT})"
    rf"(?P<domain>{_LABEL}(?:{_DOT}{_LABEL})*{_DOT}[A-Za-z]{{2,}}(?![A-Za-z0-9\-])|{_PROVIDERS}(?![\w.\-]))",
    re.IGNORECASE)


_TO_ZERO = str.maketrans(dict.fromkeys(_ZEROS, "0"))


def id_codes(text: str) -> Iterator[tuple[int, int]]:
    """(start, end) of health insurance card numbers and passport numbers."""
    return ((m.start(), m.end()) for m in _CODES.finditer(text))


def emails(text: str) -> Iterator[re.Match[str]]:
    """The e-mail addresses in the text, however their @ and dots are disguised.

    A blank before the @ but none after ("hoặc @gmail.com") counts only when the name looks like a mailbox's.
    """
    for m in EMAIL.finditer(text):
        at = m["at"]
        if at[:1].isspace() and not at[-1:].isspace() and not re.search(r"[._0-9]", text[m.start() : m.start("at")]):
            continue
        yield m


def digit_view(text: str) -> str:
    """The text with the letter O read as zero inside numbers ("O912.345.678"), of the same length."""
    def zero(m: re.Match[str]) -> str:
        run = m.group()
        return run.translate(_TO_ZERO) if sum(c.isdigit() for c in run) >= 5 else run
    return _ZERO_RUN.sub(zero, text)


def spelled_numbers(text: str) -> Iterator[tuple[int, int, str]]:
    """(start, end, digits) of numbers written at least partly in words: "không chín một hai ba …"."""
    for run in _SPELLED.finditer(text):
        pieces: list[tuple[int, int, str, bool]] = []  # (start, end, digits, spelled in words)
        for m in _PIECE.finditer(text, run.start(), run.end()):
            word = unicodedata.normalize("NFC", m.group()).lower()
            digits = word if word.isdigit() else _DIGIT_WORDS.get(word)
            if digits is None:
                yield from _spelled_span(pieces)
                pieces = []
            else:
                pieces.append((m.start(), m.end(), digits, not word.isdigit()))
        yield from _spelled_span(pieces)


def _spelled_span(pieces: list[tuple[int, int, str, bool]]) -> Iterator[tuple[int, int, str]]:
    digits = "".join(p[2] for p in pieces)
    if len(digits) >= 9 and sum(1 for p in pieces if p[3]) >= MIN_SPELLED:
        yield pieces[0][0], pieces[-1][1], digits


def email_domain(found: str) -> str:
    """The domain of an e-mail address as found (disguised or not), in plain lower-case form."""
    m = EMAIL.search(found)
    domain = m["domain"] if m else found.rpartition("@")[2]
    return re.sub(_DOT, ".", domain, flags=re.IGNORECASE).strip().lower()
