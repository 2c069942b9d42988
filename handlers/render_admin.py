"""The admin outcomes said in chat: the same Vietnamese replies on every channel (and the command line's)."""

from __future__ import annotations

from typing import assert_never

from bot.kernel import codec
from bot.kernel.models import Reply
from bot.kernel.render import Renderer
from bot.understanding.publish import refusal
from bot.usecases.citizen import STATUS_NAMES
from bot.usecases.outcomes import (
    Answered,
    AnswerOutcome,
    Blank,
    Broken,
    Closed,
    CloseOutcome,
    NotAnswered,
    NotFound,
    NoTitle,
    NotPending,
    Overtaken,
    PersonalData,
    Promoted,
    PromoteOutcome,
    QueuePage,
    Refused,
    Reloaded,
    ReloadOutcome,
    TooLong,
    UnknownTopic,
)

ANSWER_USAGE = "Cách dùng: /answer SỐ nội dung trả lời (hoặc reply bài đăng của câu hỏi)."
CLOSE_USAGE = "Cách dùng: /close SỐ [lý do]. Lý do «spam» thì không báo cho người gửi."
PROMOTE_USAGE = ("Cách dùng: /promote SỐ MÃ-CHỦ-ĐỀ [câu hỏi đã sửa]: thêm câu hỏi, đã bỏ thông tin cá nhân, làm câu "
                 "hỏi mẫu của một chủ đề có sẵn. Tạo chủ đề mới (cán bộ viết tiêu đề): papibot queue promote SỐ "
                 "--new --title \"…\" hoặc bảng điều khiển web.")
ALLOW = 'papibot queue promote {args} --allow-name "lý do"'
NEW_TOPIC_FIX = 'sửa tiêu đề, hoặc thêm --question "…" và --answer "…" đã bỏ thông tin cá nhân'
LEARNED = " Công dân hỏi tương tự sẽ được trả lời ngay."


def say(renderer: Renderer, text: str, alert: bool = False) -> Reply:
    """A short message to the officer (`alert`: the request was refused or invalid)."""
    return Reply(renderer.render("message.html", text=text), alert=alert)


def refused(renderer: Renderer) -> Reply:
    """The polite refusal for a caller whose role may not do this."""
    return Reply(renderer.message("refused"), alert=True)


def not_found(renderer: Renderer, ticket_id: int) -> Reply:
    """No ticket has this number."""
    return say(renderer, f"Không có câu hỏi #{ticket_id}.", alert=True)


def queue_page(renderer: Renderer, outcome: QueuePage | Refused) -> Reply:
    """The page of pending tickets, with ◀ ▶ buttons to the pages around it."""
    if isinstance(outcome, Refused):
        return refused(renderer)
    q = outcome
    html = renderer.render("queue.html", tickets=q.tickets, total=q.total, page=q.page, pages=q.pages, now=q.now,
                           takeovers=q.takeovers)
    nav = [("◀ Trước", codec.encode("q", q.page - 1))] if q.page > 0 else []
    nav += [("Sau ▶", codec.encode("q", q.page + 1))] if q.has_next else []
    return Reply(html, [nav] if nav else [])


def answered(renderer: Renderer, outcome: AnswerOutcome) -> Reply:
    """What the officer is told after /answer (or a reply to a ticket's post)."""
    match outcome:
        case Answered(ticket=t):
            return say(renderer, f"Đã trả lời câu hỏi #{t.id}; câu trả lời đang được gửi tới công dân. "
                                 f"Dùng /promote {t.id} MÃ-CHỦ-ĐỀ để đưa vào cơ sở tri thức.")
        case Blank():
            return say(renderer, ANSWER_USAGE, alert=True)
        case TooLong(length=length, limit=limit):
            return say(renderer, f"Câu trả lời dài {length} ký tự, tối đa {limit}.", alert=True)
        case NotFound(ticket_id=number):
            return not_found(renderer, number)
        case NotPending(ticket=t):
            return say(renderer, f"Câu hỏi #{t.id} {STATUS_NAMES[t.status]}, không trả lời lại được.", alert=True)
        case Overtaken(ticket=t):
            return say(renderer, f"Câu hỏi #{t.id} vừa được cán bộ khác trả lời trước bạn.", alert=True)
        case Refused():
            return refused(renderer)
        case _:
            assert_never(outcome)


def closed(renderer: Renderer, outcome: CloseOutcome) -> Reply:
    """What the officer is told after /close."""
    match outcome:
        case Closed(ticket=t, told=told):
            said = "đã báo cho người gửi" if told else "không báo cho người gửi (spam)"
            return say(renderer, f"Đã đóng câu hỏi #{t.id}; {said}.")
        case NotFound(ticket_id=number):
            return not_found(renderer, number)
        case NotPending(ticket=t):
            return say(renderer, f"Câu hỏi #{t.id} {STATUS_NAMES[t.status]}, không đóng được.", alert=True)
        case Refused():
            return refused(renderer)
        case _:
            assert_never(outcome)


def reloaded(renderer: Renderer, outcome: ReloadOutcome) -> Reply:
    """What the officer is told after /reload."""
    match outcome:
        case Reloaded(topics=topics):
            return say(renderer, f"Đã nạp lại cơ sở tri thức: {topics} chủ đề.")
        case Broken(problems=problems):
            listed = "\n".join(f"• {p}" for p in problems[:10])
            return say(renderer, f"Không nạp lại: cơ sở tri thức mới có lỗi, bot vẫn dùng bản cũ.\n{listed}", True)
        case Refused():
            return refused(renderer)
        case _:
            assert_never(outcome)


def promoted(renderer: Renderer, outcome: PromoteOutcome) -> Reply:
    """What the officer is told after /promote (or `papibot queue promote`, with or without --new)."""
    match outcome:
        case Promoted(ticket_id=number, topic_id=topic, new=False):
            return say(renderer, f"Đã thêm câu hỏi #{number} làm câu hỏi mẫu của chủ đề «{topic}».{LEARNED}")
        case Promoted(ticket_id=number, topic_id=topic):
            return say(renderer, f"Đã tạo chủ đề mới «{topic}» từ câu hỏi #{number}.{LEARNED}")
        case NotAnswered(ticket_id=number):
            return say(renderer, f"Câu hỏi #{number} chưa được trả lời nên chưa đưa vào cơ sở tri thức được.", True)
        case UnknownTopic(topic_id=topic):
            return say(renderer, f"Không có chủ đề «{topic}». Xem danh sách bằng papibot kb export.", alert=True)
        case NoTitle():
            return say(renderer, "Chủ đề mới cần tiêu đề do cán bộ viết (--title).", alert=True)
        case PersonalData(ticket_id=number, verdict=verdict, topic_id=None):
            return say(renderer, refusal(verdict, NEW_TOPIC_FIX, ALLOW.format(args=f"{number} --new")), alert=True)
        case PersonalData(ticket_id=number, verdict=verdict, topic_id=topic):
            fix = f"/promote {number} {topic} <câu hỏi đã sửa>"
            return say(renderer, refusal(verdict, fix, ALLOW.format(args=f"{number} {topic}")), alert=True)
        case Broken(problems=problems):
            return say(renderer, "Không nạp lại được cơ sở tri thức: " + problems[0], alert=True)
        case Refused():
            return refused(renderer)
        case _:
            assert_never(outcome)
