"""A strict check of Telegram's HTML parse mode, for tests: what Telegram would reject fails here."""

from __future__ import annotations

import re

ALLOWED = {"b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "a", "code", "pre", "blockquote",
           "tg-spoiler", "span"}
_TOKEN = re.compile(r"<(/?)([a-z-]+)((?:\s+[a-z-]+=\"[^\"<>]*\")*)\s*>|&(?:lt|gt|amp|quot|#\d+|#x[0-9a-fA-F]+);")


def telegram_html_problems(text: str) -> list[str]:
    """Every reason Telegram would refuse `text` with parse_mode=HTML (empty when it is valid)."""
    problems, stack, pos = [], [], 0
    for m in _TOKEN.finditer(text):
        raw = text[pos:m.start()]
        if any(c in raw for c in "<>&"):
            problems.append(f"unescaped markup in {raw[:40]!r}")
        pos = m.end()
        if m.group(2):
            closing, tag = m.group(1) == "/", m.group(2)
            if tag not in ALLOWED:
                problems.append(f"tag <{tag}> is not allowed")
            elif closing:
                if not stack or stack.pop() != tag:
                    problems.append(f"unbalanced </{tag}>")
            else:
                stack.append(tag)
    if any(c in text[pos:] for c in "<>&"):
        problems.append(f"unescaped markup in {text[pos:pos + 40]!r}")
    if stack:
        problems.append(f"unclosed {stack}")
    if len(text) > 4096:
        problems.append(f"{len(text)} characters, over 4096")
    return problems
