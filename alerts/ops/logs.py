"""Logging: phone numbers masked and secrets redacted in every record; JSON lines in production.

Numbers are masked in every spelling they reach a log in: E.164, URL-encoded (%2B223…), without
'+', local 8 digits, spaced or dashed, in any script's digits. Secrets are redacted wherever they
travel: `key=` (AT callbacks), tokens, passwords, session ids, `Authorization: Bearer …`.
"""

from __future__ import annotations

import json
import logging
import re
import unicodedata
from datetime import UTC, datetime
from typing import Any

from flask import Flask

from config.settings import Settings

# A run of 8 to 15 digits (any script), maybe after '+' (or its URL encoding %2B), maybe with
# single separators: space, dot, dash, no-break space, or their URL encodings; '+' between digits
# is a space in a URL-encoded form. Which runs are phone numbers is decided by _mask_run.
_SEP = r"(?:[ .\-\u00a0+]|%20|%2[dD]|%C2%A0)"
_RUN = re.compile(rf"(?<![\w*%])(\+|%2[bB])?(\d(?:{_SEP}?\d){{7,14}})(?![\w*])")
_SEP_SPLIT = re.compile(_SEP)
_SEP_PARTS = re.compile(f"({_SEP})")
#: Group sizes (between separators) of numbers written without '+': local 8 digits, 223 + 8,
#: 00223 + 8. Dates and times (2026-11-23, 10.12.34.56?) have other shapes and stay readable.
_LOCAL_SHAPES = {(8,), (2, 2, 2, 2), (4, 4), (2, 3, 3)}
_NATIONAL_SHAPES = {
    (11,),
    (3, 8),
    (3, 2, 2, 2, 2),
    (3, 4, 4),
    (13,),
    (5, 8),
    (5, 2, 2, 2, 2),
    (2, 3, 2, 2, 2, 2),
    (2, 3, 8),
}
#: Secrets that travel in URLs, forms and headers: the value is replaced, the name kept.
_SECRET_PARAM = re.compile(
    r"(?i)\b(key|api_?key|token|access_token|password|passwd|secret|csrf_token|sid|session)"
    r"(=|%3D|\"?\s*:\s*\"?)([^&\s\"',;]+)"
)
_BEARER = re.compile(r"(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]+")


def _star_after(run: str, keep: int) -> str:
    """Every digit of a run after the first `keep` as '*'; separators (even %20) unchanged."""
    parts, seen = _SEP_PARTS.split(run), 0
    for i in range(0, len(parts), 2):  # even parts are digits, odd parts separators
        digits = []
        for ch in parts[i]:
            seen += 1
            digits.append(ch if seen <= keep else "*")
        parts[i] = "".join(digits)
    return "".join(parts)


def _mask_run(m: re.Match) -> str:
    plus, run = m.group(1), m.group(2)
    if plus:  # E.164 in any spelling: country code and the first digits stay, for support
        return plus + _star_after(run, 7)
    groups = _SEP_SPLIT.split(run)
    digits = "".join(str(unicodedata.decimal(ch)) for group in groups for ch in group)
    shape = tuple(len(g) for g in groups)
    if len(digits) == 8 and digits[0] >= "2" and shape in _LOCAL_SHAPES:
        return _star_after(run, 4)
    if shape in _NATIONAL_SHAPES and (
        (len(digits) == 11 and digits.startswith("223"))
        or (len(digits) == 13 and digits.startswith("00223"))
    ):
        return _star_after(run, len(digits) - 4)
    return m.group(0)


def mask_phones(text: str) -> str:
    """'+22376123456' -> '+2237612****', '76 12 34 56' -> '76 12 ** **', '%2B223…' too."""
    return _RUN.sub(_mask_run, text)


def redact_secrets(text: str) -> str:
    """'?key=abc&x=1' -> '?key=[redacted]&x=1'; 'Bearer abc' -> 'Bearer [redacted]'."""
    text = _SECRET_PARAM.sub(lambda m: f"{m.group(1)}{m.group(2)}[redacted]", text)
    return _BEARER.sub(lambda m: f"{m.group(1)} [redacted]", text)


def scrub(text: str) -> str:
    """What may be logged of a text: secrets redacted, phone numbers masked."""
    return mask_phones(redact_secrets(text))


#: LogRecord attributes that are not "extra" fields.
_STANDARD = set(vars(logging.makeLogRecord({}))) | {"message", "asctime", "taskName"}


class PhoneMaskFilter(logging.Filter):
    """Replaces a record's message (and traceback) with a masked copy; never drops it."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Mask in place; always keep the record."""
        if getattr(record, "_baara_masked", False):
            return True
        try:
            message = record.getMessage()
        except Exception:  # a broken format string: let logging report it as usual
            return True
        record.msg, record.args = scrub(message), None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = scrub(record.exc_text)
        record._baara_masked = True
        return True


_FILTER = PhoneMaskFilter()


def install_masking() -> None:
    """Mask every record created from now on, whichever logger or handler it goes to.

    A filter on a logger sees only records logged on that very logger, not those propagated
    from its children, and handlers (gunicorn's, pytest's, RQ's) come and go: so the filter runs
    from the record factory, once per record, and also sits on the root and RQ loggers.
    """
    factory = logging.getLogRecordFactory()
    if getattr(factory, "_baara_masking", False):
        return

    def masked_record(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = factory(*args, **kwargs)
        _FILTER.filter(record)
        return record

    masked_record._baara_masking = True  # type: ignore[attr-defined]
    logging.setLogRecordFactory(masked_record)
    for name in ("", "rq", "rq.worker", "rq.scheduler"):
        logger = logging.getLogger(name)
        if _FILTER not in logger.filters:
            logger.addFilter(_FILTER)


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, extras, traceback."""

    def format(self, record: logging.LogRecord) -> str:
        """The record as a single JSON line."""
        entry: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        for key, value in vars(record).items():
            if key not in _STANDARD and not key.startswith("_"):
                entry[key] = value if isinstance(value, str | int | float | bool) else str(value)
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            entry["exc"] = record.exc_text
        return json.dumps(entry, ensure_ascii=False)


def configure(production: bool, level: int = logging.INFO) -> None:
    """Masking always; in production, JSON lines on stderr from the root logger."""
    install_masking()
    if not production:
        return
    root = logging.getLogger()
    plain = [h for h in root.handlers if type(h) is logging.StreamHandler]
    for handler in plain:  # basicConfig's: same stream, now one JSON line per event
        handler.setFormatter(JsonFormatter())
    if not root.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(JsonFormatter())
        root.addHandler(handler)
    root.setLevel(level)


def init_app(app: Flask, settings: Settings) -> None:
    """Configure logging for this process from the app's BAARA_ENV."""
    configure(settings.production)
