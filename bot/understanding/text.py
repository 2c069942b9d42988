"""Vietnamese text normalisation: canonical tone placement, accent folding, synonym expansion."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping, Set

# Combining marks that carry the tone (huyền, sắc, hỏi, ngã, nặng); the others
# (circumflex, breve, horn) change the vowel itself and stay on their letter.
TONES = {"\u0300", "\u0301", "\u0309", "\u0303", "\u0323"}
VOWELS = set("aeiouy")
_SHAPED = {"\u0302", "\u0306", "\u031b"}  # â ê ô, ă, ơ ư
_INVISIBLE = re.compile(r"[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]")
_NON_WORD = re.compile(r"[^\w]+|_")
_RUNS = re.compile(r"(\w)\1{2,}")
_SYLLABLE = re.compile(r"\w+")


def clean(text: str) -> str:
    """NFC, drop control, zero-width and bidi characters, squeeze white space."""
    text = unicodedata.normalize("NFC", text or "")
    text = _INVISIBLE.sub(" ", text)
    return " ".join(text.split())


def _tone_position(letters: list[str], marks: list[set[str]]) -> int | None:
    """Index of the letter that carries the tone, by the modern (new-style) rule."""
    start = 0
    word = "".join(letters)
    if word.startswith("qu") or (word.startswith("gi") and len(word) > 2 and word[2] in VOWELS):
        start = 2
    vowel_idx = [i for i in range(start, len(letters)) if letters[i] in VOWELS]
    if not vowel_idx:
        vowel_idx = [i for i in range(len(letters)) if letters[i] in VOWELS]
    if not vowel_idx:
        return None
    shaped = [i for i in vowel_idx if marks[i] & _SHAPED]
    if shaped:
        return shaped[-1]  # ươ → the tone sits on ơ
    last = vowel_idx[-1]
    closed = last < len(letters) - 1
    if closed or len(vowel_idx) == 1:
        return last
    pair = letters[vowel_idx[-2]] + letters[last]
    if len(vowel_idx) == 2 and pair in ("oa", "oe", "uy"):
        return last
    return vowel_idx[-2] if len(vowel_idx) >= 2 else last


def _retone(syllable: str) -> str:
    decomposed = unicodedata.normalize("NFD", syllable)
    letters: list[str] = []
    marks: list[set[str]] = []
    tone = ""
    for ch in decomposed:
        if unicodedata.combining(ch):
            if ch in TONES:
                tone = ch
            elif marks:
                marks[-1].add(ch)
        else:
            letters.append(ch)
            marks.append(set())
    if not tone:
        return syllable
    pos = _tone_position(letters, marks)
    if pos is None:
        return syllable
    marks[pos].add(tone)
    out = "".join(letter + "".join(sorted(m)) for letter, m in zip(letters, marks, strict=True))
    return unicodedata.normalize("NFC", out)


def canonical(text: str) -> str:
    """Lower-cased NFC text with one tone placement: "hoà" and "hòa" become the same string."""
    return _SYLLABLE.sub(lambda m: _retone(m.group(0)), clean(text).lower())


def fold(text: str) -> str:
    """Strip every diacritic (đ → d): the form people type without a Vietnamese keyboard."""
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def tokens(text: str) -> list[str]:
    """Folded lower-case word tokens, punctuation dropped, letters repeated 3+ times squeezed."""
    text = fold(clean(text).lower())
    text = _RUNS.sub(r"\1", text)
    return [t for t in _NON_WORD.sub(" ", text).split() if t]


# Telex is how most Vietnamese type marks, as letters after the word ("aa" → â, "dd" → đ, a final
# "s" → sắc). With the keyboard switched off the letters stay: "ddang kys kets hoon". A token is
# repaired only when it is not a Vietnamese syllable already, and only when the repair gives one,
# so a correctly typed word is never touched.
_ONSETS = sorted(("b", "c", "ch", "d", "g", "gh", "gi", "h", "k", "kh", "l", "m", "n", "ng", "ngh", "nh", "p", "ph",
                  "qu", "r", "s", "t", "th", "tr", "v", "x"), key=len, reverse=True)
_CODAS = ("", "c", "ch", "m", "n", "ng", "nh", "p", "t")
_OPEN_RHYMES = ("a", "e", "i", "o", "u", "y", "ai", "ao", "au", "ay", "eo", "eu", "ia", "iu", "oi", "ua", "ui", "uu",
                "ieu", "yeu", "uoi", "uou", "oa", "oe", "oai", "oao", "oay", "oeo", "uay", "ue", "uy", "uya", "uyu",
                "ya", "ye")
_NUCLEI = ("a", "e", "i", "o", "u", "y", "ie", "uo", "ye", "oa", "oe", "ua", "ue", "uy", "uye")
RHYMES = frozenset(_OPEN_RHYMES) | {n + c for n in _NUCLEI for c in _CODAS if c}
_LOANS = frozenset(("xoong", "boong", "mooc", "sooc"))  # loanwords, the only ones spelt with "oo"
_TONE_KEYS = set("sfrxj")
# Common English words that the repair would otherwise take for Telex ("how" → "ho", "fee" → "phe"); not
# those that are also everyday Telex ("car" is "cả", "own" is "ơn", "too" is "tô", "max" is "mã").
ENGLISH = frozenset((
    "as", "bar", "box", "bus", "days", "does", "door", "far", "fat", "fee", "fees", "few", "fit", "fix", "for",
    "form", "forms", "fun", "gas", "has", "her", "his", "how", "if", "is", "its", "know", "law", "laws", "low",
    "new", "news", "now", "of", "off", "or", "pays", "per", "poor", "power", "room", "rooms", "says", "see", "show",
    "sir", "soon", "tax", "taxes", "this", "us", "view", "views", "was", "way", "ways", "we", "yes",
))
_SHAPES = (("uwow", "uo"), ("uow", "uo"), ("uwo", "uo"), ("uw", "u"), ("ow", "o"), ("aw", "a"), ("w", "u"),
           ("aa", "a"), ("ee", "e"), ("oo", "o"))


def is_syllable(word: str) -> bool:
    """A folded, lower-case Vietnamese syllable: onset, then a rhyme ("nguoi", "dang", "ky", "oanh")."""
    if word in RHYMES or word in _LOANS:
        return True
    for onset in _ONSETS:
        if word.startswith(onset):
            rest = word[len(onset):]
            if rest in RHYMES or (onset == "gi" and (rest == "" or "i" + rest in RHYMES)):
                return True
    return False


def _strip_tone_key(word: str) -> str:
    """Drop the tone key typed after the vowel: at the end ("kys"), or before the final consonant when
    the word carries another Telex mark ("dduowfng"); "cost" and "most" are left alone."""
    marked = any(m in word for m in ("dd", "w", "aa", "ee", "oo"))
    for i in range(len(word) - 1, 0, -1):
        if word[i] not in _TONE_KEYS or not any(ch in "aeiouyw" for ch in word[:i]):
            continue
        if i == len(word) - 1 or (marked and word[i + 1:] in _CODAS):
            return word[:i] + word[i + 1:]
    return word


def telex_repair(word: str, known: Set[str] = frozenset()) -> str:
    """The syllable a folded token was meant to be when it carries Telex leftovers or f/j for ph/gi.

    "ddang" → "dang", "kys" → "ky", "hoon" → "hon", "nguwowif" → "nguoi", "fep" → "phep". A token that
    is already a syllable, a known word (an abbreviation such as "vs" or "tks", a common English word
    such as "how" or "fee"), or has digits is kept.
    """
    if (len(word) < 2 or word in known or word in ENGLISH or is_syllable(word) or not word.isalpha()
            or not word.isascii()):
        return word
    w = _strip_tone_key(word).replace("dd", "d")
    for typed, meant in _SHAPES:
        w = w.replace(typed, meant)
    if w.startswith("f"):
        w = "ph" + w[1:]
    elif w.startswith("j"):
        w = "gi" + w[1:]
    if w != word and (is_syllable(w) or w in known):
        return w
    return word


class SynonymTable:
    """Maps variant phrases (folded) to one canonical phrase, longest match first."""

    def __init__(self, groups: Mapping[str, Iterable[str]]) -> None:
        self._map: dict[tuple[str, ...], tuple[str, ...]] = {}
        for canon, variants in groups.items():
            target = tuple(tokens(canon))
            for variant in [canon, *variants]:
                key = tuple(tokens(variant))
                if key and key != target:
                    self._map[key] = target
        self._longest = max((len(k) for k in self._map), default=0)
        # Every word of the table: never mistaken for a typing slip ("vs", "tks", "ddc" → "dc").
        self.words = frozenset(w for key, target in self._map.items() for w in (*key, *target))

    def expand(self, words: list[str]) -> list[str]:
        """Replace every known variant in a token list by its canonical form."""
        out: list[str] = []
        i = 0
        while i < len(words):
            for size in range(min(self._longest, len(words) - i), 0, -1):
                target = self._map.get(tuple(words[i : i + size]))
                if target is not None:
                    out.extend(target)
                    i += size
                    break
            else:
                out.append(words[i])
                i += 1
        return out


def normalize(text: str, synonyms: SynonymTable | None = None) -> str:
    """The matching form: folded tokens, Telex leftovers repaired, synonyms and abbreviations expanded."""
    known = synonyms.words if synonyms is not None else frozenset()
    words = [telex_repair(w, known) for w in tokens(text)]
    if synonyms is not None:
        words = synonyms.expand(words)
    return " ".join(words)
