"""Flood control for inbound SMS and USSD: a number over its limit is answered once, then ignored.

`check(store, kind, phone, limit)` is called once per inbound message, after de-duplication and
before any parsing; the caller answers WARN with the "too many messages" text and drops SILENT.
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


def check(
    store: Store, kind: str, phone: str, limit: int, cooldown: int = DEFAULT_COOLDOWN
) -> Verdict:
    """Count one message of `kind` ('sms', 'ussd') from phone and say how to treat it."""
    if limit <= 0:
        return Verdict.OK  # a limit of 0 turns flood control off
    if store.is_muted(kind, phone):
        return Verdict.SILENT
    if store.count_inbound(kind, phone, WINDOW) <= limit:
        return Verdict.OK
    # Only the request that starts the silence answers, even with concurrent webhooks.
    return Verdict.WARN if store.mute(kind, phone, cooldown) else Verdict.SILENT


def judge(
    store: Store, kind: str, phone: str, counted: int, limit: int,
    cooldown: int = DEFAULT_COOLDOWN,
) -> Verdict:
    """check() for a message already counted by Store.ussd_request (counted -2 = muted)."""
    if limit <= 0:
        return Verdict.OK
    if counted == -2:
        return Verdict.SILENT
    if counted <= limit:
        return Verdict.OK
    return Verdict.WARN if store.mute(kind, phone, cooldown) else Verdict.SILENT
