"""Flood control for inbound SMS and USSD: a number over its limit is answered once, then ignored.

Each inbound message is counted in the same round trip that accepts it (Store.accept_sms for SMS,
Store.ussd_request for USSD, both through alerts/store/lua/rate.lua); the caller answers WARN
with the "too many messages" text and drops SILENT.
"""

from __future__ import annotations

from enum import StrEnum

from alerts.store import Store

#: Counting window, seconds: the limit is "messages a minute".
WINDOW = 60
#: How long a number that went over its limit is ignored, seconds.
DEFAULT_COOLDOWN = 600


class Verdict(StrEnum):
    """What to do with one inbound message."""

    OK = "ok"  # process it as usual
    WARN = "warn"  # over the limit just now: send the one "try again later" answer, nothing else
    SILENT = "silent"  # muted: acknowledge to the gateway, do nothing


def judge(
    store: Store,
    kind: str,
    phone: str,
    counted: int,
    limit: int,
    cooldown: int = DEFAULT_COOLDOWN,
) -> Verdict:
    """How to treat a message already counted by Store.ussd_request (counted -2 = muted)."""
    if limit <= 0:
        return Verdict.OK
    if counted == -2:
        return Verdict.SILENT
    if counted <= limit:
        return Verdict.OK
    return Verdict.WARN if store.mute(kind, phone, cooldown) else Verdict.SILENT
