"""The one table of commands and buttons: name, aliases, least role, one line of help, handler.

Telegram's command menus, /help, the console and every other channel are generated from it, so a
command exists everywhere or nowhere.
"""

from __future__ import annotations

from bot.engine.router import Button, Command, Routes
from bot.kernel.menus import MORE
from bot.kernel.models import ADMIN, CITIZEN, STAFF
from handlers import admin, citizen, staff, voice

N = r"\d{1,10}"  # a question or ticket number
SMALL = r"\d{1,3}"

COMMANDS = (
    Command("start", CITIZEN, "Bắt đầu", citizen.start),
    Command("thutuc", CITIZEN, "Danh mục thủ tục", citizen.catalogue),
    Command("cauhoi", CITIZEN, "Các câu hỏi bạn đã gửi cán bộ", citizen.my_tickets),
    Command("theodoi", CITIZEN, "Xem một câu hỏi hoặc phản ánh đã gửi", voice.follow, usage="/theodoi SỐ|PA-SỐ"),
    Command("phananh", CITIZEN, "Gửi phản ánh, kiến nghị về quy định hành chính", voice.feedback),
    Command("danhgia", CITIZEN, "Đánh giá sự hài lòng (tối đa 6 câu, không ghi tên)", voice.survey,
            aliases=("survey",)),
    Command("xoadulieu", CITIZEN, "Xóa dữ liệu của bạn", citizen.delete_data),
    Command("help", CITIZEN, "Hướng dẫn sử dụng", citizen.help_command, aliases=("huongdan",)),
    Command("baomat", CITIZEN, "Dữ liệu nào được lưu và cách xóa", voice.privacy),
    Command("id", CITIZEN, "Mã của bạn trên kênh này", citizen.whoami),
    Command("status", STAFF, "Tiến độ nhiệm vụ PAPI theo lĩnh vực", staff.status, usage="/status [lĩnh vực]"),
    Command("task", STAFF, "Chi tiết một nhiệm vụ", staff.task, usage="/task 8.1"),
    Command("capnhat", STAFF, "Cập nhật tình trạng nhiệm vụ", staff.set_status,
            usage="/capnhat 5.6 done [ghi chú]"),
    Command("counts", STAFF, "Số liệu hiện tại", staff.counts),
    Command("queue", ADMIN, "Câu hỏi đang chờ trả lời", admin.queue),
    Command("answer", ADMIN, "Trả lời một câu hỏi", admin.answer, usage="/answer SỐ nội dung"),
    Command("close", ADMIN, "Đóng câu hỏi", admin.close, usage="/close SỐ [lý do]"),
    Command("promote", ADMIN, "Đưa câu trả lời vào cơ sở tri thức", admin.promote,
            usage="/promote SỐ [mã-chủ-đề]"),
    Command("reload", ADMIN, "Nạp lại cơ sở tri thức", admin.reload),
)

BUTTONS = (
    Button("sug", (N, citizen.TOPIC_ID), CITIZEN, citizen.suggestion),
    Button("sec", (citizen.TOPIC_ID, citizen.PART), CITIZEN, citizen.section),
    Button("esc", (N,), CITIZEN, citizen.escalate),
    Button("fb", (N, "[yn]"), CITIZEN, citizen.feedback),
    Button("del", ("yes|no",), CITIZEN, citizen.confirm_delete),
    Button("cat", (SMALL, SMALL), CITIZEN, citizen.category),
    Button("cats", (), CITIZEN, citizen.categories),
    Button("tt", (citizen.TOPIC_ID,), CITIZEN, citizen.topic),
    Button("sv", (voice.LANG, voice.TOKEN, voice.ANSWERS, voice.CHOICE), CITIZEN, voice.survey_answer),
    Button("svx", (voice.LANG,), CITIZEN, voice.survey_stop),
    Button("pa", ("new|send|cancel",), CITIZEN, voice.feedback_button),
    Button(MORE, (), CITIZEN, citizen.more_options),
    Button("st", (r"[a-z0-9-]{1,48}",), STAFF, staff.area_button),
    Button("q", (r"\d{1,4}",), ADMIN, admin.queue_page),
    Button("ans", (N,), ADMIN, admin.answer_button),
)

ROUTES = Routes(commands=COMMANDS, buttons=BUTTONS, text=voice.text, officer_reply=admin.reply_to_post,
                follow=citizen.followed, unsupported=citizen.unsupported)
