"""Reading setting values that name people and places: identities, officers' destinations, e-mail addresses,
proxy networks; and the error a setting that cannot be read raises."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Collection

from bot.kernel.registry import REGISTRY

KNOWN = REGISTRY.names  # the channel names an identity may carry, unless the caller knows others

_IDENTITY = re.compile(r"^(?:(?P<channel>[a-z_]+):)?(?P<id>-?[A-Za-z0-9_.@-]{1,64})$")
_ADDRESS = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}@[A-Za-z0-9-]{1,63}(?:\.[A-Za-z0-9-]{1,63})+$")


class ConfigError(ValueError):
    """Raised when a setting cannot be understood."""


def is_address(text: str) -> bool:
    """True for an e-mail address papibot can send to (local@domain.tld, no display name)."""
    return bool(_ADDRESS.match(text))


def identity(value: str, known: Collection[str] = KNOWN) -> str:
    """One identity as `channel:id` on one of the `known` channels; a bare id (negative ones included) is Telegram's."""
    if value.strip().startswith("email:"):
        address = value.strip()[6:].strip()
        if not is_address(address):
            raise ConfigError(f"not an e-mail address: {value!r}")
        local, _, domain = address.rpartition("@")
        return f"email:{local}@{domain.lower()}"
    if "@" in value and ":" not in value:
        raise ConfigError(f"write e-mail addresses as email:<address>: {value!r}")
    m = _IDENTITY.match(value.strip())
    if m is None:
        raise ConfigError(f"not an identity (channel:id, or a Telegram number): {value!r}")
    channel = m["channel"] or "telegram"
    if channel not in known:
        raise ConfigError(f"unknown channel {channel!r} in {value!r} (known: {', '.join(known)})")
    if channel == "telegram" and not re.fullmatch(r"-?\d{1,20}", m["id"]):
        raise ConfigError(f"Telegram ids are whole numbers: {value!r}")
    return f"{channel}:{m['id']}"


def ids(value: object, known: Collection[str] = KNOWN) -> frozenset[str]:
    """Identities, comma- or semicolon-separated (or a TOML list)."""
    items = [str(v) for v in value] if isinstance(value, (list, tuple)) else str(value).replace(";", ",").split(",")
    return frozenset(identity(v, known) for v in items if v.strip())


def destinations(value: object, known: Collection[str] = KNOWN) -> tuple[str, ...]:
    """The officers' destinations, comma- or semicolon-separated, in order, each once; a bare number is Telegram's."""
    if value is None:
        return ()
    items = [str(v) for v in value] if isinstance(value, (list, tuple)) else str(value).replace(";", ",").split(",")
    return tuple(dict.fromkeys(identity(v, known) for v in items if v.strip()))


def proxies(value: object) -> tuple[str, ...]:
    """Proxy addresses or networks, comma-separated; anything else (a name, `*`) is refused."""
    items = [str(v) for v in value] if isinstance(value, (list, tuple)) else str(value).split(",")
    return tuple(str(ipaddress.ip_network(i.strip(), strict=False)) if "/" in i else
                 str(ipaddress.ip_address(i.strip())) for i in items if i.strip())


OPEN_FEEDBACK = ("received", "handling", "transferred")  # feedback statuses a deadline can be set for


def deadlines(value: object) -> tuple[tuple[str, int], ...]:
    """`status=days` pairs for the open feedback statuses (a TOML table works too); anything else is refused."""
    pairs = value.items() if isinstance(value, dict) else (p.split("=", 1) for p in str(value).split(",") if p.strip())
    out = tuple((str(k).strip(), int(str(v))) for k, v in pairs)
    if any(k not in OPEN_FEEDBACK or d < 1 for k, d in out):
        raise ValueError(f"statuses are {', '.join(OPEN_FEEDBACK)}, days at least 1")
    return out
