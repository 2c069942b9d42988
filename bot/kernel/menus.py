"""Numbered options on channels without buttons: at most MAX_OPTIONS on screen, the officer's always among
them, the others behind one «Xem thêm» option that shows them (folded the same way again, a rating first).

The router saves the options as folded here (what a typed number means) and the channels print them as
folded here, so both always agree; Telegram's inline buttons are never folded.
"""

from __future__ import annotations

from bot.kernel import codec
from bot.kernel.models import Buttons

MAX_OPTIONS = 5
MORE = "more"  # the payload of «Xem thêm» (a route of its own: handlers.citizen.more_options)
MORE_LABEL = "Xem thêm"
OFFICER_PREFIXES = ("esc",)  # "Hỏi cán bộ", "Gửi câu hỏi cho cán bộ": never hidden
Option = tuple[str, str]


RATING_PREFIXES = ("fb",)  # "👍 Hữu ích", "👎 Chưa đúng": first behind «Xem thêm», next to the reply's question


def _prefix_in(option: Option, prefixes: tuple[str, ...]) -> bool:
    decoded = codec.decode(option[1])
    return decoded is not None and decoded[0] in prefixes


def _for_officer(option: Option) -> bool:
    return _prefix_in(option, OFFICER_PREFIXES)


def fold(buttons: Buttons) -> tuple[list[Option], list[Option]]:
    """(the options shown, in order, «Xem thêm» last when some are hidden; the options «Xem thêm» shows)."""
    options = [option for row in buttons for option in row]
    if len(options) <= MAX_OPTIONS:
        return options, []
    officer = [o for o in options if _for_officer(o)]
    first = [o for o in options if not _for_officer(o)][:max(1, MAX_OPTIONS - 1 - len(officer))]
    shown = [o for o in options if o in first or o in officer]
    rest = [o for o in options if o not in first]  # the officer's option stays among them too
    rest.sort(key=lambda o: not _prefix_in(o, RATING_PREFIXES))  # stable: otherwise in the reply's order
    return [*shown, (MORE_LABEL, MORE)], rest

