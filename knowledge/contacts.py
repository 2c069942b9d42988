"""The office's contacts (contacts.yaml): the provincial public-administration service centre and how to reach a
commune, with the topics whose place and contact parts show them. An empty field is a detail the bot says it
does not have."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from knowledge.schema import Problems

FILE = "contacts.yaml"
# The centre's fields, in the order shown, with the words the bot uses for each.
FIELDS = {"phone": ("Số điện thoại", "số điện thoại liên hệ"), "address": ("Địa chỉ", "địa chỉ"),
          "hours": ("Giờ làm việc", "giờ làm việc"), "website": ("Trang chính thức", "trang chính thức")}
PLACE_FIELDS = ("phone", "address", "hours")  # shown under a place part (its own text gives the website)


@dataclass(frozen=True)
class ContactView:
    """What a topic's contact part shows: the details known, those missing, and how to reach a commune."""

    name: str  # whose details ("" when the topic has no office of its own here)
    shown: tuple[tuple[str, str], ...]  # (label, value) of the filled fields
    missing: tuple[str, ...]  # the words for the empty fields
    website: str  # where the missing details are
    commune: tuple[str, str] | None  # (how to reach a commune, the official list)
    place: tuple[tuple[str, str], ...]  # (label, value) shown under the place part


@dataclass(frozen=True)
class Contacts:
    """The centre's details and the topics they serve; how to reach a commune and the topics that is for."""

    centre: dict[str, str]
    centre_topics: tuple[str, ...] = ()
    commune_text: str = ""
    commune_link: str = ""
    commune_topics: tuple[str, ...] = ()

    def view(self, topic_id: str, source: str) -> ContactView | None:
        """The contacts a topic shows (None when contacts.yaml says nothing for it); `source`: the topic's page."""
        centre = topic_id in self.centre_topics
        commune = (self.commune_text, self.commune_link) if topic_id in self.commune_topics else None
        if not centre and commune is None:
            return None
        if not centre:
            return ContactView("", (), (FIELDS["phone"][1],), source, commune, ())
        filled = [(key, self.centre.get(key, "")) for key in FIELDS]
        return ContactView(
            name=self.centre.get("name", ""),
            shown=tuple((FIELDS[key][0], value) for key, value in filled if value),
            missing=tuple(FIELDS[key][1] for key, value in filled if not value),
            website=self.centre.get("website") or source,
            commune=commune,
            place=tuple((FIELDS[key][0], value) for key, value in filled if value and key in PLACE_FIELDS),
        )


def _topics(problems: Problems, part: str, value: object, topic_ids: set[str]) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        problems.add(FILE, f"{part}.topics", "expected a list of topic ids")
        return ()
    for unknown in sorted(set(value) - topic_ids):
        problems.add(FILE, f"{part}.topics", f"no topic with id {unknown!r}")
    return tuple(v for v in value if v in topic_ids)


def _link(problems: Problems, field: str, value: str) -> None:
    if value and not value.startswith("https://"):
        problems.add(FILE, field, "must be an official https:// link")


def parse_contacts(data: Any, topic_ids: set[str], problems: Problems) -> Contacts:
    """Check contacts.yaml's mapping: `centre` (name, address, phone, hours, website, topics) and `communes`
    (text, link, topics); every field is text, possibly empty, and every topic id exists."""
    if data is None:
        return Contacts({})
    centre = data.get("centre") if isinstance(data, dict) else None
    communes = data.get("communes") if isinstance(data, dict) else None
    if not isinstance(centre, dict) or not isinstance(communes, dict) or set(data) - {"centre", "communes"}:
        problems.add(FILE, "(file)", "expected the mappings centre and communes")
        return Contacts({})
    details: dict[str, str] = {}
    for key in sorted(set(centre) - {"name", *FIELDS, "topics"}):
        problems.add(FILE, f"centre.{key}", f"unknown field (allowed: name, {', '.join(FIELDS)}, topics)")
    for key in ("name", *FIELDS):
        value = centre.get(key) or ""
        if not isinstance(value, str):
            problems.add(FILE, f"centre.{key}", "expected text (empty when not known)")
            continue
        details[key] = value.strip()
    if not details.get("name"):
        problems.add(FILE, "centre.name", "missing (whose contacts these are)")
    _link(problems, "centre.website", details.get("website", ""))
    for key in sorted(set(communes) - {"text", "link", "topics"}):
        problems.add(FILE, f"communes.{key}", "unknown field (allowed: text, link, topics)")
    text, link = (str(communes.get(k) or "").strip() for k in ("text", "link"))
    if not text or not link:
        problems.add(FILE, "communes", "text and link are needed (how to reach a commune, and the official list)")
    _link(problems, "communes.link", link)
    return Contacts(details, _topics(problems, "centre", centre.get("topics", []), topic_ids), text, link,
                    _topics(problems, "communes", communes.get("topics", []), topic_ids))
