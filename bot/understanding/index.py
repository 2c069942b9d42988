"""The matcher's inverted index as a few flat arrays: built once from the knowledge, or read back from a cache.

Each feature (a word or an adjacent pair) has a number; the documents (a topic's title and example questions)
and the topics holding a feature are one slice of a flat array, so the whole index is a handful of NumPy arrays
that load in milliseconds and weigh a few bytes a posting, instead of a Python object per document.
"""

from __future__ import annotations

import itertools
from array import array
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from bot.understanding.lexicon import Lexicon

Ints = npt.NDArray[np.int32]
Floats = npt.NDArray[np.float64]
Arrays = dict[str, npt.NDArray[Any]]
# The arrays of an index by name, as a cache stores them (with the features and topic ids beside them).
ARRAYS = ("doc_topic", "topic_starts", "doc_total", "doc_offsets", "doc_postings", "topic_offsets",
          "topic_postings", "feature_offsets", "feature_postings")


def features(words: list[str]) -> Counter[str]:
    """Unigrams plus adjacent pairs: Vietnamese words are mostly two syllables."""
    out: Counter[str] = Counter(words)
    out.update(f"{a}_{b}" for a, b in itertools.pairwise(words))
    return out


class Postings:
    """Feature -> the sorted numbers (documents or topics) holding it: one slice of a flat array."""

    def __init__(self, ids: Mapping[str, int], offsets: Ints, values: Ints) -> None:
        self._ids, self._offsets, self._values = ids, offsets, values

    def get(self, feature: str) -> Ints | None:
        """The numbers holding `feature`, or None when nothing does."""
        i = self._ids.get(feature)
        return None if i is None else self._values[self._offsets[i]:self._offsets[i + 1]]

    def __getitem__(self, feature: str) -> Ints:
        i = self._ids[feature]
        return self._values[self._offsets[i]:self._offsets[i + 1]]

    def __len__(self) -> int:
        return len(self._ids)


@dataclass
class Index:
    """Features, topics and the arrays between them; a topic's documents are contiguous."""

    features: list[str]  # feature number -> text
    topic_ids: list[str]  # topic number -> id (topics with at least one document, in the knowledge's order)
    n_sources: int  # topics and out-of-scope entries, with or without documents (the lexicon's topic count)
    arrays: Arrays  # the ARRAYS by name

    def __post_init__(self) -> None:
        a = self.arrays
        self.ids = {f: i for i, f in enumerate(self.features)}
        self.doc_topic: Ints = a["doc_topic"]
        self.topic_starts: npt.NDArray[np.int64] = a["topic_starts"]
        self.doc_total: Floats = a["doc_total"]
        self.postings = Postings(self.ids, a["doc_offsets"], a["doc_postings"])
        self.topic_postings = Postings(self.ids, a["topic_offsets"], a["topic_postings"])
        self.lexicon = _lexicon(self.features, a["topic_offsets"], self.n_sources)
        self._topic_number = {t: i for i, t in enumerate(self.topic_ids)}

    @property
    def n_docs(self) -> int:
        """How many documents (titles and example questions) the index holds."""
        return len(self.doc_topic)

    def topic_features(self, topic_id: str) -> set[str]:
        """The features of a topic's documents (empty for a topic without any)."""
        t = self._topic_number.get(topic_id)
        if t is None:
            return set()
        offsets, values = self.arrays["feature_offsets"], self.arrays["feature_postings"]
        return {self.features[i] for i in values[offsets[t]:offsets[t + 1]].tolist()}

    @classmethod
    def build(cls, sources: Iterable[tuple[str, Iterable[str]]], normalize: Callable[[str], str]) -> Index:
        """Index every text of every source (topic id, texts) in its matching form."""
        ids: dict[str, int] = {}
        topic_ids: list[str] = []
        entries, doc_ends, doc_topic, starts = array("i"), array("q", [0]), array("i"), array("q")
        n_sources = 0
        for topic_id, texts in sources:
            n_sources += 1
            for text in texts:
                norm = normalize(text)
                if not norm:
                    continue
                if not topic_ids or topic_ids[-1] != topic_id:
                    topic_ids.append(topic_id)
                    starts.append(len(doc_topic))
                doc_topic.append(len(topic_ids) - 1)
                entries.extend(ids.setdefault(f, len(ids)) for f in features(norm.split()))
                doc_ends.append(len(entries))
        feats, flat, ends = list(ids), np.frombuffer(entries, dtype=np.int32), np.frombuffer(doc_ends, dtype=np.int64)
        arrays = _arrays(flat, ends, np.frombuffer(doc_topic, dtype=np.int32), len(feats), len(topic_ids))
        arrays["topic_starts"] = np.frombuffer(starts, dtype=np.int64).copy()
        arrays["doc_total"] = _doc_totals(_lexicon(feats, arrays["topic_offsets"], n_sources), feats, flat, ends)
        return cls(feats, topic_ids, n_sources, arrays)


def _lexicon(feats: list[str], topic_offsets: Ints, n_sources: int) -> Lexicon:
    """The lexicon of an index: a feature's document frequency is how many topics hold it."""
    return Lexicon(dict(zip(feats, np.diff(topic_offsets).tolist(), strict=True)), n_sources)


def _csr(rows: Ints, values: Ints, n_rows: int) -> tuple[Ints, Ints]:
    """Offsets and values grouped by row (a stable sort keeps each row's values in their order)."""
    order = np.argsort(rows, kind="stable")
    offsets = np.zeros(n_rows + 1, dtype=np.int64)
    np.cumsum(np.bincount(rows, minlength=n_rows), out=offsets[1:])
    return offsets.astype(np.int32), values[order].astype(np.int32)


def _arrays(entries: Ints, doc_ends: npt.NDArray[np.int64], doc_topic: Ints, n_features: int,
            n_topics: int) -> Arrays:
    """The postings by feature (documents, topics) and by topic (features) from the documents' feature lists."""
    entry_doc = np.repeat(np.arange(len(doc_topic), dtype=np.int32), np.diff(doc_ends))
    doc_offsets, doc_postings = _csr(entries, entry_doc, n_features)
    pairs = np.sort(entries.astype(np.int64) * max(n_topics, 1) + doc_topic[entry_doc])
    first = np.ones(len(pairs), dtype=bool)
    first[1:] = pairs[1:] != pairs[:-1]
    pairs = pairs[first]  # each (feature, topic) once, in order
    feature_of, topic_of = (pairs // max(n_topics, 1)).astype(np.int32), (pairs % max(n_topics, 1)).astype(np.int32)
    topic_offsets, topic_postings = _csr(feature_of, topic_of, n_features)
    feature_offsets, feature_postings = _csr(topic_of, feature_of, n_topics)
    return {"doc_topic": doc_topic.copy(), "doc_offsets": doc_offsets, "doc_postings": doc_postings,
            "topic_offsets": topic_offsets, "topic_postings": topic_postings,
            "feature_offsets": feature_offsets, "feature_postings": feature_postings}


def _doc_totals(lexicon: Lexicon, feats: list[str], entries: Ints, doc_ends: npt.NDArray[np.int64]) -> Floats:
    """Each document's summed feature weights, added in the document's own order (1.0 for a weightless one)."""
    weights = np.array([lexicon.weight(f) for f in feats])
    lengths = np.diff(doc_ends)
    total = np.zeros(len(lengths))
    for k in range(int(lengths.max(initial=0))):  # position by position: the same sums as adding in order
        has = lengths > k
        total[has] += weights[entries[doc_ends[:-1][has] + k]]
    return np.where(total == 0, 1.0, total)
