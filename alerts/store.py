"""The store of record: the only module that knows Redis keys.

Key layout (every key Baara writes is listed here):

    sub:{bucket}                      hash; field = last two digits of the phone, value = packed
                                      subscriber (bucketing keeps ~100 small records per listpack)
    idx:{lang}:d:{district}:{cat}     set of phones of *active* subscribers, by language
    idx:{lang}:r:{region}:{cat}       same for whole-region subscriptions; cat '*' = every category
    seen:{kind}:{id}                  inbound callbacks already processed (AT retries), 7 days
    pend:{phone}                      a question we asked and wait an answer for, 1 day
    out:{id}                          hash: one outgoing reply (phone, text, status, ...), 30 days
    gw:{gateway message id}           which outgoing message or alert a delivery report is for
    hist:{phone}                      the last messages to and from a number (admin view), 90 days
    sim:sms, sim:sms:{phone}          messages recorded by the simulated gateway (development)

Subscribers are indexed only while active, so matching a posting is a union of the few index sets
it names: its cost is the number of subscribers matched, never the number of subscribers.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from enum import Enum

import redis as redis_lib
from flask import current_app

ALL = "*"
SEEN_TTL = 7 * 24 * 3600
SIM_KEEP = 2000


class Language(str, Enum):
    """Languages Baara speaks."""

    FR = "fr"
    BM = "bm"


class SubscriberStatus(str, Enum):
    """Whether Baara may send to a subscriber."""

    ACTIVE = "active"
    STOPPED = "stopped"


class Source(str, Enum):
    """Where a subscriber came from."""

    SMS = "sms"
    USSD = "ussd"
    RELAY = "relay"
    ADMIN = "admin"


class StoppedBy(str, Enum):
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


_STATUS_CODES = {
    (SubscriberStatus.ACTIVE, StoppedBy.NOBODY): "a",
    (SubscriberStatus.STOPPED, StoppedBy.USER): "s",
    (SubscriberStatus.STOPPED, StoppedBy.OPERATOR): "o",
}
_STATUS_FROM_CODE = {v: k for k, v in _STATUS_CODES.items()}


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

    def pack(self) -> str:
        """Compact record; small enough that a bucket of 100 stays a listpack."""
        status = _STATUS_CODES[(self.status, self.stopped_by)]
        subs = ",".join(s.code for s in self.subscriptions)
        return "|".join(
            (self.language.value, status, self.source.value,
             str(self.created_at), str(self.updated_at), subs)
        )

    @classmethod
    def unpack(cls, phone: str, packed: str) -> Subscriber:
        """Inverse of pack()."""
        lang, status, source, created, updated, subs = packed.split("|")
        st, by = _STATUS_FROM_CODE[status]
        return cls(
            phone=phone,
            language=Language(lang),
            status=st,
            stopped_by=by,
            source=Source(source),
            created_at=int(created),
            updated_at=int(updated),
            subscriptions=tuple(Subscription.from_code(c) for c in subs.split(",") if c),
        )

    def index_keys(self) -> set[str]:
        """The index sets this subscriber belongs to (none while stopped)."""
        if not self.active:
            return set()
        return {_index_key(self.language, s) for s in self.subscriptions}

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


def _index_key(language: Language | str, sub: Subscription) -> str:
    lang = language.value if isinstance(language, Language) else language
    return f"idx:{lang}:{sub.code}"


def _bucket(phone: str) -> tuple[str, str]:
    digits = phone.lstrip("+")
    return f"sub:{digits[:-2]}", digits[-2:]


def _phone_of(bucket_key: str, field_name: str) -> str:
    return "+" + bucket_key[4:] + field_name


@dataclass
class MatchPlace:
    """A district a posting covers, with its region (so region subscribers match too)."""

    district: str
    region: str


@dataclass
class Store:
    """Baara's data in Redis. Takes a client created with decode_responses=True."""

    redis: redis_lib.Redis
    clock: Callable[[], float] = field(default=time.time)

    @classmethod
    def from_url(cls, url: str) -> Store:
        """A store on its own connection pool."""
        return cls(redis_lib.Redis.from_url(url, decode_responses=True))

    def now(self) -> int:
        """Seconds since the epoch, from the store's clock."""
        return int(self.clock())

    # -- subscribers -----------------------------------------------------------------------

    def get_subscriber(self, phone: str) -> Subscriber | None:
        """The subscriber with this E.164 phone, or None."""
        key, fld = _bucket(phone)
        packed = self.redis.hget(key, fld)
        return Subscriber.unpack(phone, packed) if packed else None

    def update_subscriber(
        self, phone: str, change: Callable[[Subscriber | None], Subscriber | None]
    ) -> Subscriber | None:
        """Atomically read, change and write one subscriber, keeping the indexes in step.

        `change` gets the current record (or None) and returns the new one (None erases).
        It may run more than once if another writer races us, so it must be pure.
        """
        key, fld = _bucket(phone)
        with self.redis.pipeline() as pipe:
            while True:
                try:
                    pipe.watch(key)
                    packed = pipe.hget(key, fld)
                    old = Subscriber.unpack(phone, packed) if packed else None
                    new = change(old)
                    if new is not None:
                        now = self.now()
                        new = replace(
                            new,
                            created_at=(old.created_at if old else 0) or new.created_at or now,
                            updated_at=now,
                        )
                    before = old.index_keys() if old else set()
                    after = new.index_keys() if new else set()
                    pipe.multi()
                    if new is None:
                        pipe.hdel(key, fld)
                    else:
                        pipe.hset(key, fld, new.pack())
                    for k in before - after:
                        pipe.srem(k, phone)
                    for k in after - before:
                        pipe.sadd(k, phone)
                    pipe.execute()
                    return new
                except redis_lib.WatchError:
                    continue

    def subscribe(
        self,
        phone: str,
        subscriptions: Iterable[Subscription],
        *,
        language: Language | None = None,
        source: Source = Source.SMS,
    ) -> Subscriber:
        """Add subscriptions and (re)activate the number."""
        wanted = tuple(subscriptions)

        def change(old: Subscriber | None) -> Subscriber:
            base = old or Subscriber(phone=phone, language=language or Language.FR, source=source)
            merged = _merge(base.subscriptions, wanted)
            return replace(
                base,
                language=language or base.language,
                status=SubscriberStatus.ACTIVE,
                stopped_by=StoppedBy.NOBODY,
                subscriptions=merged,
            )

        result = self.update_subscriber(phone, change)
        assert result is not None
        return result

    def unsubscribe(self, phone: str, subscriptions: Iterable[Subscription]) -> Subscriber | None:
        """Remove these subscriptions (a district one also removes its categories)."""
        gone = set(subscriptions)

        def change(old: Subscriber | None) -> Subscriber | None:
            if old is None:
                return None
            keep = tuple(s for s in old.subscriptions if not _covered(s, gone))
            return replace(old, subscriptions=keep)

        return self.update_subscriber(phone, change)

    def stop(self, phone: str, by: StoppedBy = StoppedBy.USER) -> Subscriber:
        """Stop all sending to this number; its subscriptions are kept for a comeback."""

        def change(old: Subscriber | None) -> Subscriber:
            # A stranger's STOP is remembered too, so nobody can ever make us text them.
            base = old or Subscriber(phone=phone)
            return replace(base, status=SubscriberStatus.STOPPED, stopped_by=by)

        result = self.update_subscriber(phone, change)
        assert result is not None
        return result

    def resume(self, phone: str) -> Subscriber | None:
        """Undo stop(): the number gets its previous subscriptions back."""

        def change(old: Subscriber | None) -> Subscriber | None:
            if old is None:
                return None
            return replace(old, status=SubscriberStatus.ACTIVE, stopped_by=StoppedBy.NOBODY)

        return self.update_subscriber(phone, change)

    def set_language(self, phone: str, language: Language) -> Subscriber:
        """Switch language (creating the record if needed, with no subscription)."""

        def change(old: Subscriber | None) -> Subscriber:
            return replace(old or Subscriber(phone=phone), language=language)

        result = self.update_subscriber(phone, change)
        assert result is not None
        return result

    def erase_subscriber(self, phone: str) -> bool:
        """Forget everything about a number: record, indexes, questions, history."""
        existed = self.get_subscriber(phone) is not None
        self.update_subscriber(phone, lambda old: None)
        existed = bool(self.redis.delete(f"pend:{phone}", f"hist:{phone}")) or existed
        return existed

    def active_flags(self, phones: Sequence[str]) -> list[bool]:
        """For each phone, whether it is an active subscriber right now (one round trip)."""
        pipe = self.redis.pipeline(transaction=False)
        for phone in phones:
            pipe.hget(*_bucket(phone))
        flags = []
        for packed in pipe.execute():
            flags.append(bool(packed) and packed.split("|", 2)[1] == "a")
        return flags

    def languages(self, phones: Sequence[str]) -> list[Language | None]:
        """Each phone's language, None for unknown numbers (one round trip)."""
        pipe = self.redis.pipeline(transaction=False)
        for phone in phones:
            pipe.hget(*_bucket(phone))
        return [Language(p.split("|", 1)[0]) if p else None for p in pipe.execute()]

    def iter_subscribers(self, batch: int = 500) -> Iterator[Subscriber]:
        """Every subscriber, in no particular order (SCAN, so safe on a live server)."""
        for key in self.redis.scan_iter(match="sub:*", count=batch):
            for fld, packed in self.redis.hgetall(key).items():
                yield Subscriber.unpack(_phone_of(key, fld), packed)

    # -- matching --------------------------------------------------------------------------

    def match_keys(
        self, places: Iterable[MatchPlace], category: str, language: Language
    ) -> list[str]:
        """The index sets whose union is the audience of a posting, for one language."""
        keys: set[str] = set()
        for place in places:
            for cat in (category, None):
                keys.add(_index_key(language, Subscription(district=place.district, category=cat)))
                keys.add(_index_key(language, Subscription(region=place.region, category=cat)))
        return sorted(keys)

    def match(self, places: Sequence[MatchPlace], category: str) -> dict[Language, set[str]]:
        """Active subscribers matching a posting, by language; one entry per person."""
        pipe = self.redis.pipeline(transaction=False)
        for lang in Language:
            pipe.sunion(self.match_keys(places, category, lang))
        return {lang: set(phones) for lang, phones in zip(Language, pipe.execute(), strict=True)}

    def match_into(
        self, dest: Callable[[Language], str], places: Sequence[MatchPlace], category: str
    ) -> dict[Language, int]:
        """Like match(), but the union is stored server-side in dest(lang); returns counts."""
        pipe = self.redis.pipeline(transaction=False)
        for lang in Language:
            pipe.sunionstore(dest(lang), self.match_keys(places, category, lang))
        return dict(zip(Language, pipe.execute(), strict=True))

    def count_index(self, language: Language, sub: Subscription) -> int:
        """How many active subscribers hold exactly this subscription in this language."""
        return int(self.redis.scard(_index_key(language, sub)))

    # -- inbound callbacks -----------------------------------------------------------------

    def first_time(self, kind: str, ident: str, ttl: int = SEEN_TTL) -> bool:
        """True the first time (kind, ident) is seen: AT retries callbacks until it gets 200."""
        return bool(self.redis.set(f"seen:{kind}:{ident}", "1", nx=True, ex=ttl))

    def forget_seen(self, kind: str, ident: str) -> None:
        """Let a callback be processed again (when handling it failed before acknowledging)."""
        self.redis.delete(f"seen:{kind}:{ident}")

    # -- conversations -----------------------------------------------------------------------

    def set_pending(self, phone: str, question: dict, ttl: int = 24 * 3600) -> None:
        """Remember a question we asked this number."""
        self.redis.set(f"pend:{phone}", json.dumps(question), ex=ttl)

    def get_pending(self, phone: str) -> dict | None:
        """The question we are waiting an answer for, if any."""
        raw = self.redis.get(f"pend:{phone}")
        return json.loads(raw) if raw else None

    def clear_pending(self, phone: str) -> None:
        """Forget the question."""
        self.redis.delete(f"pend:{phone}")

    def add_history(self, phone: str, direction: str, text: str, keep: int = 30) -> None:
        """Append to a number's message history (newest first, capped)."""
        entry = json.dumps({"at": self.now(), "dir": direction, "text": text}, ensure_ascii=False)
        pipe = self.redis.pipeline(transaction=False)
        pipe.lpush(f"hist:{phone}", entry)
        pipe.ltrim(f"hist:{phone}", 0, keep - 1)
        pipe.expire(f"hist:{phone}", 90 * 24 * 3600)
        pipe.execute()

    def history(self, phone: str, limit: int = 30) -> list[dict]:
        """A number's recent messages, newest first."""
        return [json.loads(e) for e in self.redis.lrange(f"hist:{phone}", 0, limit - 1)]

    def new_outgoing(self, phone: str, text: str, *, kind: str, force: bool = False) -> str:
        """Record a reply to send; returns its id (jobs take ids, not objects)."""
        out_id = f"{self.now():x}{self.redis.incr('seq:out'):x}"
        self.redis.hset(
            f"out:{out_id}",
            mapping={
                "phone": phone, "text": text, "kind": kind, "force": int(force),
                "status": "queued", "created": self.now(), "attempts": 0,
            },
        )
        self.redis.expire(f"out:{out_id}", 30 * 24 * 3600)
        return out_id

    def get_outgoing(self, out_id: str) -> dict | None:
        """An outgoing reply's record."""
        data = self.redis.hgetall(f"out:{out_id}")
        return data or None

    def update_outgoing(self, out_id: str, **fields: object) -> None:
        """Change an outgoing reply's status, gateway id, reason or attempt count."""
        self.redis.hset(f"out:{out_id}", mapping={k: str(v) for k, v in fields.items()})

    def claim_outgoing(self, out_id: str) -> bool:
        """Move a reply from queued to sending, once: a retried job must not send it twice."""
        script = (
            "if redis.call('hget', KEYS[1], 'status') == 'queued' then "
            "redis.call('hset', KEYS[1], 'status', 'sending') return 1 end return 0"
        )
        return bool(self.redis.eval(script, 1, f"out:{out_id}"))

    def link_gateway_id(self, gateway_id: str, ref: str, ttl: int = 14 * 24 * 3600) -> None:
        """Remember what a gateway message id is for, to route its delivery reports."""
        self.redis.set(f"gw:{gateway_id}", ref, ex=ttl)

    def ref_for_gateway_id(self, gateway_id: str) -> str | None:
        """'out:<id>' or 'alert:<job>:<phone>' for a gateway message id, or None."""
        return self.redis.get(f"gw:{gateway_id}")

    # -- simulated gateway -----------------------------------------------------------------

    def record_simulated(self, message: dict) -> None:
        """Keep a message the simulated gateway accepted, for the phone simulator."""
        data = json.dumps(message, ensure_ascii=False)
        pipe = self.redis.pipeline(transaction=False)
        pipe.lpush("sim:sms", data)
        pipe.ltrim("sim:sms", 0, SIM_KEEP - 1)
        phone_key = f"sim:sms:{message.get('to', '')}"
        pipe.lpush(phone_key, data)
        pipe.ltrim(phone_key, 0, 99)
        pipe.execute()

    def simulated_messages(self, phone: str | None = None, limit: int = 50) -> list[dict]:
        """Newest first: what the simulated gateway accepted (for one phone, or all)."""
        key = f"sim:sms:{phone}" if phone else "sim:sms"
        return [json.loads(m) for m in self.redis.lrange(key, 0, limit - 1)]

    # -- health ----------------------------------------------------------------------------

    def ping(self) -> bool:
        """True when Redis answers."""
        try:
            return bool(self.redis.ping())
        except redis_lib.RedisError:
            return False


def _merge(old: Sequence[Subscription], new: Sequence[Subscription]) -> tuple[Subscription, ...]:
    """Union of subscriptions, where 'every category' for a place absorbs its categories."""
    merged = set(old) | set(new)
    broad = {(s.district, s.region) for s in merged if s.category is None}
    kept = {s for s in merged if s.category is None or (s.district, s.region) not in broad}
    return tuple(sorted(kept, key=lambda s: s.code))


def _covered(sub: Subscription, gone: set[Subscription]) -> bool:
    """Whether removing `gone` removes `sub` (a place with no category removes all of it)."""
    if sub in gone:
        return True
    return any(
        g.category is None and (g.district, g.region) == (sub.district, sub.region) for g in gone
    )


def current_store() -> Store:
    """The store of the running app."""
    return current_app.extensions["baara"].store
