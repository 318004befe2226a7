"""Erasure: forget a number everywhere Baara keeps it, in every form it may be written in.

A number lives in its own records (subscriber, history, replies, questions, USSD calls) and in
other people's: a relay's history and replies name the people it enrolled ("INSCRIRE 76 12 34
56"), alert batches and delivery refs name their recipients, the audit log names the numbers
admins acted on, and RQ jobs queued by an earlier release carried numbers in their arguments.
Erasure removes the number's own records, then makes one pass over the whole database
(`Store.scrub_number`) deleting or redacting every key and value that names it as E.164
(+22376123456), without the plus or with 00 (22376123456), or nationally (76123456, spaced or
dotted), and deletes any RQ job whose arguments, description or error mention it. The audit log
keeps each entry, the number replaced by a salted hash (HMAC of SECRET_KEY), so an operator who
is given the number again can still find what was done, and nobody else can.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import unicodedata
import zlib
from dataclasses import dataclass
from typing import cast

import phonenumbers
from rq.exceptions import NoSuchJobError
from rq.job import Job

from alerts.services import Services

#: What a redacted number becomes in other people's records.
MASK = "***"
#: Separators people type inside a number.
_LUA_SEP = "[%s%.%-]?"
_RE_SEP = rb"[\s.\-]?"


@dataclass(frozen=True)
class Erasure:
    """What an erasure did: keys deleted, values redacted, RQ jobs deleted, the audit hash."""

    existed: bool
    deleted: int
    redacted: int
    rq_jobs: int
    token: str


def number_parts(phone: str) -> tuple[str, str]:
    """(country code, national significant number) of an E.164 number: ('223', '76123456')."""
    number = phonenumbers.parse(phone, None)
    return str(number.country_code), phonenumbers.national_significant_number(number)


def lua_patterns(phone: str) -> list[str]:
    """Lua patterns for the number in every written form, never inside a longer digit run."""
    code, national = number_parts(phone)
    local = _LUA_SEP.join(national)
    return [
        # +223 76 12 34 56, 0022376123456, 22376123456 (the + goes with it)
        "%+?%f[%d]0?0?" + _LUA_SEP.join(code) + _LUA_SEP + "0?" + local + "%f[%D]",
        # 76123456, 76 12 34 56, 76.12.34.56 (and a trunk 0, for other countries' numbers)
        "%f[%d]0?" + local + "%f[%D]",
    ]


def number_regex(phone: str) -> re.Pattern[bytes]:
    """The same forms as lua_patterns(), as a bytes regex (for RQ's pickled job data)."""
    code, national = number_parts(phone)
    local = _RE_SEP.join(d.encode() for d in national)
    country = _RE_SEP.join(d.encode() for d in code)
    return re.compile(
        rb"(?<![0-9])(?:(?:\+|00)?" + country + _RE_SEP + rb")?0?" + local + rb"(?![0-9])"
    )


def audit_token(secret: str, phone: str) -> str:
    """The salted hash the audit log keeps instead of an erased number."""
    digest = hmac.new(secret.encode(), b"erased-number|" + phone.encode(), hashlib.sha256)
    return "h:" + digest.hexdigest()[:20]


def erase(services: Services, phone: str) -> Erasure:
    """Erase an E.164 number everywhere; the caller records the erasure under `token`."""
    store = services.store
    token = audit_token(services.settings.secret_key, phone)
    existed = store.erase_subscriber(phone)
    deleted, redacted = store.scrub_number(
        phone, number_parts(phone)[1], lua_patterns(phone), mask=MASK, audit_mask=token
    )
    jobs = _drop_rq_jobs(services, number_regex(phone))
    return Erasure(
        existed=existed or bool(deleted or redacted or jobs),
        deleted=deleted,
        redacted=redacted,
        rq_jobs=jobs,
        token=token,
    )


def _drop_rq_jobs(services: Services, pattern: re.Pattern[bytes]) -> int:
    """Delete RQ jobs (and their results) whose record names the number; their count.

    Baara's own jobs take ids, not numbers; this finds jobs queued before that was so, and any
    failure whose traceback quoted a number.
    """
    raw = services.rq_redis
    found = []
    for key in raw.scan_iter(match=b"rq:job:*", count=1000):
        job_id = key[len(b"rq:job:") :]
        if b":" in job_id or raw.type(key) != b"hash":
            continue
        for value in cast(list[bytes], raw.hvals(key)):  # the RQ client returns bytes
            if any(pattern.search(fold_digits(v)) for v in (value, _inflate(value))):
                found.append(job_id.decode())
                break
    for job_id in found:
        try:
            Job.fetch(job_id, connection=raw).delete()
        except NoSuchJobError:
            continue
    return len(found)


def fold_digits(value: bytes) -> bytes:
    """UTF-8 text with every Unicode decimal digit (fullwidth, Arabic-Indic, N'Ko...) as ASCII."""
    text = value.decode("utf-8", "ignore")
    if text.isascii():
        return value
    return "".join(
        str(unicodedata.decimal(c)) if not c.isascii() and c.isdecimal() else c for c in text
    ).encode()


def _inflate(value: bytes) -> bytes:
    # RQ keeps a job's pickled call and its traceback zlib-compressed.
    try:
        return zlib.decompress(value)
    except zlib.error:
        return b""
