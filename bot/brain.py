"""The loaded knowledge and its matching index, swapped as a whole when the knowledge changes."""

from __future__ import annotations

import logging
import shutil
from pathlib import Path

from bot.dialogue import Dialogue
from bot.matcher import Matcher
from knowledge.loader import LEARNED_FILE, KnowledgeBase, KnowledgeError, load_knowledge

log = logging.getLogger(__name__)


class Brain:
    """Holds the current knowledge base and matcher; a failed reload keeps the old ones."""

    def __init__(self, directory: Path, answer_threshold: float, suggest_threshold: float,
                 learned: Path | None = None) -> None:
        self.directory = Path(directory)
        # Officers' learned items live in the data directory; the knowledge folder is only read.
        self.learned_target = Path(learned) if learned is not None else self.directory / LEARNED_FILE
        self.thresholds = (answer_threshold, suggest_threshold)
        self.kb: KnowledgeBase = load_knowledge(self.directory, self.learned_target)
        self.matcher = Matcher(self.kb, *self.thresholds)
        self.dialogue = Dialogue(self.matcher, self.kb)

    @property
    def learned(self) -> Path:
        """The learned file to write; a legacy knowledge/learned.yaml is first copied across (never written)."""
        legacy = self.directory / LEARNED_FILE
        target = self.learned_target
        if target != legacy and not target.exists() and legacy.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(legacy, target)
            log.warning("copied the legacy %s to %s: delete the old file", legacy, target)
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
        return target

    def reload(self) -> list[str]:
        """Load the knowledge folder again; on problems keep serving the old knowledge and return them."""
        try:
            kb = load_knowledge(self.directory, self.learned_target)
        except KnowledgeError as exc:
            log.error("knowledge reload refused, keeping the previous knowledge: %s", exc)
            return exc.problems
        self.kb, self.matcher = kb, Matcher(kb, *self.thresholds)
        self.dialogue = Dialogue(self.matcher, kb)
        return []
