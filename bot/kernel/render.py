"""Render messages from jinja2 templates into Telegram HTML, escape user text, split long replies."""

from __future__ import annotations

import datetime as dt
import html
import re
from pathlib import Path

import jinja2
import yaml
from markupsafe import Markup

from bot.kernel.menus import fold

TELEGRAM_LIMIT = 4096
TAG_RESERVE = 200  # room for the tags closed at the end of a part and reopened at the start of the next
VN_TZ = dt.timezone(dt.timedelta(hours=7), "ICT")
_BOLD = re.compile(r"\*\*(.+?)\*\*")
_TAG = re.compile(r"</?(b|i|u|s|code|pre|a|blockquote)(\s[^>]*)?>")


def answer_html(text: str) -> str:
    """Knowledge-base answer text (with **bold** and '- ' bullets) as escaped Telegram HTML."""
    lines = []
    for line in html.escape(text.strip(), quote=False).splitlines():
        line = _BOLD.sub(r"<b>\1</b>", line)
        if line.lstrip().startswith("- "):
            line = "• " + line.lstrip()[2:]
        lines.append(line)
    return "\n".join(lines)


def local_time(ts: float | None, fmt: str = "%H:%M %d/%m/%Y") -> str:
    """A Unix time as Vietnam local time."""
    return dt.datetime.fromtimestamp(ts, VN_TZ).strftime(fmt) if ts else ""


def age(ts: float, now: float) -> str:
    """How long ago, in Vietnamese (phút, giờ, ngày)."""
    minutes = max(0, int((now - ts) // 60))
    if minutes < 60:
        return f"{minutes} phút"
    if minutes < 60 * 48:
        return f"{minutes // 60} giờ"
    return f"{minutes // 1440} ngày"


def to_plain(text: str) -> str:
    """The neutral markup (a small HTML subset) as plain text, for channels without formatting."""
    return html.unescape(_TAG.sub("", text))


def plain_messages(text: str, buttons: list[list[tuple[str, str]]], limit: int, hint: str = "") -> list[str]:
    """A reply as plain-text messages of at most `limit` characters, buttons as numbered options at the end
    (folded: see bot.kernel.menus)."""
    body = to_plain(text).strip()
    labels = [label for label, _ in fold(buttons)[0]]  # at most MAX_OPTIONS, as the router saved them
    if labels:
        options = "\n".join(f"[{i}] {label}" for i, label in enumerate(labels, 1))
        body = f"{body}\n\n{options}" + (f"\n{hint}" if hint else "")
    return [part for part in split_message(body, limit, markup=False) if part.strip()] or [""]


def _safe_cut(window: str) -> int:
    """A hard cut that never falls inside a tag or an entity such as &amp;."""
    cut = len(window)
    if window.rfind("<") > window.rfind(">"):
        cut = window.rfind("<")
    amp = window.rfind("&", 0, cut)
    if amp != -1 and ";" not in window[amp:cut]:
        cut = amp
    return cut or len(window)


def utf16_len(text: str) -> int:
    """Length in UTF-16 code units, as Telegram counts message length."""
    return len(text.encode("utf-16-le")) // 2


def _prefix(text: str, limit: int, utf16: bool) -> int:
    """How many characters of `text` fit in `limit` (code points, or UTF-16 units)."""
    if not utf16:
        return limit
    used = 0
    for i, ch in enumerate(text):
        used += 2 if ord(ch) > 0xFFFF else 1
        if used > limit:
            return i
    return len(text)


def split_message(text: str, limit: int = TELEGRAM_LIMIT, utf16: bool = False, markup: bool = True) -> list[str]:
    """Split at paragraph, line or word boundaries so that no part exceeds `limit` characters.

    With `utf16`, length is counted in UTF-16 code units (Telegram's measure: an emoji counts twice).
    """
    parts: list[str] = []
    rest = text
    measure = utf16_len if utf16 else len
    limit -= TAG_RESERVE if markup and _TAG.search(text) else 0
    while measure(rest) > limit:
        window = rest[:_prefix(rest, limit, utf16)]
        cut = max(window.rfind("\n\n"), window.rfind("\n"))
        if cut < len(window) // 2:
            cut = window.rfind(" ")
        if cut < len(window) // 2:
            cut = _safe_cut(window) if markup else len(window)
        parts.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    if rest.strip() or not parts:
        parts.append(rest)
    return _balance_tags(parts) if markup else parts


def _tag_name(tag: str) -> str:
    return tag[1:].split(">")[0].split()[0]


def _balance_tags(parts: list[str]) -> list[str]:
    """Close tags left open at a split and reopen them in the next part, so each part is valid HTML."""
    out, carry = [], ""
    for part in parts:
        part = carry + part
        stack: list[str] = []
        for m in _TAG.finditer(part):
            tag = m.group(0)
            if tag.startswith("</"):
                if stack:
                    stack.pop()
            else:
                stack.append(tag)
        closing = "".join("</" + _tag_name(t) + ">" for t in reversed(stack))
        out.append(part + closing)
        carry = "".join(stack)
    return out


def _load_messages(path: Path) -> dict[str, str]:
    data = yaml.safe_load(path.read_text(encoding="utf-8")) if path.exists() else {}
    return {str(k): str(v) for k, v in (data or {}).items()}


class Renderer:
    """Loads templates from the knowledge folder once; autoescapes every variable."""

    def __init__(self, templates_dir: Path, messages: dict[str, str] | None = None) -> None:
        self.messages = messages if messages is not None else _load_messages(templates_dir.parent / "messages.yaml")
        self.env = jinja2.Environment(
            loader=jinja2.FileSystemLoader(str(templates_dir)),
            autoescape=True,
            undefined=jinja2.StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=False,
        )
        self.env.filters.update(answer=lambda t: Markup(answer_html(t)), time=local_time, age=age)
        self._plain = self.env.overlay(autoescape=False)  # built once, after the filters

    def render(self, name: str, **context: object) -> str:
        """Render `name` (e.g. 'answer.html') with `context`; the result is Telegram HTML."""
        return self.env.get_template(name).render(**context).strip()

    def message(self, key: str, **values: object) -> str:
        """A short fixed reply from messages.yaml, with escaped values filled in."""
        return self.messages[key].format(**{k: html.escape(str(v), quote=False) for k, v in values.items()})

    def has_message(self, key: str) -> bool:
        """True when messages.yaml has this reply."""
        return key in self.messages

    def render_plain(self, name: str, **context: object) -> str:
        """Render a template whose output is not HTML (Markdown report): no autoescape."""
        return self._plain.get_template(name).render(**context).strip()
