"""Match a citizen's question to a knowledge-base topic: query in, scored matches and a decision out.

Scoring is two-sided so that precision comes first: a topic scores high only when one of its
example questions is mostly present in the query (precision) AND the query's informative words are
explained by the topic (recall). Words no topic knows count heavily against a match, which is what
keeps "adoption" from getting the "birth registration" answer.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np
from rapidfuzz import fuzz, process

from bot.understanding.index import Index, features
from bot.understanding.lexicon import FILLER
from bot.understanding.text import SynonymTable, normalize
from knowledge.loader import LEARNED_FILE, KnowledgeBase

ANSWER, SUGGEST, QUEUE, SMALLTALK = "answer", "suggest", "queue", "smalltalk"
OOS_PREFIX = "oos:"
# Exponents of the score, chosen on the held-out paraphrases in tests/data: precision matters less
# than recall, because citizens add context words that no example contains.
PRECISION_EXP, RECALL_EXP = 0.5, 0.7
MIN_CANDIDATE_WEIGHT = 0.5
RARE_PAIR_WEIGHT = 2.5  # a pair of filler-looking words this rare names a subject ("chung tu", "ban sao")
LEARNED_REACH = 30.0  # a learned topic answers paraphrases an out-of-scope entry explains up to this much better


@dataclass(frozen=True)
class Match:
    """The outcome for one question."""

    decision: str
    topic: str | None = None
    score: float = 0.0
    suggestions: tuple[str, ...] = ()
    scores: tuple[tuple[str, float], ...] = ()
    smalltalk: str | None = None
    out_of_scope: str | None = None
    normalized: str = ""


def index_sources(kb: KnowledgeBase) -> list[tuple[str, tuple[str, ...]]]:
    """What the index holds, in order: each topic's title and example questions, then each out-of-scope
    entry's patterns (indexed as pseudo-topics)."""
    sources = [(t.id, (t.title, *t.questions)) for t in kb.topics]
    return sources + [(f"{OOS_PREFIX}{i}", o.patterns) for i, o in enumerate(kb.out_of_scope)]


class Matcher:
    """Scores questions against an index built once from the knowledge base."""

    def __init__(self, kb: KnowledgeBase, answer_threshold: float = 40.0, suggest_threshold: float = 24.0,
                 margin: float = 10.0, index: Index | None = None) -> None:
        """Index the knowledge base, or take `index` already built from it (a compiled cache's)."""
        self.answer_threshold = answer_threshold
        self.suggest_threshold = suggest_threshold
        self.margin = margin
        self.synonyms = SynonymTable(kb.synonyms)
        # Known out-of-scope procedures are indexed as pseudo-topics: when one of them explains the
        # question best, the question goes to an officer instead of to the nearest real topic.
        self.out_of_scope = {f"{OOS_PREFIX}{i}": o.name for i, o in enumerate(kb.out_of_scope)}
        # Topics officers wrote from answered questions: they outrank the out-of-scope entry they now cover.
        self.learned = frozenset(t.id for t in kb.topics if t.file.startswith(LEARNED_FILE))
        index = self.index = index or Index.build(index_sources(kb), self.normalize)
        self.lexicon, self.topic_ids, self.doc_topic = index.lexicon, index.topic_ids, index.doc_topic
        self.doc_total, self.topic_starts = index.doc_total, index.topic_starts
        self.postings, self.topic_postings = index.postings, index.topic_postings
        self.topics = frozenset(t.id for t in kb.topics)
        self.generic = frozenset(w for g in kb.generic for w in normalize(g, self.synonyms).split())
        # Per topic, built when first needed: most topics are never suggested or switched to.
        self._topic_features: dict[str, set[str]] = {}
        self.smalltalk = [(s.id, [normalize(p, self.synonyms) for p in s.patterns]) for s in kb.smalltalk]
        self._smalltalk_exact: dict[str, str] = {}
        for intent_id, patterns in self.smalltalk:
            for pattern in patterns:
                self._smalltalk_exact.setdefault(pattern, intent_id)
        # fuzz.ratio >= 90 needs the longer text within 1.22 times the shorter's length: per length of a
        # message, only the phrases that could come that near are compared (in their order: ties go the same way).
        longest = int(max(map(len, self._smalltalk_exact), default=0) * 1.25) + 1
        self._smalltalk_near = [[p for p in self._smalltalk_exact if n / 1.25 - 1 <= len(p) <= n * 1.25 + 1]
                                for n in range(longest + 1)]
        # A bare "sổ đỏ" names the object of several procedures: offer them rather than guess one.
        self.ambiguous = [(f" {n} ", topics) for phrases, topics in kb.ambiguous
                          for n in (normalize(p, self.synonyms) for p in phrases) if n]

    def names(self, feature: str) -> bool:
        """A word (or pair) that can name a procedure: not filler, not generic ("bảo hiểm", "thẻ", "đăng ký")."""
        parts = feature.split("_")
        if all(p in FILLER and p not in self.generic for p in parts):  # "chứng thực", "bản sao" look like filler
            return len(parts) > 1 and feature in self.lexicon.df and self.lexicon.weight(feature) >= RARE_PAIR_WEIGHT
        return not all(p in FILLER or p in self.generic for p in parts)

    def naming(self, text: str) -> set[str]:
        """The words and pairs of a normalised text that can name a procedure."""
        return {f for f in features(self.lexicon.resolve(text.split())) if self.names(f)}

    def topic_features(self, topic_id: str) -> set[str]:
        """The words and pairs of a topic's (or out-of-scope entry's) title and example questions."""
        found = self._topic_features.get(topic_id)
        if found is None:
            found = self._topic_features[topic_id] = self.index.topic_features(topic_id)
        return found

    def normalize(self, text: str) -> str:
        """The matching form of a text (folded, synonyms expanded)."""
        return normalize(text, self.synonyms)

    def _smalltalk(self, words: list[str]) -> str | None:
        text = " ".join(words)
        intent = self._smalltalk_exact.get(text)
        if intent is not None or len(text) <= 3:
            return intent
        if len(text) >= len(self._smalltalk_near):
            return None
        near = process.extractOne(text, self._smalltalk_near[len(text)], scorer=fuzz.ratio, score_cutoff=90)
        return self._smalltalk_exact[near[0]] if near else None

    def _broad(self, words: list[str]) -> tuple[str, ...]:
        """The topics to offer when the question is one broad phrase and, around it, only question words."""
        text = f" {' '.join(words)} "
        for phrase, topics in self.ambiguous:
            start = text.find(phrase)
            if start >= 0 and self._only_filler((text[:start] + " " + text[start + len(phrase):]).split()):
                return topics  # ("chứng thực bản sao" is no bare "chứng thực": "bản sao" names the copy)
        return ()

    def _only_filler(self, words: list[str]) -> bool:
        """Only question-shaped words, and no rare known pair among them ("chứng tử" is one)."""
        pairs = (f"{a}_{b}" for a, b in itertools.pairwise(words))
        return all(w in FILLER for w in words) and all(self.lexicon.weight(p) < RARE_PAIR_WEIGHT for p in pairs)

    def score_topics(self, words: list[str], limit: int = 8) -> list[tuple[str, float]]:
        """The best-scoring topics (0-100), best first; each topic scores by its best example."""
        qweight = {f: self.lexicon.weight(f) for f in features(self.lexicon.resolve(words))}
        found = [(w, docs, self.topic_postings[f]) for f, w in qweight.items() if (docs := self.postings.get(f))
                 is not None]
        if not self.index.n_docs or not found:
            return []
        # A few array operations per question whatever its length (one per word cost more than the scoring).
        weights = np.array([w for w, _, _ in found])
        shared = self._spread([d for _, d, _ in found], weights, self.index.n_docs)
        explained = self._spread([t for _, _, t in found], weights, len(self.topic_ids))
        strong = [d for w, d, _ in found if w >= MIN_CANDIDATE_WEIGHT]  # filler alone never makes a match
        if not strong:
            return []
        chosen = np.zeros(self.index.n_docs, dtype=bool)
        chosen[np.concatenate(strong)] = True
        candidates = np.flatnonzero(chosen)  # ascending: a topic's examples are contiguous
        topics = self.doc_topic[candidates]
        precision = shared[candidates] / self.doc_total[candidates]
        recall = explained[topics] / sum(qweight.values())
        score = 100.0 * precision**PRECISION_EXP * recall**RECALL_EXP
        starts = np.flatnonzero(np.concatenate(([True], topics[1:] != topics[:-1])))
        best, owners = np.maximum.reduceat(score, starts), topics[starts]
        top = np.argsort(-best, kind="stable")[:limit]
        return [(self.topic_ids[owners[i]], float(best[i])) for i in top if best[i] > 0]

    @staticmethod
    def _spread(postings: list[np.ndarray], weights: np.ndarray, size: int) -> np.ndarray:
        """Per document (or topic), the sum of the weights of the features whose postings hold it."""
        counts = np.fromiter((len(p) for p in postings), dtype=np.int64, count=len(postings))
        return np.bincount(np.concatenate(postings), weights=np.repeat(weights, counts), minlength=size)

    def match(self, text: str) -> Match:
        """Decide what to do with one question."""
        return self.match_normalized(self.normalize(text))

    def match_normalized(self, norm: str) -> Match:
        """Decide what to do with a question already in the matching form."""
        words = norm.split()
        if not words:
            return Match(QUEUE, normalized=norm)
        intent = self._smalltalk(words)
        if intent is None and self._only_filler(words):
            intent = "help"  # "cho em hỏi với": a question is coming, nothing to match yet
        if intent:
            return Match(SMALLTALK, smalltalk=intent, normalized=norm)
        broad = self._broad(words)
        if broad:
            return Match(SUGGEST, None, 0.0, broad[:3], normalized=norm)
        scored = self.score_topics(words)
        learned = next(((t, s) for t, s in scored if t in self.learned), None)
        if learned and learned[1] >= self.answer_threshold and learned[1] >= scored[0][1] - LEARNED_REACH and \
                all(t in self.out_of_scope or t == learned[0] or s <= learned[1] - self.margin for t, s in scored):
            return Match(ANSWER, learned[0], round(learned[1], 1), scores=tuple(scored[:5]), normalized=norm)
        if scored and scored[0][0] in self.out_of_scope:
            # Named to the citizen only when a word of theirs names it ("đăng ký sim" is no vehicle registration).
            named = self.naming(norm)
            oos = self.out_of_scope[scored[0][0]] if named & self.topic_features(scored[0][0]) else None
            return Match(QUEUE, out_of_scope=oos, scores=tuple(scored[:5]), normalized=norm)
        ranked = [(t, s) for t, s in scored if t not in self.out_of_scope][:5]
        top_id, top = ranked[0] if ranked else (None, 0.0)
        second = scored[1][1] if len(scored) > 1 else 0.0
        if top >= self.answer_threshold and top - second >= self.margin:
            return Match(ANSWER, top_id, round(top, 1), scores=tuple(ranked), normalized=norm)
        floor = max(self.suggest_threshold, top - 15.0)
        named = self.naming(norm) if ranked and ranked[0][1] >= floor else set()
        suggestions = tuple(t for t, s in ranked[:3] if s >= floor and named & self.topic_features(t))
        if suggestions:
            return Match(SUGGEST, None, round(top, 1), suggestions, tuple(ranked), normalized=norm)
        return Match(QUEUE, None, round(top, 1), scores=tuple(ranked), normalized=norm)
