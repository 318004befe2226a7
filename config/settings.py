"""Settings: defaults in code, environment overrides, a dict for tests."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


class ConfigError(RuntimeError):
    """A setting is missing or malformed; the message names it."""


#: Every setting Baara reads from the environment, with its type.
SETTINGS: dict[str, type] = {
    "BAARA_ENV": str,
    "REDIS_URL": str,
    "REDIS_SENTINELS": str,
    "REDIS_SENTINEL_MASTER": str,
    "REDIS_REPLICA_WAIT_MS": int,
    "SECRET_KEY": str,
    "AT_USERNAME": str,
    "AT_API_KEY": str,
    "AT_SENDER_ID": str,
    "AT_SHORTCODE": str,
    "AT_API_URL": str,
    "AT_BATCH_SIZE": int,
    # Issue 17: gateways beside AT (one contiguous block; README "Gateways").
    "GATEWAYS": str,
    "GATEWAY_ROUTES": str,
    "GATEWAY_COOLDOWN": float,
    "GATEWAY_FAILURES": int,
    "GATEWAY_TIMEOUT": float,
    "ORANGE_API_URL": str,
    "ORANGE_CLIENT_ID": str,
    "ORANGE_CLIENT_SECRET": str,
    "ORANGE_SENDER_ADDRESS": str,
    "ORANGE_SENDER_NAME": str,
    "ORANGE_NOTIFY_URL": str,
    "ORANGE_PRICE": float,
    "SMSGATE_URL": str,
    "SMSGATE_LOGIN": str,
    "SMSGATE_PASSWORD": str,
    "SMSGATE_SIGNING_KEY": str,
    "SMSGATE_PRICE": float,
    "API_TOKEN": str,
    "WEBHOOK_TOKEN": str,
    "QUIET_HOURS": str,
    "TIMEZONE": str,
    "SMS_PRICE": float,
    "SMS_CURRENCY": str,
    "PORT": int,
    "SIMULATOR": bool,
    "USSD_CODE": str,
    "RELAY_DIGEST": str,
    "FANOUT_LEASE_SECONDS": int,
    "SMS_RATE_LIMIT": int,
    "SMS_COOLDOWN": int,
    "USSD_RATE_LIMIT": int,
    "USSD_COOLDOWN": int,
    "MAX_CONTENT_LENGTH": int,
    "BAARA_PROXY_HOPS": int,
    "HISTORY_DAYS": float,
    "RECORD_DAYS": float,
    "DELIVERY_REF_DAYS": float,
    "SEEN_DAYS": float,
}

#: Safe for production: no secret has a default here.
DEFAULTS: dict[str, Any] = {
    "BAARA_ENV": "development",
    "REDIS_URL": "redis://127.0.0.1:6379/0",
    # Redis Sentinel: 'host:port,...' of the sentinels and the name they monitor Baara's
    # primary under; then REDIS_URL gives only the database, user and password.
    "REDIS_SENTINELS": "",
    "REDIS_SENTINEL_MASTER": "",
    # When the primary has replicas: how long (ms) an inbound SMS and a reply's claim wait for
    # one replica to hold them (WAIT 1 n), so a failover does not lose them; 0 turns it off.
    "REDIS_REPLICA_WAIT_MS": 100,
    "SECRET_KEY": "",
    "AT_USERNAME": "",
    "AT_API_KEY": "",
    "AT_SENDER_ID": "",
    "AT_SHORTCODE": "",
    "AT_API_URL": "",
    # Recipients per AT request: fewer requests per fan-out (the SDK's own tests send 999).
    "AT_BATCH_SIZE": 1000,
    # Issue 17: enabled gateways in failover order (the first is the default route), routes
    # by operator, the circuit breaker (consecutive failures that open it, cool-down seconds).
    "GATEWAYS": "africastalking",
    "GATEWAY_ROUTES": "",
    "GATEWAY_COOLDOWN": 60.0,
    "GATEWAY_FAILURES": 3,
    # Seconds Orange and SMSGate get to answer one request before it counts as a failure.
    "GATEWAY_TIMEOUT": 15.0,
    "ORANGE_API_URL": "https://api.orange.com",
    "ORANGE_CLIENT_ID": "",
    "ORANGE_CLIENT_SECRET": "",
    "ORANGE_SENDER_ADDRESS": "",
    "ORANGE_SENDER_NAME": "",
    # Where Orange posts delivery receipts (https://.../orange/delivery?key=WEBHOOK_TOKEN).
    "ORANGE_NOTIFY_URL": "",
    "ORANGE_PRICE": 0.0,  # per SMS, SMS_CURRENCY; 0: SMS_PRICE
    "SMSGATE_URL": "https://api.sms-gate.app/3rdparty/v1",
    "SMSGATE_LOGIN": "",
    "SMSGATE_PASSWORD": "",
    "SMSGATE_SIGNING_KEY": "",
    "SMSGATE_PRICE": 0.0,
    "API_TOKEN": "",
    "WEBHOOK_TOKEN": "",
    "QUIET_HOURS": "21:00-07:00",
    "TIMEZONE": "Africa/Bamako",
    "SMS_PRICE": 25.0,
    "SMS_CURRENCY": "XOF",
    "PORT": 5000,
    "SIMULATOR": None,  # None: on in development, off in production
    "USSD_CODE": "*384*22#",
    # Day and local time of the relays' weekly digest; must fall outside QUIET_HOURS.
    "RELAY_DIGEST": "mon 09:00",
    # How long a worker holds an alert batch; longer than any AT request (SDK timeout ~12 s).
    "FANOUT_LEASE_SECONDS": 30,
    # Inbound SMS a number may send a minute before it is answered once and then ignored for
    # SMS_COOLDOWN seconds (0 turns it off).
    "SMS_RATE_LIMIT": 10,
    "SMS_COOLDOWN": 600,
    # A walk through the menu is ~8 requests; 40 a minute is far past any person's pace.
    "USSD_RATE_LIMIT": 40,
    "USSD_COOLDOWN": 300,
    # Largest request body, bytes: AT callbacks are well under 2 KiB, admin forms a few KiB.
    "MAX_CONTENT_LENGTH": 64 * 1024,
    # Reverse proxies in front of the web app whose X-Forwarded-* headers we trust (0: none).
    "BAARA_PROXY_HOPS": 0,
    # Retention of the records each message leaves (fractions allowed): a number's history
    # (also capped at 30 lines), reply records, the delivery-report refs of replies, and the
    # AT ids remembered against callback retries (also capped at 50 per number).
    "HISTORY_DAYS": 90.0,
    "RECORD_DAYS": 30.0,
    "DELIVERY_REF_DAYS": 14.0,
    "SEEN_DAYS": 7.0,
}

#: Local-only values so `make run` works with no configuration at all.
DEVELOPMENT_DEFAULTS: dict[str, Any] = {
    "SECRET_KEY": "dev-only-secret-key",
    "API_TOKEN": "dev-api-token",
}

REQUIRED_IN_PRODUCTION = ("SECRET_KEY", "API_TOKEN", "WEBHOOK_TOKEN", "AT_USERNAME", "AT_API_KEY")
#: Secrets that guard something an attacker wants (sessions, the API, the webhooks): production
#: wants at least this many characters of them (`python -c "import secrets;
#: print(secrets.token_urlsafe(32))"` makes one), and never a value published in this repository.
STRONG_SECRETS = ("SECRET_KEY", "API_TOKEN", "WEBHOOK_TOKEN")
MIN_SECRET_LENGTH = 32
#: The values development fills in (and the README shows): public, so refused in production.
PUBLIC_VALUES = {"SECRET_KEY": {"dev-only-secret-key"}, "API_TOKEN": {"dev-api-token"},
                 "AT_API_KEY": {"simulated"}}

QUEUES = ("baara-replies", "baara-alerts", "baara-default")

_QUIET = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)-([01]?\d|2[0-3]):([0-5]\d)$")


def _coerce(name: str, value: Any, kind: type) -> Any:
    if not isinstance(value, str) or kind is str:
        return value
    value = value.strip()
    try:
        if kind is bool:
            if value.lower() in ("1", "true", "yes", "on"):
                return True
            if value.lower() in ("0", "false", "no", "off", ""):
                return False
            raise ValueError(value)
        return kind(value)
    except ValueError:
        raise ConfigError(f"{name} must be {kind.__name__}, got {value!r}") from None


def parse_quiet_hours(value: str) -> tuple[tuple[int, int], tuple[int, int]] | None:
    """'21:00-07:00' -> ((21, 0), (7, 0)); empty -> None."""
    value = (value or "").strip()
    if not value:
        return None
    m = _QUIET.match(value)
    if not m:
        raise ConfigError(f"QUIET_HOURS must look like 21:00-07:00, got {value!r}")
    h1, m1, h2, m2 = (int(g) for g in m.groups())
    return (h1, m1), (h2, m2)


_DIGEST = re.compile(r"^(mon|tue|wed|thu|fri|sat|sun)\s+([01]?\d|2[0-3]):([0-5]\d)$", re.I)


def _check_digest(value: str, quiet: tuple[tuple[int, int], tuple[int, int]] | None) -> None:
    m = _DIGEST.match((value or "").strip())
    if not m:
        raise ConfigError(f"RELAY_DIGEST must look like 'mon 09:00', got {value!r}")
    if quiet:
        minutes = int(m.group(2)) * 60 + int(m.group(3))
        (h1, m1), (h2, m2) = quiet
        start, end = h1 * 60 + m1, h2 * 60 + m2
        inside = start <= minutes < end if start < end else (minutes >= start or minutes < end)
        if inside:
            raise ConfigError(f"RELAY_DIGEST {value!r} falls inside QUIET_HOURS")


def weak_secrets(settings: Mapping[str, Any]) -> list[str]:
    """Why each production secret is unfit ('API_TOKEN: shorter than 32 characters'), if any."""
    problems = []
    for name in (*STRONG_SECRETS, "AT_API_KEY"):
        value = str(settings.get(name) or "")
        if value in PUBLIC_VALUES.get(name, ()):
            problems.append(f"{name}: the public development value")
        elif name in STRONG_SECRETS and len(value) < MIN_SECRET_LENGTH:
            problems.append(f"{name}: shorter than {MIN_SECRET_LENGTH} characters")
        elif name in STRONG_SECRETS and len(set(value)) < 8:
            problems.append(f"{name}: fewer than 8 different characters")
    # The webhook token travels in AT's callback URLs (and their logs): it must not open the API.
    if settings.get("WEBHOOK_TOKEN") and settings.get("WEBHOOK_TOKEN") in (
        settings.get("API_TOKEN"), settings.get("SECRET_KEY")
    ):
        problems.append("WEBHOOK_TOKEN: the same value as API_TOKEN or SECRET_KEY")
    return problems


_SENTINEL = re.compile(r"^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9_.-]+):(\d{1,5})$")


def _check_sentinels(settings: dict[str, Any]) -> None:
    """REDIS_SENTINELS must be host:port,...; with them, REDIS_SENTINEL_MASTER is required."""
    value = (settings["REDIS_SENTINELS"] or "").strip()
    if not value:
        return
    for item in value.split(","):
        if not _SENTINEL.match(item.strip()):
            raise ConfigError(f"REDIS_SENTINELS must look like host:port,host:port; "
                              f"got {item.strip()!r}")
    if not (settings["REDIS_SENTINEL_MASTER"] or "").strip():
        raise ConfigError("REDIS_SENTINEL_MASTER is required with REDIS_SENTINELS")
    if settings["REDIS_REPLICA_WAIT_MS"] < 0:
        raise ConfigError("REDIS_REPLICA_WAIT_MS must not be negative")


def _check_gateways(settings: dict[str, Any]) -> None:
    """GATEWAYS and GATEWAY_ROUTES name known gateways and operators (issue 17)."""
    known = ("africastalking", "orange", "smsgate")
    names = [n.strip().lower() for n in settings["GATEWAYS"].split(",") if n.strip()]
    if not names or any(n not in known for n in names) or len(set(names)) != len(names):
        raise ConfigError(f"GATEWAYS must list some of {', '.join(known)} once each")
    for pair in (p.strip() for p in settings["GATEWAY_ROUTES"].split(",") if p.strip()):
        operator, _, gateway = (x.strip().lower() for x in pair.partition("="))
        if operator not in ("orange", "moov", "telecel") or gateway not in names:
            raise ConfigError(f"GATEWAY_ROUTES: {pair!r} is not operator=enabled gateway")
    if settings["GATEWAY_FAILURES"] < 1 or settings["GATEWAY_COOLDOWN"] < 0:
        raise ConfigError("GATEWAY_FAILURES must be at least 1, GATEWAY_COOLDOWN not negative")
    if settings["GATEWAY_TIMEOUT"] <= 0:
        raise ConfigError("GATEWAY_TIMEOUT must be positive")


def _simulate_gateways(settings: dict[str, Any]) -> None:
    """Development: Orange and SMSGate without credentials go to the app's own simulators."""
    base = f"http://127.0.0.1:{settings['PORT']}"
    names = [n.strip().lower() for n in settings["GATEWAYS"].split(",")]
    if "orange" in names and not settings["ORANGE_CLIENT_ID"]:
        settings.update(ORANGE_CLIENT_ID="simulated", ORANGE_CLIENT_SECRET="simulated",
                        ORANGE_API_URL=f"{base}/simulator/orange",
                        ORANGE_SENDER_ADDRESS=settings["ORANGE_SENDER_ADDRESS"]
                        or "tel:+22370000000",
                        ORANGE_NOTIFY_URL=settings["ORANGE_NOTIFY_URL"]
                        or f"{base}/orange/delivery")
    if "smsgate" in names and not settings["SMSGATE_PASSWORD"]:
        settings.update(SMSGATE_URL=f"{base}/simulator/smsgate", SMSGATE_LOGIN="simulated",
                        SMSGATE_PASSWORD="simulated",
                        SMSGATE_SIGNING_KEY=settings["SMSGATE_SIGNING_KEY"] or "simulated")


def load_settings(
    overrides: Mapping[str, Any] | None = None, environ: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """Defaults, then the environment, then overrides; checked."""
    environ = os.environ if environ is None else environ
    overrides = dict(overrides or {})
    settings: dict[str, Any] = dict(DEFAULTS)
    for name, kind in SETTINGS.items():
        if name in environ:
            settings[name] = _coerce(name, environ[name], kind)
    for name, value in overrides.items():
        kind = SETTINGS.get(name)
        settings[name] = _coerce(name, value, kind) if kind else value

    env = settings["BAARA_ENV"]
    if env not in ("development", "production"):
        raise ConfigError(f"BAARA_ENV must be development or production, got {env!r}")
    production = env == "production"

    if production:
        missing = [n for n in REQUIRED_IN_PRODUCTION if not settings.get(n)]
        if missing:
            raise ConfigError(
                "Baara refuses to start in production without: " + ", ".join(missing)
            )
        if weak := weak_secrets(settings):
            raise ConfigError(
                "Baara refuses to start in production with weak secrets: " + "; ".join(weak)
            )
    else:
        for name, value in DEVELOPMENT_DEFAULTS.items():
            settings[name] = settings[name] or value
        if not settings["AT_USERNAME"] and not settings["AT_API_KEY"]:
            # No AT account: send through the simulated gateway served by the web app itself.
            settings["AT_USERNAME"] = "sandbox"
            settings["AT_API_KEY"] = "simulated"
            settings["AT_API_URL"] = (
                settings["AT_API_URL"]
                or f"http://127.0.0.1:{settings['PORT']}/simulator/at/version1"
            )
        _simulate_gateways(settings)
    if settings["SIMULATOR"] is None:
        settings["SIMULATOR"] = not production

    _check_sentinels(settings)
    _check_gateways(settings)
    if settings["AT_BATCH_SIZE"] < 1:
        raise ConfigError("AT_BATCH_SIZE must be at least 1")
    for name in (
        "SMS_RATE_LIMIT", "SMS_COOLDOWN", "USSD_RATE_LIMIT", "USSD_COOLDOWN", "BAARA_PROXY_HOPS"
    ):
        if settings[name] < 0:
            raise ConfigError(f"{name} must not be negative")
    if settings["MAX_CONTENT_LENGTH"] < 1024:
        raise ConfigError("MAX_CONTENT_LENGTH must be at least 1024 bytes")
    for name in ("HISTORY_DAYS", "RECORD_DAYS", "DELIVERY_REF_DAYS", "SEEN_DAYS"):
        if not settings[name] * 86400 >= 1:
            raise ConfigError(f"{name} must be at least one second (in days)")
    if settings["SMS_PRICE"] < 0:
        raise ConfigError("SMS_PRICE must not be negative")
    settings["QUIET_HOURS_PARSED"] = parse_quiet_hours(settings["QUIET_HOURS"])
    _check_digest(settings["RELAY_DIGEST"], settings["QUIET_HOURS_PARSED"])
    try:
        ZoneInfo(settings["TIMEZONE"])
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(f"TIMEZONE is not a known time zone: {settings['TIMEZONE']!r}") from None

    settings["QUEUES"] = list(overrides.get("QUEUES", QUEUES))
    settings["TESTING"] = bool(overrides.get("TESTING", False))
    settings["SESSION_COOKIE_HTTPONLY"] = True
    settings["SESSION_COOKIE_SAMESITE"] = "Lax"
    settings["SESSION_COOKIE_SECURE"] = production
    return settings
