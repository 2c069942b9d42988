"""What citizens say: the satisfaction survey (/danhgia, /survey) and feedback on regulations (/phananh)."""

from __future__ import annotations

from bot.engine.router import Request
from bot.kernel import codec
from bot.kernel.models import Reply
from bot.usecases.feedback import feedback_code
from bot.usecases.survey import EN, typed_choice
from handlers import citizen

LANG = "[ve]"
TOKEN = r"[A-Za-z0-9]{10}"
ANSWERS = r"a[0-9]{0,6}"
CHOICE = "[0-9]"


async def survey(req: Request) -> Reply:
    """/danhgia (Vietnamese) or /survey (English): the first question, at most once per period."""
    english = req.event.text.strip().lower().startswith("/survey") or req.args.strip().lower() in ("en", "english")
    return await req.services.survey.start(req.user, english, req.turn, numbered=not req.event.buttons)


async def survey_answer(req: Request) -> Reply:
    """sv:<lang>:<token>:a<answers>:<choice>: one answer (a digit; 0 is «bỏ qua»)."""
    lang, token, answers, choice = req.parts
    return await req.services.survey.answer(req.user, lang, token, answers[1:], choice, req.turn,
                                            numbered=not req.event.buttons)


async def survey_stop(req: Request) -> Reply:
    """svx:<lang>: stop the survey (what was answered is kept, anonymous)."""
    return req.services.survey.stop(EN if req.parts[0] == EN else "v")


async def feedback(req: Request) -> Reply:
    """/phananh: write a feedback on an administrative regulation, step by step."""
    return await req.services.feedback.start(req.user, req.turn)


async def feedback_button(req: Request) -> Reply:
    """pa:new|send|cancel: start (from the topic's answer), send or cancel a feedback."""
    action, service = req.parts[0], req.services.feedback
    if action == "new":
        return await service.start(req.user, req.turn)
    return await (service.send(req.user, req.turn) if action == "send" else service.cancel(req.user, req.turn))


async def text(req: Request) -> Reply:
    """Free text: the next answer of a feedback being written, «bỏ qua» or «dừng» typed at a survey question
    (channels without buttons), else a question (citizen.ask)."""
    e = req.event
    if e.private:
        reply = await req.services.feedback.continue_draft(req.user, e.text, req.turn)
        if reply is not None:
            return reply
    if not e.buttons:
        first = await req.services.storage.menus.choice(e.channel, e.chat_id, e.user_id, 1)
        typed = codec.decode(typed_choice(first, e.text))
        if typed is not None:  # the survey's own payload, rebuilt from the live menu's (so already valid)
            req.parts = typed[1]
            return await (survey_answer(req) if typed[0] == "sv" else survey_stop(req))
    return await citizen.ask(req)


async def follow(req: Request) -> Reply:
    """/theodoi PA-N (a feedback) or /theodoi N (a question sent to an officer)."""
    number = feedback_code(req.args)
    if number is not None:
        return await req.services.feedback.follow(req.user, number)
    return await citizen.follow(req)


async def privacy(req: Request) -> Reply:
    """/baomat: the privacy notice, and what the survey and feedback keep."""
    notice = await citizen.privacy(req)
    s = req.services
    more = s.renderer.message("privacy_voice", every=s.survey.survey.every_days, days=s.config.retention_days)
    return Reply(f"{notice.text}\n\n{more}")
