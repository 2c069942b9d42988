"""What the console says of each use case's outcome: the message shown on the next page (`done`) or the error."""

from __future__ import annotations

from dataclasses import dataclass
from typing import assert_never

from starlette.responses import RedirectResponse

from bot.usecases.citizen import STATUS_NAMES
from bot.usecases.outcomes import (
    Answered,
    AnswerOutcome,
    Assigned,
    AssignOutcome,
    Blank,
    Broken,
    CannedDeleted,
    CannedOutcome,
    CannedSaved,
    Closed,
    CloseOutcome,
    Corrected,
    CorrectOutcome,
    Incomplete,
    NoSuchOfficer,
    NotAnswered,
    NotFound,
    NotPending,
    NotSaved,
    Overtaken,
    Refused,
    Reloaded,
    ReloadOutcome,
    SetStatusOutcome,
    StatusSet,
    TooLong,
    Unchanged,
    UnknownTask,
)
from channels.web.base import back

REFUSED = "Chỉ quản trị viên được làm việc này."
NO_TICKET = "Không có câu hỏi này."


@dataclass(frozen=True)
class Said:
    """A message for the officer: `done` when the action happened (shown as a notice), else an error."""

    text: str
    done: bool

    def back(self, url: str) -> RedirectResponse:
        """Redirect to `url`, which shows the message."""
        return back(url, msg=self.text if self.done else "", err="" if self.done else self.text)


def _too_long(outcome: TooLong) -> Said:
    return Said(f"Câu trả lời dài {outcome.length} ký tự, tối đa {outcome.limit}.", False)


def answered(outcome: AnswerOutcome) -> Said:
    """An answer sent from the ticket page."""
    match outcome:
        case Answered(ticket=t):
            return Said(f"Đã gửi câu trả lời cho câu hỏi #{t.id}.", True)
        case Blank():
            return Said("Hãy viết câu trả lời trước khi gửi.", False)
        case TooLong():
            return _too_long(outcome)
        case NotFound():
            return Said(NO_TICKET, False)
        case NotPending(ticket=t):
            return Said(f"Câu hỏi #{t.id} {STATUS_NAMES[t.status]}, không trả lời lại được.", False)
        case Overtaken(ticket=t):
            return Said(f"Câu hỏi #{t.id} vừa được cán bộ khác trả lời trước bạn.", False)
        case Refused():
            return Said(REFUSED, False)
        case _:
            assert_never(outcome)


def corrected(outcome: CorrectOutcome) -> Said:
    """A correction of an answer already sent."""
    match outcome:
        case Corrected(number=number):
            return Said(f"Đã gửi đính chính lần {number} cho công dân.", True)
        case Unchanged():
            return Said("Nội dung đính chính giống câu trả lời đã gửi.", False)
        case NotAnswered():
            return Said("Câu hỏi này chưa được trả lời nên không đính chính được.", False)
        case Blank():
            return Said("Hãy viết câu trả lời trước khi gửi.", False)
        case TooLong():
            return _too_long(outcome)
        case NotFound():
            return Said(NO_TICKET, False)
        case Refused():
            return Said(REFUSED, False)
        case _:
            assert_never(outcome)


def closed(outcome: CloseOutcome) -> Said:
    """A ticket closed from its page."""
    match outcome:
        case Closed(ticket=t, told=told):
            said = "đã báo cho người gửi" if told else "không báo cho người gửi (spam)"
            return Said(f"Đã đóng câu hỏi #{t.id}; {said}.", True)
        case NotFound():
            return Said(NO_TICKET, False)
        case NotPending(ticket=t):
            return Said(f"Câu hỏi #{t.id} {STATUS_NAMES[t.status]}, không đóng được.", False)
        case Refused():
            return Said(REFUSED, False)
        case _:
            assert_never(outcome)


def assigned(outcome: AssignOutcome) -> Said:
    """A ticket assigned to an officer."""
    match outcome:
        case Assigned(ticket=t, name=name):
            return Said(f"Đã giao câu hỏi #{t.id} cho {name}.", True)
        case NotFound() | NoSuchOfficer():
            return Said("Không có câu hỏi hoặc cán bộ này.", False)
        case Refused():
            return Said(REFUSED, False)
        case _:
            assert_never(outcome)


def canned(outcome: CannedOutcome) -> Said:
    """A canned reply saved or deleted."""
    match outcome:
        case CannedSaved():
            return Said("Đã lưu câu trả lời mẫu.", True)
        case CannedDeleted():
            return Said("Đã xóa câu trả lời mẫu.", True)
        case Incomplete():
            return Said("Cần cả tiêu đề và nội dung.", False)
        case Refused():
            return Said(REFUSED, False)
        case _:
            assert_never(outcome)


def reloaded(outcome: ReloadOutcome) -> Said:
    """The knowledge folder loaded again (or kept, when the new one is broken)."""
    match outcome:
        case Reloaded(topics=topics):
            return Said(f"Đã nạp lại cơ sở tri thức: {topics} chủ đề.", True)
        case Broken(problems=problems):
            listed = "\n".join(f"• {p}" for p in problems[:10])
            return Said(f"Không nạp lại: cơ sở tri thức mới có lỗi, bot vẫn dùng bản cũ.\n{listed}", False)
        case Refused():
            return Said(REFUSED, False)
        case _:
            assert_never(outcome)


def status_set(outcome: SetStatusOutcome) -> Said:
    """A task's status recorded from the dashboard."""
    match outcome:
        case StatusSet(task=task, changed=changed):
            code = task["id"]
            return Said(f"Đã cập nhật nhiệm vụ {code}." if changed else f"Nhiệm vụ {code}: không có gì thay đổi.",
                        True)
        case UnknownTask():
            return Said("Không có nhiệm vụ này.", False)
        case NotSaved(problem=problem):
            return Said(problem, False)
        case Refused():
            return Said(REFUSED, False)
        case _:
            assert_never(outcome)
