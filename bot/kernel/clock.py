"""The one clock: what time it is, injected wherever papibot reads the time, so tests age data through it."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from typing import Protocol

VN_TZ = dt.timezone(dt.timedelta(hours=7), "ICT")
Today = Callable[[], dt.date]


class Clock(Protocol):
    """Wall time (seconds since the epoch, stored in rows) and a monotonic time (for intervals)."""

    def now(self) -> float:
        """Seconds since the epoch."""
        ...

    def monotonic(self) -> float:
        """Seconds on a clock that never goes back, for measuring intervals."""
        ...


class SystemClock:
    """The machine's clock."""

    def now(self) -> float:
        """Seconds since the epoch."""
        return time.time()

    def monotonic(self) -> float:
        """Seconds on the machine's monotonic clock."""
        return time.monotonic()


class FixedClock:
    """A clock that moves only when told: tests age data with `advance`, never by sleeping or editing rows."""

    def __init__(self, start: float = 1_800_000_000.0) -> None:
        self._now = start
        self._mono = 1000.0

    def now(self) -> float:
        """The set time."""
        return self._now

    def monotonic(self) -> float:
        """The set monotonic time."""
        return self._mono

    def advance(self, seconds: float) -> None:
        """Move both times forward."""
        self._now += seconds
        self._mono += seconds


SYSTEM = SystemClock()


def vn_today(clock: Clock = SYSTEM) -> dt.date:
    """Today's date in Vietnam (UTC+7), whatever the server's time zone."""
    return dt.datetime.fromtimestamp(clock.now(), VN_TZ).date()


def today_of(clock: Clock) -> Today:
    """The date in Vietnam as `clock` tells it, for services that judge dated things on a day."""
    return lambda: vn_today(clock)


def vn_moment(day: dt.date, hour: int = 12) -> float:
    """Seconds since the epoch at `hour` o'clock of `day` in Vietnam: where a test starts a FixedClock."""
    return dt.datetime.combine(day, dt.time(hour), VN_TZ).timestamp()
