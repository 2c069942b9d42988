"""What a citizen can do, written once for every channel: read the request, call one service, return a reply."""

from __future__ import annotations

from bot.engine.router import Request
from bot.engine.services import Services
from bot.kernel import codec
from bot.kernel.models import Reply
from bot.understanding.answers import SECTION_PAYLOAD, categories_of

PAGE = 6  # topics per catalogue page: keeps the keyboard on one phone screen
TOPIC_ID = r"[a-z0-9-]{1,48}"
PART = SECTION_PAYLOAD


async def start(req: Request) -> Reply:
    """/start, or /start <topic-id> from a deep link: the welcome, or that topic's answer."""
    s = req.services
    payload = req.args.split()[0].lower() if req.args.split() else ""
    if payload and s.brain.kb.topic(payload):
        return await s.citizen.answer_topic(req.user, payload, req.turn)
    return await s.citizen.start(req.user, req.commands, req.turn)


async def help_command(req: Request) -> Reply:
    """/help: the welcome with the commands this user may use."""
    return req.services.citizen.welcome(req.user, req.commands)


async def catalogue(req: Request) -> Reply:
    """/thutuc: every procedure, with one button per category (the categories alone without buttons)."""
    return req.services.citizen.present.catalogue(req.services.brain.kb)


async def my_tickets(req: Request) -> Reply:
    """/cauhoi: the citizen's own tickets."""
    return await req.services.citizen.my_tickets(req.user)


async def follow(req: Request) -> Reply:
    """/theodoi N: one of the citizen's tickets."""
    return await req.services.citizen.follow(req.user, req.args)


async def delete_data(req: Request) -> Reply:
    """/xoadulieu: ask for confirmation before erasing."""
    return req.services.citizen.confirm_delete()


async def ask(req: Request) -> Reply:
    """Free text: answer, suggest or queue it."""
    return await req.services.citizen.ask(req.user, req.event.text, req.turn)


async def followed(req: Request) -> Reply:
    """A person followed the account or opened the chat: the welcome."""
    return req.services.citizen.welcome(req.user, req.commands)


async def unsupported(req: Request) -> Reply:
    """A sticker, picture, voice message...: ask for text."""
    return Reply(req.services.renderer.message("unsupported"))


# Buttons


async def suggestion(req: Request) -> Reply:
    """sug:<question>:<topic>: the citizen picked a suggested topic."""
    return await req.services.citizen.pick_suggestion(req.user, int(req.parts[0]), req.parts[1], req.turn)


async def section(req: Request) -> Reply:
    """sec:<topic>:<part>: one part of a topic (fee, place, legal basis: `basis_fee` names the part on screen)."""
    return await req.services.citizen.section(req.user, req.parts[0], req.parts[1], req.turn)


async def escalate(req: Request) -> Reply:
    """esc:<question>: send the question to an officer."""
    return await req.services.citizen.escalate(req.user, int(req.parts[0]), req.turn)


async def feedback(req: Request) -> Reply:
    """fb:<question>:y|n: rate a bot answer."""
    return await req.services.citizen.rate(req.user, int(req.parts[0]), req.parts[1] == "y", req.turn)


async def confirm_delete(req: Request) -> Reply:
    """del:yes|no: erase (or keep) the citizen's data."""
    return await req.services.citizen.delete_data(req.user, req.parts[0] == "yes", req.turn)


async def category(req: Request) -> Reply:
    """cat:<n>:<page>: one page of a category's topics (all of them where «Xem thêm» pages plain text)."""
    return _category(req.services, int(req.parts[0]), int(req.parts[1]), PAGE if req.event.buttons else 0)


async def categories(req: Request) -> Reply:
    """cats: back to the category list."""
    return req.services.citizen.present.catalogue(req.services.brain.kb)


async def more_options(req: Request) -> Reply:
    """more: the options «Xem thêm» hid in this chat's last numbered menu (channels without buttons)."""
    e = req.event
    rest = await req.services.storage.menus.rest(e.channel, e.chat_id, e.user_id)
    if not rest:
        return Reply(req.services.renderer.message("expired"), alert=True)
    return Reply(req.services.renderer.message("more_options"), [[option] for option in rest])


async def topic(req: Request) -> Reply:
    """tt:<topic>: the answer of a topic picked from the catalogue."""
    return await req.services.citizen.answer_topic(req.user, req.parts[0], req.turn)


# Presentation of the catalogue (no business logic: the topics come from the knowledge base)


def _category(s: Services, index: int, page: int, size: int) -> Reply:
    names = categories_of(s.brain.kb)
    if index >= len(names):
        return s.citizen.present.catalogue(s.brain.kb)  # the knowledge changed since the menu was sent
    topics = [t for t in s.brain.kb.topics if t.category == names[index]]
    size = size or len(topics)
    pages = -(-len(topics) // size)
    page = max(0, min(page, pages - 1))
    rows = [[(t.title, codec.encode("tt", t.id))] for t in topics[page * size:(page + 1) * size]]
    nav = [("◀ Trước", codec.encode("cat", index, page - 1))] if page > 0 else []
    nav += [("Sau ▶", codec.encode("cat", index, page + 1))] if page + 1 < pages else []
    rows += [nav, [("☰ Danh mục", "cats")]] if nav else [[("☰ Danh mục", "cats")]]
    text = s.renderer.render("tg_notice.html", kind="category", category=names[index], page=page, pages=pages)
    return Reply(text, rows)


async def privacy(req: Request) -> Reply:
    """/baomat: what is stored, for how long, how to erase it."""
    return Reply(req.services.citizen.privacy_notice())


async def whoami(req: Request) -> Reply:
    """/id: a person's own identity on this channel (private chats only), for officers being set up."""
    if not req.event.private:
        return Reply(req.services.renderer.message("private_only_id"), alert=True)
    return Reply(req.services.renderer.message("your_id", identity=req.user.key))
