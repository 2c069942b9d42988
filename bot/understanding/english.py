"""Questions in English: telling them apart, English small talk, and the Vietnamese words of what they ask."""

from __future__ import annotations

import re
from collections.abc import Mapping

from bot.understanding.facets import phrase_pattern

# Common English words: a message mostly of these (and no Vietnamese word) is English.
_COMMON_WORDS = """
a about after again all am an and any are as ask at be because been before being born but by can could day did
do does doing done english for from get gets getting go going good got had has have he her here hi hello hey
his how i if in into is it its it's just know like long many may me morning evening night afternoon much my
need needs new no not now of off office ok on one or our out please really right same say see she should so
some speak talk than thank thanks that the their them then there these they this those to today tomorrow too
up us very want was we weather well were what what's when where which who why will with would yes yesterday
you your you're time take help bye goodbye nice great cool sorry human person robot bot real officer someone
anyone apply register get lost renew documents fee cost papers certificate
"""
_COMMON = frozenset(_COMMON_WORDS.split())
# Place names are neither English nor Vietnamese evidence ("Son La" in an English sentence).
_PLACES = re.compile(r"\b(?:son la|ha noi|hanoi|moc chau|mai son|viet ?nam|ho chi minh|sai gon|saigon)\b")
# Vietnamese typed without accents, never English: one of these rules English out.
_UNACCENTED_VIETNAMESE = frozenset([
    "gi", "nhung", "khong", "ko", "dc", "duoc", "lam", "dau", "bao", "nhieu", "thi", "cua", "toi", "em", "anh",
    "chi", "oi", "nhe", "xin", "voi", "roi", "chua", "nao", "sao", "vay", "mat", "phi", "giay", "con", "cho", "ve",
    "tien", "ngay", "dang", "ky", "cap", "thu", "tuc", "ho", "khau",
])
_VIETNAMESE_LETTER = re.compile(r"[àáảãạăằắẳẵặâầấẩẫậèéẻẽẹêềếểễệìíỉĩịòóỏõọôồốổỗộơờớởỡợùúủũụưừứửữựỳýỷỹỵđ]",
                                re.I)
# English small talk by intent; checked before the procedure words, as phrases.
_SMALLTALK = {
    "human": ("talk to a human", "talk to a person", "real person", "human please", "speak to an officer",
              "talk to an officer", "speak to a human", "speak to someone", "talk to someone"),
    "thanks": ("thank you", "thanks", "thank", "thx", "appreciate"),
    "bye": ("bye", "goodbye", "see you", "good night"),
    "who": ("who are you", "are you a robot", "are you a bot", "are you human", "are you real", "your name",
            "do you speak english", "speak english", "can you speak", "are you a person"),
    "greeting": ("hello", "hi", "hey", "good morning", "good afternoon", "good evening", "how are you"),
    "ok": ("ok", "okay", "great", "cool", "nice", "got it", "i see", "sorry", "lol", "yes", "no problem"),
}
# Words that make an English message a question for an officer even when the knowledge has no words for it.
_PROCEDURE_WORDS = """
apply application register registration certificate permit licence license card passport visa document
documents papers fee fees cost tax insurance land house building business company marriage married birth death
complaint office form residence resident foreigner foreign work job pension allowance police court notary copy
school vaccine vaccination vehicle motorbike car bank loan
"""
_PROCEDURE = frozenset(_PROCEDURE_WORDS.split())


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z']+", _PLACES.sub(" ", text.lower()))


class English:
    """Detects English messages and maps them to the knowledge's Vietnamese words (english.yaml)."""

    def __init__(self, terms: Mapping[str, str]) -> None:
        self.terms = dict(terms)
        self.pattern = phrase_pattern(tuple(terms))
        self.words = _COMMON | {w for phrase in terms for w in phrase.split()} | _PROCEDURE
        self.social = {intent: phrase_pattern(p) for intent, p in _SMALLTALK.items()}

    def detect(self, text: str) -> bool:
        """A message in English: no Vietnamese letters or words, and mostly English words."""
        words = _words(text)
        if not words or _VIETNAMESE_LETTER.search(text) or any(w in _UNACCENTED_VIETNAMESE for w in words):
            return False
        return sum(w in self.words for w in words) >= max(1 if len(words) <= 2 else 2, len(words) * 0.5)

    def translate(self, text: str) -> str:
        """The Vietnamese words of the English phrases the knowledge knows, in order; other words are dropped
        (words no topic knows would weigh against every match)."""
        lowered = " ".join(re.findall(r"[a-z0-9']+", text.lower()))
        if self.pattern is None:
            return ""
        return " ".join(self.terms[m.group(0)] for m in self.pattern.finditer(lowered))

    def smalltalk(self, text: str, translated: str) -> str | None:
        """The small-talk intent of an English message with no procedure word in it (and nothing the knowledge
        knows in its translation), else None."""
        words = _words(text)
        if any(w in _PROCEDURE for w in words) or translated:
            return None
        lowered = " ".join(words)
        return next((intent for intent, p in self.social.items() if p is not None and p.search(lowered)), "chitchat")
