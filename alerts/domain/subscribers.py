"""Subscribers and what they subscribe to: languages, statuses, places, and the merging rules."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

#: A subscription's category meaning "every category" (in codes and index keys).
ALL = "*"


class Language(StrEnum):
    """Languages Baara speaks."""

    FR = "fr"
    BM = "bm"


class SubscriberStatus(StrEnum):
    """Whether Baara may send to a subscriber."""

    ACTIVE = "active"
    STOPPED = "stopped"


class Source(StrEnum):
    """Where a subscriber came from."""

    SMS = "sms"
    USSD = "ussd"
    RELAY = "relay"
    ADMIN = "admin"


class StoppedBy(StrEnum):
    """Who stopped a subscriber: the person, or the operator (opt-out, blacklist)."""

    NOBODY = ""
    USER = "user"
    OPERATOR = "operator"


@dataclass(frozen=True, order=True)
class Subscription:
    """One district or one whole region, for one category or (None) every category."""

    district: str | None = None
    region: str | None = None
    category: str | None = None

    def __post_init__(self) -> None:
        if (self.district is None) == (self.region is None):
            raise ValueError("a subscription names exactly one of district or region")

    @property
    def code(self) -> str:
        """Compact form used in records and index keys: 'd:niono:*'."""
        kind, place = ("d", self.district) if self.district else ("r", self.region)
        return f"{kind}:{place}:{self.category or ALL}"

    @classmethod
    def from_code(cls, code: str) -> Subscription:
        """Inverse of .code."""
        kind, place, cat = code.split(":")
        category = None if cat == ALL else cat
        if kind == "d":
            return cls(district=place, category=category)
        return cls(region=place, category=category)


@dataclass(frozen=True)
class Subscriber:
    """A phone number Baara knows, its language, status and subscriptions."""

    phone: str
    language: Language = Language.FR
    status: SubscriberStatus = SubscriberStatus.ACTIVE
    source: Source = Source.SMS
    created_at: int = 0
    updated_at: int = 0
    subscriptions: tuple[Subscription, ...] = ()
    stopped_by: StoppedBy = StoppedBy.NOBODY

    @property
    def active(self) -> bool:
        """True when Baara may send to this number."""
        return self.status is SubscriberStatus.ACTIVE

    def to_json(self) -> dict:
        """Plain data for the API."""
        return {
            "phone": self.phone,
            "language": self.language.value,
            "status": self.status.value,
            "source": self.source.value,
            "created_at": self.created_at,
            "updated_at": self.updated_at,
            "subscriptions": [s.code for s in self.subscriptions],
        }


@dataclass
class MatchPlace:
    """A district a posting covers, with its region (so region subscribers match too)."""

    district: str
    region: str


@dataclass(frozen=True)
class InboundContext:
    """What handling one inbound SMS needs, read in one round trip (conversation_context)."""

    subscriber: Subscriber | None
    pending: dict | None
    consent: dict | None


def merge_subscriptions(
    old: Sequence[Subscription], new: Sequence[Subscription]
) -> tuple[Subscription, ...]:
    """Union of subscriptions, where 'every category' for a place absorbs its categories."""
    merged = set(old) | set(new)
    broad = {(s.district, s.region) for s in merged if s.category is None}
    kept = {s for s in merged if s.category is None or (s.district, s.region) not in broad}
    return tuple(sorted(kept, key=lambda s: s.code))


def covered(sub: Subscription, gone: set[Subscription]) -> bool:
    """Whether removing `gone` removes `sub` (a place with no category removes all of it)."""
    if sub in gone:
        return True
    return any(
        g.category is None and (g.district, g.region) == (sub.district, sub.region) for g in gone
    )
