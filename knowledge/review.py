"""What `papibot kb check` and the web console find about the topics' claims on a given day: changes passed
(failures) or near (warnings), and how many counted sections name their source."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field

from knowledge.claims import COUNTED, COUNTED_NAMES, WARN_DAYS, Change, vn_date
from knowledge.schema import Topic


def passed(topic: Topic, today: dt.date) -> tuple[Change, ...]:
    """The changes that have taken effect by `today` and that nobody checked the topic against since."""
    return tuple(c for c in topic.changes if c.on <= today and topic.verified < c.on)


def upcoming(topic: Topic, today: dt.date, days: int = WARN_DAYS) -> tuple[Change, ...]:
    """The changes due within `days` days, not yet checked against."""
    return tuple(c for c in topic.changes if today < c.on <= today + dt.timedelta(days=days) and topic.verified < c.on)


@dataclass
class Review:
    """What `kb check` finds beyond broken files: changes passed (failures) or near (warnings), and sources."""

    failures: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    unsourced: dict[str, list[str]] = field(default_factory=dict)  # topic id -> counted sections without a basis
    counted: int = 0
    sourced: int = 0

    def share(self) -> str:
        """The one line that says how many counted sections name their source."""
        percent = round(100 * self.sourced / self.counted) if self.counted else 100
        return (f"Căn cứ theo phần: {self.sourced}/{self.counted} phần {COUNTED_NAMES} có nguồn ({percent} %)")


def review(topics: Iterable[Topic], today: dt.date) -> Review:
    """Every finding about the topics on `today`, in the `file: field: message` form of the loader's problems."""
    out = Review()
    for t in topics:
        for c in passed(t, today):
            out.failures.append(f"{t.file or t.id}: changes: {t.id} có thay đổi từ {vn_date(c.on)} chưa được đối "
                                f"chiếu (verified {t.verified.isoformat()}): {c.note}")
        for c in upcoming(t, today):
            out.warnings.append(f"{t.file or t.id}: changes: {t.id} sắp thay đổi từ {vn_date(c.on)} (còn "
                                f"{(c.on - today).days} ngày): {c.note}")
        sourced = {key for key, _ in t.basis}
        counted = [key for key in COUNTED if t.section(key)]
        out.counted += len(counted)
        out.sourced += sum(1 for key in counted if key in sourced)
        if missing := [key for key in counted if key not in sourced]:
            out.unsourced[t.id] = missing
    return out
