"""The loaded knowledge and its matching index, swapped as a whole when the knowledge changes."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from bot.understanding.dialogue import Dialogue
from bot.understanding.matcher import Matcher
from knowledge.loader import KnowledgeBase, KnowledgeError, load_knowledge

log = logging.getLogger(__name__)


class Brain:
    """Holds the current knowledge base and matcher; a failed reload keeps the old ones."""

    def __init__(self, directory: Path, answer_threshold: float, suggest_threshold: float,
                 learned: Mapping[str, Any] | None = None) -> None:
        self.directory = Path(directory)
        # Officers' learned items (from the database); the knowledge folder is only read.
        self.learned: Mapping[str, Any] = learned or {}
        self.thresholds = (answer_threshold, suggest_threshold)
        self.kb: KnowledgeBase = load_knowledge(self.directory, self.learned)
        self.matcher = Matcher(self.kb, *self.thresholds)
        self.dialogue = Dialogue(self.matcher, self.kb)

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
