"""Dated changes at run time: today's date in Vietnam (the one clock replies and pages read, injected so tests can
pin it), and one notice to the officers for each change that has passed while its topic was not checked again.

A passed change never stops the bot: the topic's replies carry a caution line (bot/understanding/answers.py), the web
knowledge page shows it, and the officers hear of it once. "Once" is remembered in the audit trail
(`admin_actions`, action `dated_change:<topic>:<date>`, which retention never empties), so a restart or a second
process does not repeat it; a new `verified` date on or after the change ends the caution.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from bot.usecases.notify import Officers
from knowledge.claims import Change, vn_date
from knowledge.loader import KnowledgeBase
from knowledge.review import passed, upcoming
from knowledge.schema import Topic

log = logging.getLogger(__name__)
def marker(topic: Topic, change: Change) -> str:
    """The audit action that records the officers were told of this change."""
    return f"dated_change:{topic.id}:{change.on.isoformat()}"


async def notify_passed(kb: KnowledgeBase, officers: Officers, today: dt.date) -> int:
    """Queue one notice to the officers for each passed, unverified change not announced before; returns how many."""
    due = [(topic, change) for topic in kb.topics for change in passed(topic, today)]
    if due and not officers.destinations:
        log.warning("a dated change has passed (%s), but no officers' destination is configured to tell",
                    marker(*due[0]))
    sent = 0
    for topic, change in due:
        sent += await officers.once(marker(topic, change), "dated_change", topic=topic, on=vn_date(change.on),
                                    note=change.note)
    return sent


def changes_of(topic: Topic, today: dt.date) -> list[dict[str, Any]]:
    """The topic's dated changes with their state on `today`: passed unverified, near, later, or checked."""
    late, near = passed(topic, today), upcoming(topic, today)
    out = []
    for c in topic.changes:
        state = ("đã qua, chưa đối chiếu lại" if c in late else f"còn {(c.on - today).days} ngày" if c in near
                 else "đã đối chiếu" if topic.verified >= c.on else "sắp tới")
        out.append({"on": vn_date(c.on), "note": c.note, "state": state, "late": c in late, "near": c in near})
    return out
