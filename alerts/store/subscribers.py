"""Subscribers: their packed records in buckets, the active-subscriber indexes, matching."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import replace
from typing import cast

import redis as redis_lib

import alerts.store.keys as keys
from alerts.domain.subscribers import (
    Language,
    MatchPlace,
    Source,
    StoppedBy,
    Subscriber,
    SubscriberStatus,
    Subscription,
    covered,
    merge_subscriptions,
)
from alerts.store.base import StoreBase

# A subscriber's record is one bucket field: "{lang}|{status}|{source}|{created}|{updated}|
# {code},{code},..."; the status letter is also read by active_flags() and batch_targets.lua.
_STATUS_CODES = {
    (SubscriberStatus.ACTIVE, StoppedBy.NOBODY): "a",
    (SubscriberStatus.STOPPED, StoppedBy.USER): "s",
    (SubscriberStatus.STOPPED, StoppedBy.OPERATOR): "o",
}
_STATUS_FROM_CODE = {v: k for k, v in _STATUS_CODES.items()}


def pack(sub: Subscriber) -> str:
    """A subscriber's compact record; small enough that a bucket of 100 stays a listpack."""
    status = _STATUS_CODES[(sub.status, sub.stopped_by)]
    subs = ",".join(s.code for s in sub.subscriptions)
    return "|".join(
        (
            sub.language.value,
            status,
            sub.source.value,
            str(sub.created_at),
            str(sub.updated_at),
            subs,
        )
    )


def unpack(phone: str, packed: str) -> Subscriber:
    """Inverse of pack()."""
    lang, status, source, created, updated, subs = packed.split("|")
    st, by = _STATUS_FROM_CODE[status]
    return Subscriber(
        phone=phone,
        language=Language(lang),
        status=st,
        stopped_by=by,
        source=Source(source),
        created_at=int(created),
        updated_at=int(updated),
        subscriptions=tuple(Subscription.from_code(c) for c in subs.split(",") if c),
    )


def index_keys(sub: Subscriber) -> set[str]:
    """The index sets a subscriber belongs to (none while stopped)."""
    if not sub.active:
        return set()
    return {keys.index(sub.language, s) for s in sub.subscriptions}


class SubscribersStore(StoreBase):
    """Subscribers: part of Store."""

    def get_subscriber(self, phone: str) -> Subscriber | None:
        """The subscriber with this E.164 phone, or None."""
        key, fld = keys.subscriber(phone)
        packed = cast(str | None, self.redis.hget(key, fld))
        return unpack(phone, packed) if packed else None

    def update_subscriber(
        self, phone: str, change: Callable[[Subscriber | None], Subscriber | None]
    ) -> Subscriber | None:
        """Atomically read, change and write one subscriber, keeping the indexes in step.

        `change` gets the current record (or None) and returns the new one (None erases).
        It may run more than once if another writer races us, so it must be pure.
        """
        key, fld = keys.subscriber(phone)
        with self.redis.pipeline() as pipe:
            while True:
                try:
                    pipe.watch(key)
                    packed = cast(str | None, pipe.hget(key, fld))
                    old = unpack(phone, packed) if packed else None
                    new = change(old)
                    if new is not None:
                        now = self.now()
                        new = replace(
                            new,
                            created_at=(old.created_at if old else 0) or new.created_at or now,
                            updated_at=now,
                        )
                    before = index_keys(old) if old else set()
                    after = index_keys(new) if new else set()
                    pipe.multi()
                    if new is None:
                        pipe.hdel(key, fld)
                    else:
                        pipe.hset(key, fld, pack(new))
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
        """Add subscriptions and (re)activate the number.

        A stopped number starts again with only these: what it had before STOP comes back
        with START (resume), never behind its back.
        """
        wanted = tuple(subscriptions)

        def change(old: Subscriber | None) -> Subscriber:
            base = old or Subscriber(phone=phone, language=language or Language.FR, source=source)
            merged = merge_subscriptions(base.subscriptions if base.active else (), wanted)
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
            keep = tuple(s for s in old.subscriptions if not covered(s, gone))
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

    def _packed_records(self, phones: Sequence[str]) -> list[str | None]:
        """Each phone's packed record (None for unknown numbers), in one round trip."""
        pipe = self.redis.pipeline(transaction=False)
        for phone in phones:
            pipe.hget(*keys.subscriber(phone))
        return pipe.execute()

    def active_flags(self, phones: Sequence[str]) -> list[bool]:
        """For each phone, whether it is an active subscriber right now (one round trip)."""
        return [bool(p and p.split("|", 2)[1] == "a") for p in self._packed_records(phones)]

    def stopped_flags(self, phones: Sequence[str]) -> list[bool]:
        """For each phone, whether it is a subscriber who stopped (one round trip); a number
        we have never heard of is not stopped."""
        return [bool(p and p.split("|", 2)[1] != "a") for p in self._packed_records(phones)]

    def languages(self, phones: Sequence[str]) -> list[Language | None]:
        """Each phone's language, None for unknown numbers (one round trip)."""
        return [Language(p.split("|", 1)[0]) if p else None for p in self._packed_records(phones)]

    def iter_subscribers(self, batch: int = 500) -> Iterator[Subscriber]:
        """Every subscriber, in no particular order (SCAN, so safe on a live server)."""
        key: str
        for key in self.redis.scan_iter(match=keys.SUBSCRIBER_PATTERN, count=batch):
            for fld, packed in cast(dict[str, str], self.redis.hgetall(key)).items():
                yield unpack(keys.phone_of(key, fld), packed)

    def seed_subscribers(self, subscribers: Iterable[Subscriber], chunk: int = 2000) -> int:
        """Write new subscribers and their index entries in bulk (imports, benchmarks).

        Same records and indexes as update_subscriber(), without its per-number transaction:
        only for numbers nobody else is writing at the same time.
        """
        count = 0
        pipe = self.redis.pipeline(transaction=False)
        for sub in subscribers:
            key, fld = keys.subscriber(sub.phone)
            pipe.hset(key, fld, pack(sub))
            for index in index_keys(sub):
                pipe.sadd(index, sub.phone)
            count += 1
            if count % chunk == 0:
                pipe.execute()
        pipe.execute()
        return count

    def match_keys(
        self, places: Iterable[MatchPlace], category: str, language: Language
    ) -> list[str]:
        """The index sets whose union is the audience of a posting, for one language."""
        found: set[str] = set()
        for place in places:
            for cat in (category, None):
                found.add(keys.index(language, Subscription(district=place.district, category=cat)))
                found.add(keys.index(language, Subscription(region=place.region, category=cat)))
        return sorted(found)

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
