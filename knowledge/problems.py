"""The problems a knowledge file has, collected rather than stopping at the first."""

from __future__ import annotations


class Problems(list[str]):
    """Collects 'file: field: message' lines instead of stopping at the first."""

    def add(self, where: str, field: str, message: str) -> None:
        """Record one problem."""
        self.append(f"{where}: {field}: {message}")
