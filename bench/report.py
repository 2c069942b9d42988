"""The benchmark's verdict: each figure beside the previous release's and its floor, met or not."""

from __future__ import annotations

import json
import operator
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
PREVIOUS = ROOT / "bench" / "previous.json"


@dataclass(frozen=True)
class Floor:
    """One figure and the bound it must keep."""

    what: str
    unit: str
    pick: Callable[[dict[str, Any]], float | None]  # the figure in this run's results
    before: Callable[[dict[str, Any]], float | None]  # the same figure in the previous release's
    bound: float | None  # None: shown, not judged
    higher_is_better: bool = False

    def met(self, value: float | None) -> bool | None:
        """True or False against the bound; None when there is no bound or no figure."""
        if self.bound is None or value is None:
            return None
        return bool((operator.ge if self.higher_is_better else operator.le)(value, self.bound))


def _get(*path: str | int) -> Callable[[dict[str, Any]], float | None]:
    def pick(results: dict[str, Any]) -> float | None:
        node: Any = results
        for key in path:
            try:
                node = node[key]
            except (KeyError, IndexError, TypeError):
                return None
        return None if node is None else float(node)
    return pick


def _startup(label: str, field: str) -> Callable[[dict[str, Any]], float | None]:
    def pick(results: dict[str, Any]) -> float | None:
        found = [s for s in results.get("startup") or [] if s.get("label") == label]
        return _get("warm", field)(found[0]) if found else None
    return pick


FLOORS = (
    Floor("matching p99, real knowledge", "ms", _get("matching", 0, "p99_ms"), _get("matching_p99_ms", "real"), 5),
    Floor("matching p99, 10,000 topics", "ms", _get("matching", 2, "p99_ms"), _get("matching_p99_ms", "10k"), 50),
    Floor("citizen path, SQLite", "msg/s", _get("service", "per_second"), _get("service_sqlite"), 1000, True),
    Floor("citizen path, PostgreSQL", "msg/s", _get("service_pg", "per_second"), _get("service_pg"), 600, True),
    Floor("Zalo OA ack p99, people's pace", "ms", _get("zalo", "ack_p99_ms"), _get("zalo_ack_p99_ms"), 20),
    Floor("Zalo OA lost + duplicated, people's pace", "", lambda r: _lost(r, "zalo"), lambda r: 0.0, 0),
    Floor("Zalo OA ack p99, 1,000-event burst", "ms", _get("zalo_burst", "ack_p99_ms"),
          _get("zalo_burst_ack_p99_ms"), 1000),
    Floor("Zalo OA lost + duplicated, burst", "", lambda r: _lost(r, "zalo_burst"), lambda r: 0.0, 0),
    Floor("start-up, real knowledge", "s", _startup("real", "ready_s"), _get("startup", "real", "ready_s"), 0.5),
    Floor("start-up peak RSS, real knowledge", "MB", _startup("real", "peak_rss_mb"),
          _get("startup", "real", "peak_rss_mb"), 150),
    Floor("start-up, 10,000 topics", "s", _startup("10k", "ready_s"), _get("startup", "10k", "ready_s"), 2),
    Floor("start-up peak RSS, 10,000 topics", "MB", _startup("10k", "peak_rss_mb"),
          _get("startup", "10k", "peak_rss_mb"), 250),
    Floor("Telegram end to end p99, people's pace", "ms", _get("e2e", "p99_ms"), _get("e2e_p99_ms"), 200),
    Floor("Telegram end to end lost, people's pace", "", _get("e2e", "lost"), lambda r: 0.0, 0),
    Floor("Telegram end to end p99, back to back", "ms", _get("e2e_back_to_back", "p99_ms"), lambda r: None, None),
)


def _lost(results: dict[str, Any], key: str) -> float | None:
    run = results.get(key)
    return None if not run else float(run["lost"] + run["duplicated"])


def previous() -> dict[str, Any]:
    """The previous release's figures (bench/previous.json)."""
    try:
        return dict(json.loads(PREVIOUS.read_text(encoding="utf-8")))
    except (OSError, ValueError):
        return {}


def _show(value: float | None, unit: str) -> str:
    if value is None:
        return "-"
    text = f"{value:,.0f}" if abs(value) >= 100 else f"{value:g}"
    return f"{text} {unit}".strip()


def verdict(results: dict[str, Any]) -> list[str]:
    """Print every judged figure beside the previous release's and its floor; the floors not met."""
    before = previous()
    print(f"\n{'figure':44} {'now':>12} {'previous':>12} {'floor':>12}  verdict")
    missed = []
    for floor in FLOORS:
        value = floor.pick(results)
        met = floor.met(value)
        sign = "≥ " if floor.higher_is_better else "≤ "
        bound = "-" if floor.bound is None else sign + _show(floor.bound, floor.unit)
        word = {True: "met", False: "NOT MET", None: ""}[met]
        print(f"{floor.what:44} {_show(value, floor.unit):>12} {_show(floor.before(before), floor.unit):>12} "
              f"{bound:>12}  {word}")
        if met is False or (floor.bound is not None and value is None):
            missed.append(floor.what)
    if before.get("release"):
        print(f"previous: {before['release']}")
    return missed
