"""What officers teach from the "Chưa hiểu" page keeps the citizen's question it came from, so the citizen's
erasure takes the example taken from their words, and the audit text, with it; the officer's answer stays."""

from __future__ import annotations

import html
import re

from bot.engine.services import Services
from bot.kernel.models import CITIZEN, User
from tests.conftest import citizen
from tests.test_erasure import traces
from tests.webkit import add_accounts, client, csrf, login

BOTH_BACKENDS = True
PERSON = User("zalo_oa", "8421097412338840002", "8421097412338840002", "Lò Văn Páo", CITIZEN)
ASKED = "cho em hỏi nuôi ong mật ở bản có phải khai báo không ạ"
EDITED = "nuôi ong mật ở bản có phải khai báo không"  # the officer's light edit of the citizen's words
OTHER = "nuôi ong mật ở bản có cần khai báo không"  # another citizen's question, in the same cluster
OWN = "thủ tục đăng ký trại nuôi ong"  # the officer's own words
ANSWER = "Nuôi ong mật ở hộ gia đình không cần khai báo; trại lớn thì đăng ký với UBND xã."
DOUBT = "thế mất bao lâu thì có giấy"
TAUGHT = "khai sinh mất bao lâu thì có giấy"


async def learned(services: Services) -> list[tuple[str, str, int | None]]:
    rows = await services.storage.database.all("SELECT kind, body, question_id FROM learned_items ORDER BY id")
    return [(str(r[0]), str(r[1]), r[2]) for r in rows]


async def test_erasing_a_citizen_erases_what_was_taught_from_their_words(services: Services) -> None:
    for user, text in ((PERSON, ASKED), (citizen(5), OTHER)):
        assert (await services.citizen.ask(user, text)).diagnosis.decision in ("queue", "suggest")
    doubtful = await services.storage.questions.log(PERSON, DOUBT, "answer", "khai-sinh", 30.0, doubt="context")
    await add_accounts(services)
    async with client(services) as web:
        assert (await login(web, "lan")).status_code == 303
        page = await web.get("/misunderstood")
        [link] = [html.unescape(h) for h in re.findall(r'href="(/learn\?question=[^"]+)"', page.text)]
        assert ASKED not in link  # the link names the citizens' questions, never their words
        form = await web.get(link)
        origins = re.findall(r'name="origin" value="(\d+)"', form.text)
        assert len(origins) == 2 and ASKED in form.text and OTHER in form.text
        data = {"csrf": csrf(form.text), "topic": "", "title": "Nuôi ong mật", "answer": ANSWER, "action": "save",
                "questions": "\n".join([EDITED, OTHER, OWN]), "origin": origins}
        assert (await web.post("/learn", data=data)).status_code == 303
        form = await web.get("/learn", params={"doubt": str(doubtful)})
        assert f'name="origin" value="{doubtful}"' in form.text
        data = {"csrf": csrf(form.text), "doubt": str(doubtful), "topic": "khai-sinh", "questions": TAUGHT,
                "origin": [str(doubtful)], "action": "save"}
        assert (await web.post("/learn", data=data)).status_code == 303
    [topic_id] = [t.id for t in services.brain.kb.topics if t.title == "Nuôi ong mật"]
    assert {EDITED, OTHER, OWN} <= set(services.brain.kb.topic(topic_id).questions)
    assert TAUGHT in services.brain.kb.topic("khai-sinh").questions
    reply = await services.citizen.ask(citizen(6), "nuôi ong mật ở bản có phải khai báo gì không")
    assert reply.diagnosis.topic == topic_id
    audit = " ".join(a["detail"] for a in await services.storage.audit.recent())
    assert "câu hỏi #" in audit and EDITED not in audit and TAUGHT not in audit

    await services.citizen.delete_data(PERSON, True)

    bodies = [b for _, b, _ in await learned(services)]
    assert EDITED not in bodies and TAUGHT not in bodies  # the examples taken from their words are gone
    assert OTHER in bodies and OWN in " ".join(bodies)  # another citizen's and the officer's own words stay
    topic = services.brain.kb.topic(topic_id)
    assert topic is not None and EDITED not in topic.questions and OTHER in topic.questions
    assert "không cần khai báo" in topic.answer  # the officer's answer, written for everyone, stays
    assert TAUGHT not in services.brain.kb.topic("khai-sinh").questions
    assert await traces(services.storage, [ASKED, EDITED, DOUBT, TAUGHT, PERSON.user_id]) == []
