"""The staff outcomes said in chat: the plan by area, one task, a status recorded, the figures."""

from __future__ import annotations

from typing import Any, assert_never

from bot.kernel.models import Buttons, Reply
from bot.kernel.render import Renderer
from bot.usecases.outcomes import (
    AllAreas,
    AreaNotFound,
    Counts,
    NoPlan,
    NotSaved,
    OneArea,
    Refused,
    SetStatusOutcome,
    StatusOutcome,
    StatusSet,
    TaskOutcome,
    TaskShown,
    UnknownTask,
)

AREA_CALLBACK = "st:"  # button data "st:<slug>" reopens /status for that area


def notice(renderer: Renderer, kind: str, **context: Any) -> Reply:
    """A short staff notice (usage, unknown task, update done…) from staff_notice.html."""
    return Reply(renderer.render("staff_notice.html", kind=kind, **context))


def refused(renderer: Renderer) -> Reply:
    """The polite refusal a citizen gets for a staff command."""
    return Reply(renderer.message("refused"))


def _area_buttons(areas: list[dict[str, Any]]) -> Buttons:
    return [[(f"{a['number']}. {a['name']}", f"{AREA_CALLBACK}{a['slug']}")] for a in areas]


def status(renderer: Renderer, outcome: StatusOutcome) -> Reply:
    """Every area's progress, one area's tasks, or the areas to choose from (one button each)."""
    match outcome:
        case AllAreas(data=data):
            return Reply(renderer.render("status.html", **data))
        case OneArea(data=data):
            return Reply(renderer.render("area.html", **data))
        case AreaNotFound(query=query, candidates=candidates) if candidates:
            text = renderer.render("staff_notice.html", kind="ambiguous_area", query=query, candidates=candidates)
            return Reply(text, _area_buttons(candidates))
        case AreaNotFound(query=query, areas=areas):
            return Reply(renderer.render("staff_notice.html", kind="unknown_area", query=query, areas=areas),
                         _area_buttons(areas))
        case NoPlan():
            return notice(renderer, "no_plan")
        case Refused():
            return refused(renderer)
        case _:
            assert_never(outcome)


def task(renderer: Renderer, outcome: TaskOutcome) -> Reply:
    """One task in full, or why there is none."""
    match outcome:
        case TaskShown(task=data):
            return Reply(renderer.render("task.html", task=data, period=data["period_info"]))
        case UnknownTask(code=code):
            return notice(renderer, "unknown_task", task_id=code)
        case Refused():
            return refused(renderer)
        case _:
            assert_never(outcome)


def status_set(renderer: Renderer, outcome: SetStatusOutcome, who: str) -> Reply:
    """What the officer is told after /capnhat (`who`: the name the notice credits)."""
    match outcome:
        case StatusSet(task=after, before=before):
            return notice(renderer, "updated", task=after, before=before, who=who)
        case UnknownTask(code=code):
            return notice(renderer, "unknown_task", task_id=code)
        case NotSaved(problem=problem):
            return notice(renderer, "not_saved", text=problem)
        case Refused():
            return refused(renderer)
        case _:
            assert_never(outcome)


def counts(renderer: Renderer, outcome: Counts | Refused) -> Reply:
    """The live figures beside the report's."""
    if isinstance(outcome, Refused):
        return refused(renderer)
    return Reply(renderer.render("counts.html", **outcome.data))
