"""Checks of settings that span several keys: Redis Sentinel, the gateways and their routes."""

from __future__ import annotations

import re
from typing import Any


class ConfigError(RuntimeError):
    """A setting is missing or malformed; the message names it."""


_SENTINEL = re.compile(r"^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9_.-]+):(\d{1,5})$")


def check_sentinels(settings: dict[str, Any]) -> None:
    """REDIS_SENTINELS must be host:port,...; with them, REDIS_SENTINEL_MASTER is required."""
    value = (settings["REDIS_SENTINELS"] or "").strip()
    if not value:
        return
    for item in value.split(","):
        if not _SENTINEL.match(item.strip()):
            raise ConfigError(
                f"REDIS_SENTINELS must look like host:port,host:port; got {item.strip()!r}"
            )
    if not (settings["REDIS_SENTINEL_MASTER"] or "").strip():
        raise ConfigError("REDIS_SENTINEL_MASTER is required with REDIS_SENTINELS")
    if settings["REDIS_REPLICA_WAIT_MS"] < 0:
        raise ConfigError("REDIS_REPLICA_WAIT_MS must not be negative")


def check_gateways(settings: dict[str, Any]) -> None:
    """GATEWAYS and GATEWAY_ROUTES name known gateways and operators (issue 17)."""
    known = ("africastalking", "orange", "smsgate")
    names = [n.strip().lower() for n in settings["GATEWAYS"].split(",") if n.strip()]
    if not names or any(n not in known for n in names) or len(set(names)) != len(names):
        raise ConfigError(f"GATEWAYS must list some of {', '.join(known)} once each")
    for pair in (p.strip() for p in settings["GATEWAY_ROUTES"].split(",") if p.strip()):
        operator, _, gateway = (x.strip().lower() for x in pair.partition("="))
        if operator not in ("orange", "moov", "telecel") or gateway not in names:
            raise ConfigError(f"GATEWAY_ROUTES: {pair!r} is not operator=enabled gateway")
    if settings["GATEWAY_FAILURES"] < 1 or settings["GATEWAY_COOLDOWN"] < 0:
        raise ConfigError("GATEWAY_FAILURES must be at least 1, GATEWAY_COOLDOWN not negative")
    if settings["GATEWAY_TIMEOUT"] <= 0:
        raise ConfigError("GATEWAY_TIMEOUT must be positive")


def simulate_gateways(settings: dict[str, Any]) -> None:
    """Development: Orange and SMSGate without credentials go to the app's own simulators."""
    base = f"http://127.0.0.1:{settings['PORT']}"
    names = [n.strip().lower() for n in settings["GATEWAYS"].split(",")]
    if "orange" in names and not settings["ORANGE_CLIENT_ID"]:
        settings.update(
            ORANGE_CLIENT_ID="simulated",
            ORANGE_CLIENT_SECRET="simulated",
            ORANGE_API_URL=f"{base}/simulator/orange",
            ORANGE_SENDER_ADDRESS=settings["ORANGE_SENDER_ADDRESS"] or "tel:+22370000000",
            ORANGE_NOTIFY_URL=settings["ORANGE_NOTIFY_URL"] or f"{base}/orange/delivery",
        )
    if "smsgate" in names and not settings["SMSGATE_PASSWORD"]:
        settings.update(
            SMSGATE_URL=f"{base}/simulator/smsgate",
            SMSGATE_LOGIN="simulated",
            SMSGATE_PASSWORD="simulated",
            SMSGATE_SIGNING_KEY=settings["SMSGATE_SIGNING_KEY"] or "simulated",
        )
