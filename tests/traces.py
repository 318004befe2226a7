"""Find a phone number anywhere in Redis, in any form: the erasure tests' (and anyone's) scan.

Reads every key of the database with a binary client: the key's name, and every value of every
type (strings, hash fields and values, list items, set and sorted-set members, stream entries),
also zlib-inflated (RQ keeps a job's pickled call and traceback compressed). A value mentions
the number when a run of digits in it, separators (space, dot, dash) taken out, contains the
national number: so +22376123456, 0022376123456, 22376123456, 76123456, "76 12 34 56",
"%2B223...", and the same in fullwidth, Arabic-Indic or N'Ko digits all count. Deliberately
broader than the erasure's own patterns, and written apart from them, so that a gap in one is
not hidden by the same gap in the other.
"""

from __future__ import annotations

import re
import unicodedata
import zlib
from collections.abc import Iterator

import phonenumbers
import redis as redis_lib

_RUN = re.compile(rb"[0-9](?:[ .\-]?[0-9])*")
_SEPARATORS = re.compile(rb"[ .\-]")


def national_digits(phone: str) -> bytes:
    """'+22376123456' -> b'76123456'."""
    return phonenumbers.national_significant_number(phonenumbers.parse(phone, None)).encode()


def _ascii_digits(blob: bytes) -> bytes:
    text = blob.decode("utf-8", "ignore")
    return "".join(str(unicodedata.digit(c, c)) if c.isdigit() else c for c in text).encode()


def mentions(blob: bytes, national: bytes) -> bool:
    """Whether a digit run in blob (or in blob inflated), any Unicode digit read as its ASCII
    value, holds the national number."""
    for data in (blob, _inflate(blob)):
        for run in _RUN.finditer(data + b"\n" + _ascii_digits(data)):
            if national in _SEPARATORS.sub(b"", run.group()):
                return True
    return False


def _inflate(blob: bytes) -> bytes:
    try:
        return zlib.decompress(blob)
    except zlib.error:
        return b""


def _binary(client: redis_lib.Redis) -> redis_lib.Redis:
    kwargs = {**client.connection_pool.connection_kwargs, "decode_responses": False}
    return redis_lib.Redis(
        connection_pool=redis_lib.ConnectionPool(
            connection_class=client.connection_pool.connection_class, **kwargs
        )
    )


def _values(raw: redis_lib.Redis, key: bytes, kind: bytes) -> Iterator[tuple[str, bytes]]:
    if kind == b"string":
        yield "value", raw.get(key) or b""
    elif kind == b"hash":
        for name, value in raw.hgetall(key).items():
            yield "field", name
            yield f"field {name[:40]!r}", value
    elif kind == b"list":
        for i, item in enumerate(raw.lrange(key, 0, -1)):
            yield f"item {i}", item
    elif kind == b"set":
        for member in raw.smembers(key):
            yield "member", member
    elif kind == b"zset":
        for member in raw.zrange(key, 0, -1):
            yield "member", member
    elif kind == b"stream":
        for entry_id, fields in raw.xrange(key):
            for name, value in fields.items():
                yield f"entry {entry_id!r}", name + b"=" + value
    else:
        raise AssertionError(f"{key!r}: a Redis type the scan does not read: {kind!r}")


def number_traces(client: redis_lib.Redis, phone: str) -> list[str]:
    """Every place in the database that names the number: '<key>: <where>: <excerpt>'."""
    national = national_digits(phone)
    raw = _binary(client)
    found = []
    try:
        for key in raw.scan_iter(count=1000):
            if mentions(key, national):
                found.append(f"{key!r}: key name")
                continue
            kind = raw.type(key)
            for where, blob in _values(raw, key, kind):
                if mentions(blob, national):
                    shown = _inflate(blob) or blob
                    found.append(f"{key!r}: {where}: {shown[:160]!r}")
    finally:
        raw.close()
    return found
