"""The knowledge page shows what the bot says: each topic's parts as a citizen sees them, the source of each part,
the verified date, dated changes and what `papibot kb check` finds, through the real web app on a pinned day."""

from __future__ import annotations

import contextlib
import datetime as dt
import html
import re
from collections.abc import AsyncIterator

import httpx

from bot.engine.services import Services
from tests.pinned import AFTER, opened
from tests.webkit import add_accounts, client, login

__all__ = ["opened"]  # the fixture
NEAR = dt.date(2026, 12, 5)


def text_of(page: str) -> str:
    """The page's words, tags removed and entities read, as an officer reads them."""
    inline = re.sub(r"</?(b|i|a|small|strong|span|code)(\s[^>]*)?>", "", page)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", inline)).split())


@contextlib.asynccontextmanager
async def signed_in(services: Services) -> AsyncIterator[httpx.AsyncClient]:
    """The console, signed in as an admin."""
    await add_accounts(services)
    async with client(services) as web:
        assert (await login(web, "lan")).status_code == 303
        yield web


async def test_the_overview_shows_sources_changes_and_links_to_each_topic(opened) -> None:
    services = await opened(NEAR)
    async with signed_in(services) as web:
        page = await web.get("/knowledge")
    words = text_of(page.text)
    assert page.status_code == 200
    assert re.search(r"Căn cứ theo phần: \d+/\d+ phần lệ phí, thời hạn, nơi làm, đối tượng có nguồn \(\d+ %\)", words)
    assert "Sắp thay đổi" in words and "can-cuoc sắp thay đổi từ 01/01/2027 (còn 27 ngày)" in words
    assert "01/01/2027: còn 27 ngày" in words
    assert 'href="/knowledge/topic/can-cuoc"' in page.text and "Không có lỗi." in words


async def test_after_a_change_the_overview_lists_it_as_a_problem(opened) -> None:
    services = await opened(AFTER)
    async with signed_in(services) as web:
        words = text_of((await web.get("/knowledge")).text)
    assert "can-cuoc có thay đổi từ 01/01/2027 chưa được đối chiếu" in words
    assert "01/01/2027: đã qua, chưa đối chiếu lại" in words and "Không có lỗi." not in words


async def test_a_topic_page_shows_each_part_as_the_citizen_sees_it_with_its_source(opened) -> None:
    services = await opened(NEAR)
    async with signed_in(services) as web:
        page = await web.get("/knowledge/topic/dang-ky-tam-tru")
    words = text_of(page.text)
    inline_script = re.search(r"<script(?![^>]*\bsrc=)", page.text)  # the console's own /static scripts are allowed
    assert page.status_code == 200 and inline_script is None and "style=" not in page.text
    topic = services.brain.kb.topic("dang-ky-tam-tru")
    assert "05/12/2026" in words and topic.source in words
    fee = words.index("Lệ phí Đăng ký tạm trú: Lệ phí")  # the part's heading, then the reply's own first line
    assert "15.000 đồng khi nộp trực tiếp" in words[fee:]
    assert words.index("Căn cứ của phần này: Thông tư 75/2022/TT-BTC về lệ phí đăng ký cư trú") > fee
    assert "Chưa có nguồn: Thời hạn, Nơi nộp, Ai được làm." in words
    basis = words.index("Căn cứ pháp lý Đăng ký tạm trú: Căn cứ pháp lý")
    assert "Luật Cư trú 2020" in words[basis:]


async def test_a_topic_page_after_its_change_shows_the_caution_and_the_finding(opened) -> None:
    services = await opened(AFTER)
    async with signed_in(services) as web:
        words = text_of((await web.get("/knowledge/topic/can-cuoc")).text)
        missing = await web.get("/knowledge/topic/khong-co")
    assert "01/01/2027 (đã qua, chưa đối chiếu lại)" in words and "Thông tư 64/2025/TT-BTC" in words
    assert "topics/can-cuoc.yaml: changes: can-cuoc có thay đổi từ 01/01/2027 chưa được đối chiếu" in words
    assert words.count("Thông tin này có thể đã thay đổi từ 01/01/2027") >= 10  # every part the citizen can open
    assert missing.status_code == 404


async def test_the_topic_page_shows_the_offices_contacts_where_the_bot_gives_them(opened) -> None:
    services = await opened(NEAR)
    async with signed_in(services) as web:
        words = text_of((await web.get("/knowledge/topic/trung-tam-phuc-vu-hcc")).text)
    assert "Giờ làm việc: Giờ hành chính các ngày làm việc" in words  # under «Nơi nộp», from contacts.yaml


async def test_staff_cannot_open_a_topic_page(opened) -> None:
    services = await opened(NEAR)
    await add_accounts(services)
    async with client(services) as web:
        await login(web, "minh")
        assert (await web.get("/knowledge/topic/can-cuoc")).status_code == 403
