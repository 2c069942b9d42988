"""The loaded knowledge and its matching index, swapped as a whole when the knowledge changes."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from bot.understanding.cache import KnowledgeCache, cache_key
from bot.understanding.dialogue import Dialogue
from bot.understanding.matcher import Matcher
from knowledge.loader import KnowledgeBase, KnowledgeError, load_knowledge

log = logging.getLogger(__name__)


class Brain:
    """Holds the current knowledge base and matcher; a failed reload keeps the old ones."""

    def __init__(self, directory: Path, answer_threshold: float, suggest_threshold: float,
                 learned: Mapping[str, Any] | None = None, cache: KnowledgeCache | None = None) -> None:
        """Load the knowledge folder with `learned`; with a `cache`, from its compiled copy when that is current."""
        self.directory = Path(directory)
        # Officers' learned items (from the database); the knowledge folder is only read.
        self.learned: Mapping[str, Any] = learned or {}
        self.thresholds = (answer_threshold, suggest_threshold)
        # Whether the start read the compiled copy rather than the source files (a reload always reads the source).
        self.from_cache = False
        self.kb, self.matcher = self._compiled(cache) if cache is not None else self._built()
        self.dialogue = Dialogue(self.matcher, self.kb)

    def _built(self) -> tuple[KnowledgeBase, Matcher]:
        kb = load_knowledge(self.directory, self.learned)
        return kb, Matcher(kb, *self.thresholds)

    def _compiled(self, cache: KnowledgeCache) -> tuple[KnowledgeBase, Matcher]:
        """The cache's copy when its key still holds; else built from the source (which refuses broken knowledge)
        and stored, unless a file changed while it was read."""
        key = cache_key(self.directory, self.learned)
        found = cache.load(key, self.directory)
        if found is not None:
            kb, index = found
            self.from_cache = True
            log.debug("knowledge read from its compiled copy %s", cache.path)
            return kb, Matcher(kb, *self.thresholds, index=index)
        kb, matcher = self._built()
        if cache_key(self.directory, self.learned) == key:
            cache.save(key, kb, matcher.index)
        return kb, matcher

    def reload(self, learned: Mapping[str, Any] | None = None) -> list[str]:
        """Load the folder again (with `learned`, else the current learned items); on problems keep the old."""
        document = self.learned if learned is None else learned
        try:
            kb = load_knowledge(self.directory, document)
        except KnowledgeError as exc:
            log.error("knowledge reload refused, keeping the previous knowledge: %s", exc)
            return exc.problems
        self.kb, self.matcher, self.learned = kb, Matcher(kb, *self.thresholds), document
        self.dialogue = Dialogue(self.matcher, kb)
        return []
