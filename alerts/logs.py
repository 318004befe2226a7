"""Logging: phone numbers masked in every record; one JSON line per event in production."""

from __future__ import annotations

import json
import logging
import re
from datetime import UTC, datetime
from typing import Any

from flask import Flask

# E.164 (+22376123456), the same without '+' or with 00, and Malian 8-digit numbers (76123456).
_PHONE = re.compile(r"(?<![\w*])(\+\d{4,11}|(?:00)?223\d{4}|[2-9]\d{3})(\d{4})(?![\w*])")

#: LogRecord attributes that are not "extra" fields.
_STANDARD = set(vars(logging.makeLogRecord({}))) | {"message", "asctime", "taskName"}


def mask_phones(text: str) -> str:
    """'+22376123456' -> '+2237612****', '76123456' -> '7612****'; other text unchanged."""
    return _PHONE.sub(lambda m: m.group(1) + "****", text)


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
        record.msg, record.args = mask_phones(message), None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = mask_phones(record.exc_text)
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


def init_app(app: Flask) -> None:
    """Configure logging for this process from the app's BAARA_ENV."""
    configure(app.config["BAARA_ENV"] == "production")
