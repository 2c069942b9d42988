"""The notice the inbox and a waiting ticket show when no running papibot delivers what officers write."""

from __future__ import annotations

from bot.engine.services import Services
from bot.kernel.registry import REGISTRY
from bot.kernel.render import local_time
from bot.store.heartbeat import Delivering
from bot.store.outbox import CITIZEN_LANE
from bot.usecases.notify import CHANNEL_NAMES

CONSOLE_ONLY = frozenset({"console"})  # a console chat delivers to its own user only
WAITING = ("pending", "uncertain")  # outbox states of a message not yet known to have arrived


def _nothing(state: Delivering) -> str:
    """Why nothing reaches the citizens' channels, or "" when a process delivers on one of them."""
    if not state.processes:
        seen = f"lần cuối thấy lúc {local_time(state.last_seen)}" if state.last_seen else \
            "chưa thấy lần nào trên cơ sở dữ liệu này"
        return (f"Không có tiến trình «papibot run» nào đang chạy ({seen}): câu trả lời của cán bộ chỉ được lưu "
                "«đang chờ gửi» và sẽ tới công dân khi papibot run chạy lại.")
    if {c for c in state.channels if REGISTRY.kind(c).citizens} <= CONSOLE_ONLY:  # e-mail reaches officers only
        return ("«papibot run» đang chạy nhưng chưa cấu hình kênh nào (Telegram, Zalo OA, Zalo Bot): câu trả lời "
                "của cán bộ chỉ được lưu «đang chờ gửi» và sẽ tới công dân khi kênh của họ được cấu hình.")
    return ""


async def inbox_notice(services: Services) -> str:
    """The inbox's notice: nothing delivers to any citizen's channel ("" when something does)."""
    return _nothing(await services.console.delivering())


async def ticket_notice(services: Services, deliveries: list[dict[str, object]]) -> str:
    """A ticket's notice when a message to its citizen waits and no process delivers on that channel."""
    waiting = [str(d["channel"]) for d in deliveries if d["lane"] == CITIZEN_LANE and d["status"] in WAITING]
    if not waiting:
        return ""
    state = await services.console.delivering()
    if state.covers(waiting[0]):
        return ""
    return _nothing(state) or (f"Không có tiến trình «papibot run» nào đang gửi tin trên kênh "
                               f"{CHANNEL_NAMES.get(waiting[0], waiting[0])}: tin «đang chờ gửi» sẽ tới công dân "
                               "khi papibot run chạy với kênh này.")
