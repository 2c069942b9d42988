"""The loaded knowledge and its matching index, swapped as a whole when the knowledge changes."""

from __future__ import annotations

import logging
from pathlib import Path

from bot.dialogue import Dialogue
from bot.matcher import Matcher
from knowledge.loader import KnowledgeBase, KnowledgeError, load_knowledge

log = logging.getLogger(__name__)


class Brain:
    """Holds the current knowledge base and matcher; a failed reload keeps the old ones."""

    def __init__(self, directory: Path, answer_threshold: float, suggest_threshold: float) -> None:
        self.directory = Path(directory)
        self.thresholds = (answer_threshold, suggest_threshold)
        self.kb: KnowledgeBase = load_knowledge(self.directory)
        self.matcher = Matcher(self.kb, *self.thresholds)
        self.dialogue = Dialogue(self.matcher, self.kb)

    def reload(self) -> list[str]:
        """Load the knowledge folder again; on problems keep serving the old knowledge and return them."""
        try:
            kb = load_knowledge(self.directory)
        except KnowledgeError as exc:
            log.error("knowledge reload refused, keeping the previous knowledge: %s", exc)
            return exc.problems
        self.kb, self.matcher = kb, Matcher(kb, *self.thresholds)
        self.dialogue = Dialogue(self.matcher, kb)
        return []
