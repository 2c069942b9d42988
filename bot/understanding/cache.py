"""The knowledge and its matching index compiled once into the data directory, so that a start reads neither the
YAML again nor normalises every example question again (the knowledge folder itself is only read).

The cache is keyed on the bytes of every file the loader reads, the learned document and the code that builds
it; any difference, a damaged file or a file someone else could have written means one rebuild from the source,
which still refuses broken knowledge as before. It is one .npz file read with allow_pickle=False: NumPy arrays,
the texts as UTF-8 bytes and the structure as JSON, so reading it runs no code. It is written to a temporary
file and renamed over the old one, so a reader sees the old file or the new, never half of one.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import tempfile
from collections.abc import Mapping
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

import knowledge
from bot.understanding.index import ARRAYS, Index
from knowledge.compiled import Texts, from_plain, source_files, to_plain
from knowledge.loader import KnowledgeBase

log = logging.getLogger(__name__)
FILE = "knowledge-cache.npz"
# Raised whenever the file's layout changes; the code's own bytes are part of the key besides.
FORMAT = 1
# The code a compiled copy depends on: the loader and schema, the text normalisation and the index.
CODE = (Path(knowledge.__file__).parent, Path(__file__).parent)


def _version() -> str:
    try:
        return metadata.version("papibot")
    except metadata.PackageNotFoundError:  # run from a source tree without installing
        return "source"


def cache_key(directory: Path, learned: Mapping[str, Any]) -> str:
    """The digest of everything a compiled copy is made of: knowledge files, learned document, code."""
    h = hashlib.sha256(f"papibot knowledge cache {FORMAT} {_version()}\n".encode())
    for folder in CODE:
        for path in sorted(folder.glob("*.py")):
            _add(h, path.name, path.read_bytes())
    for path in source_files(directory):
        try:
            content: bytes | None = path.read_bytes()
        except FileNotFoundError:
            content = None  # a missing optional file differs from an empty one
        _add(h, path.relative_to(directory).as_posix(), content)
    _add(h, "learned", json.dumps(learned, ensure_ascii=False, default=str).encode())
    return h.hexdigest()


def _add(h: Any, name: str, content: bytes | None) -> None:
    """One named part, its length first, so that no two different sets of parts give the same stream."""
    h.update(f"{name}\0{-1 if content is None else len(content)}\0".encode())
    h.update(content or b"")


class KnowledgeCache:
    """The compiled knowledge of one data directory."""

    def __init__(self, data_dir: Path) -> None:
        self.path = Path(data_dir) / FILE

    def load(self, key: str, directory: Path) -> tuple[KnowledgeBase, Index] | None:
        """The knowledge base (as read from `directory`) and index stored under `key`; None when there is no
        such copy (missing, stale, damaged or not trusted): the caller rebuilds and saves it."""
        try:
            stat = self.path.stat()
        except FileNotFoundError:
            return None
        except OSError as exc:
            log.warning("compiled knowledge %s cannot be read (%s): rebuilding it", self.path, exc)
            return None
        if stat.st_uid != os.geteuid() or stat.st_mode & 0o022:
            log.warning("compiled knowledge %s is not papibot's own file or others may write it: rebuilding it",
                        self.path)
            return None
        try:
            return self._read(key, directory)
        except Exception as exc:  # whatever is wrong with the file, the source rebuilds it
            log.warning("compiled knowledge %s is damaged (%s: %s): rebuilding it", self.path,
                        type(exc).__name__, exc)
            return None

    def _read(self, key: str, directory: Path) -> tuple[KnowledgeBase, Index] | None:
        with np.load(self.path, allow_pickle=False) as stored:
            if str(stored["key"]) != key:
                log.info("knowledge changed since %s was compiled: rebuilding it", self.path)
                return None
            table = _unpack(stored["texts"], stored["ends"])
            plain = json.loads(stored["plain"].tobytes())
            arrays = {name: stored[name] for name in ARRAYS}
        kb = from_plain(plain["kb"], table, directory)
        index = Index([table[i] for i in plain["features"]], [table[i] for i in plain["topic_ids"]],
                      int(plain["n_sources"]), arrays)
        _check(index)
        return kb, index

    def save(self, key: str, kb: KnowledgeBase, index: Index) -> None:
        """Store the compiled knowledge under `key`, replacing the old copy at once; a failure is only logged."""
        texts = Texts()
        plain = {"kb": to_plain(kb, texts), "features": texts.all(index.features),
                 "topic_ids": texts.all(index.topic_ids), "n_sources": index.n_sources}
        blob, ends = _pack(texts.table)
        # Plain numbers and UTF-8 bytes only (no object arrays), so that load needs no pickle.
        arrays: dict[str, Any] = {"key": np.array(key), "texts": blob, "ends": ends, **index.arrays,
                                  "plain": np.frombuffer(json.dumps(plain).encode(), dtype=np.uint8)}
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            fd, temp = tempfile.mkstemp(prefix=f".{FILE}.", dir=self.path.parent)  # readable by papibot alone
            try:
                with os.fdopen(fd, "wb") as out:  # no fsync: a copy lost in a crash is only rebuilt
                    np.savez(out, **arrays)
                os.replace(temp, self.path)
            except BaseException:
                with contextlib.suppress(OSError):
                    os.unlink(temp)
                raise
        except OSError as exc:
            log.warning("compiled knowledge %s could not be written (%s): the next start builds it again",
                        self.path, exc)


def _pack(table: list[str]) -> tuple[npt.NDArray[np.uint8], npt.NDArray[np.int64]]:
    """The texts as one UTF-8 byte array and the end of each."""
    encoded = [t.encode() for t in table]
    ends = np.cumsum([len(e) for e in encoded], dtype=np.int64)
    return np.frombuffer(b"".join(encoded), dtype=np.uint8), ends


def _unpack(blob: npt.NDArray[np.uint8], ends: npt.NDArray[np.int64]) -> list[str]:
    """The texts `_pack` stored, each decoded on its own (no second copy of them all at once)."""
    data, bounds = blob.data, ends.tolist()
    return [str(data[start:end], "utf-8") for start, end in zip([0, *bounds][:-1], bounds, strict=True)]


def _check(index: Index) -> None:
    """Refuse arrays that disagree with each other: they would fail at the first question, not here."""
    a, n_features, n_topics, n_docs = index.arrays, len(index.features), len(index.topic_ids), index.n_docs
    sizes = {"doc_offsets": n_features + 1, "topic_offsets": n_features + 1, "feature_offsets": n_topics + 1,
             "topic_starts": n_topics, "doc_total": n_docs}
    wrong = [name for name, size in sizes.items() if len(a[name]) != size]
    wrong += [name for name in ("doc", "topic", "feature") if a[f"{name}_offsets"][-1] != len(a[f"{name}_postings"])]
    limits = {"doc_postings": n_docs, "topic_postings": n_topics, "feature_postings": n_features, "doc_topic": n_topics}
    wrong += [name for name, top in limits.items() if len(a[name]) and not 0 <= a[name].min() <= a[name].max() < top]
    if wrong:
        raise ValueError(f"inconsistent arrays: {', '.join(wrong)}")
