"""Settings: defaults in code, environment overrides, a dict for tests."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, fields
from dataclasses import field as dataclass_field
from typing import Any, get_type_hints
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from config.settings_checks import (
    ConfigError,
    check_gateways,
    check_sentinels,
    simulate_gateways,
)


def _setting(default: Any, *, env: bool = True) -> Any:
    """A field of Settings; env=False: set by tests and tools, never read from the environment."""
    return dataclass_field(default=default, metadata={"env": env})


@dataclass(frozen=True, kw_only=True)
class Settings:
    """Every setting, typed, once: defaults here, then the environment, then a test's dict.

    Modules read `services.settings.timezone` (lower-case attributes); `settings["TIMEZONE"]`
    reads by the environment's name (and `{**settings}` gives the dict a test can pass again).
    Production has no default for a secret: load_settings refuses to start without them.
    """

    # -- where Baara runs
    baara_env: str = _setting("development")
    port: int = _setting(5000)
    simulator: bool | None = _setting(None)  # None: on in development, off in production
    # Reverse proxies in front of the web app whose X-Forwarded-* headers we trust (0: none).
    baara_proxy_hops: int = _setting(0)
    # Largest request body, bytes: AT callbacks are well under 2 KiB, admin forms a few KiB.
    max_content_length: int = _setting(64 * 1024)

    # -- Redis
    redis_url: str = _setting("redis://127.0.0.1:6379/0")
    # Redis Sentinel: 'host:port,...' of the sentinels and the name they monitor Baara's
    # primary under; then REDIS_URL gives only the database, user and password.
    redis_sentinels: str = _setting("")
    redis_sentinel_master: str = _setting("")
    # When the primary has replicas: how long (ms) an inbound SMS and a reply's claim wait for
    # one replica to hold them (WAIT 1 n), so a failover does not lose them; 0 turns it off.
    redis_replica_wait_ms: int = _setting(100)

    # -- secrets (no default: development fills in public values, production refuses to start)
    secret_key: str = _setting("")
    api_token: str = _setting("")
    webhook_token: str = _setting("")

    # -- Africa's Talking
    at_username: str = _setting("")
    at_api_key: str = _setting("")
    at_sender_id: str = _setting("")
    at_shortcode: str = _setting("")
    at_api_url: str = _setting("")
    # Recipients per AT request: fewer requests per fan-out (the SDK's own tests send 999).
    at_batch_size: int = _setting(1000)
    # Messages a second the operator's contract allows on the AT account, shared by every
    # worker (0: no limit); replies are guaranteed AT_REPLY_SHARE of each second, alerts the rest.
    at_max_tps: int = _setting(0)
    at_reply_share: float = _setting(0.3)
    # 'pool': one sender per deployment keeps REPLY_CONCURRENCY gateway requests in flight;
    # 'job': one RQ job (one blocking request) per reply, the design before issue 16.
    reply_sender: str = _setting("pool")
    reply_concurrency: int = _setting(64)

    # -- gateways beside AT (issue 17; README "Gateways"): enabled gateways in failover order
    # (the first is the default route), routes by operator, the circuit breaker (consecutive
    # failures that open it, cool-down seconds)
    gateways: str = _setting("africastalking")
    gateway_routes: str = _setting("")
    gateway_cooldown: float = _setting(60.0)
    gateway_failures: int = _setting(3)
    # Seconds Orange and SMSGate get to answer one request before it counts as a failure.
    gateway_timeout: float = _setting(15.0)
    orange_api_url: str = _setting("https://api.orange.com")
    orange_client_id: str = _setting("")
    orange_client_secret: str = _setting("")
    orange_sender_address: str = _setting("")
    orange_sender_name: str = _setting("")
    # Where Orange posts delivery receipts (https://.../orange/delivery?key=WEBHOOK_TOKEN).
    orange_notify_url: str = _setting("")
    orange_price: float = _setting(0.0)  # per SMS, SMS_CURRENCY; 0: SMS_PRICE
    # Messages a second Orange allows the application (it answers 429 beyond; 0: no limit),
    # shared by every worker like AT_MAX_TPS, with replies sure of AT_REPLY_SHARE of it.
    orange_max_tps: int = _setting(0)
    smsgate_url: str = _setting("https://api.sms-gate.app/3rdparty/v1")
    smsgate_login: str = _setting("")
    smsgate_password: str = _setting("")
    smsgate_signing_key: str = _setting("")
    smsgate_price: float = _setting(0.0)

    # -- time, money and the menu
    quiet_hours: str = _setting("21:00-07:00")
    timezone: str = _setting("Africa/Bamako")
    sms_price: float = _setting(25.0)
    sms_currency: str = _setting("XOF")
    ussd_code: str = _setting("*384*22#")
    # Day and local time of the relays' weekly digest; must fall outside QUIET_HOURS.
    relay_digest: str = _setting("mon 09:00")

    # -- sending
    # How long a worker holds an alert batch; longer than any AT request (SDK timeout ~12 s).
    fanout_lease_seconds: int = _setting(30)

    # -- flood control
    # Inbound SMS a number may send a minute before it is answered once and then ignored for
    # SMS_COOLDOWN seconds (0 turns it off).
    sms_rate_limit: int = _setting(10)
    sms_cooldown: int = _setting(600)
    # A walk through the menu is ~8 requests; 40 a minute is far past any person's pace.
    ussd_rate_limit: int = _setting(40)
    ussd_cooldown: int = _setting(300)

    # -- retention of the records each message leaves (fractions allowed): a number's history
    # (also capped at 30 lines), reply records, the delivery-report refs of replies, and the
    # AT ids remembered against callback retries (also capped at 50 per number).
    history_days: float = _setting(90.0)
    record_days: float = _setting(30.0)
    delivery_ref_days: float = _setting(14.0)
    seen_days: float = _setting(7.0)

    # -- set by tests and tools, never by the environment
    testing: bool = _setting(False, env=False)
    rq_sync: bool = _setting(False, env=False)  # run RQ jobs inline, in the caller
    queues: tuple[str, str, str] = _setting(
        ("baara-replies", "baara-alerts", "baara-default"), env=False
    )
    reference_dir: str = _setting("", env=False)  # another config/ folder's reference data

    @property
    def production(self) -> bool:
        """BAARA_ENV is production."""
        return self.baara_env == "production"

    @property
    def quiet_hours_parsed(self) -> tuple[tuple[int, int], tuple[int, int]] | None:
        """QUIET_HOURS as ((21, 0), (7, 0)); None when empty."""
        return parse_quiet_hours(self.quiet_hours)

    @property
    def zone(self) -> ZoneInfo:
        """TIMEZONE as a ZoneInfo."""
        return ZoneInfo(self.timezone)

    def flask_config(self) -> dict[str, Any]:
        """Flask's own keys (app.config): its secret, body limit, test mode and cookies."""
        return {
            "SECRET_KEY": self.secret_key,
            "MAX_CONTENT_LENGTH": self.max_content_length,
            "TESTING": self.testing,
            "SESSION_COOKIE_HTTPONLY": True,
            "SESSION_COOKIE_SAMESITE": "Lax",
            "SESSION_COOKIE_SECURE": self.production,
        }

    def keys(self) -> list[str]:
        """The settings' environment names (so `{**settings}` is a dict load_settings takes)."""
        return [name.upper() for name in _FIELDS]

    def __getitem__(self, name: str) -> Any:
        """A setting by its environment name ('TIMEZONE'), or a Flask key flask_config() gives."""
        if name.lower() in _FIELDS:
            return getattr(self, name.lower())
        if name == "QUIET_HOURS_PARSED":
            return self.quiet_hours_parsed
        if name in (flask := self.flask_config()):
            return flask[name]
        raise KeyError(name)


_FIELDS = {f.name: f for f in fields(Settings)}
_KINDS: dict[str, Any] = get_type_hints(Settings)
#: Every setting Baara reads from the environment, with its type.
SETTINGS: dict[str, type] = {
    name.upper(): (bool if _KINDS[name] == bool | None else _KINDS[name])
    for name, f in _FIELDS.items()
    if f.metadata["env"]
}
#: The defaults, by environment name (safe for production: no secret has one).
DEFAULTS: dict[str, Any] = {name.upper(): f.default for name, f in _FIELDS.items()}

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
PUBLIC_VALUES = {
    "SECRET_KEY": {"dev-only-secret-key"},
    "API_TOKEN": {"dev-api-token"},
    "AT_API_KEY": {"simulated"},
}

QUEUES: tuple[str, str, str] = DEFAULTS["QUEUES"]

_QUIET = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)-([01]?\d|2[0-3]):([0-5]\d)$")


def _coerce(name: str, value: Any, kind: type) -> Any:
    if kind is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
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
        settings.get("API_TOKEN"),
        settings.get("SECRET_KEY"),
    ):
        problems.append("WEBHOOK_TOKEN: the same value as API_TOKEN or SECRET_KEY")
    return problems


def load_settings(
    overrides: Mapping[str, Any] | None = None, environ: Mapping[str, str] | None = None
) -> Settings:
    """Defaults, then the environment, then overrides (by environment name); checked, frozen."""
    environ = os.environ if environ is None else environ
    overrides = dict(overrides or {})
    unknown = sorted(name for name in overrides if name not in DEFAULTS)
    if unknown:
        raise ConfigError("unknown setting(s): " + ", ".join(unknown))
    settings: dict[str, Any] = dict(DEFAULTS)
    for name, kind in SETTINGS.items():
        if name in environ:
            settings[name] = _coerce(name, environ[name], kind)
    for name, value in overrides.items():
        settings[name] = _coerce(name, value, SETTINGS[name]) if name in SETTINGS else value
    settings["QUEUES"] = tuple(settings["QUEUES"])
    settings["TESTING"] = bool(settings["TESTING"])
    settings["RQ_SYNC"] = bool(settings["RQ_SYNC"])

    env = settings["BAARA_ENV"]
    if env not in ("development", "production"):
        raise ConfigError(f"BAARA_ENV must be development or production, got {env!r}")
    production = env == "production"

    if production:
        missing = [n for n in REQUIRED_IN_PRODUCTION if not settings.get(n)]
        if missing:
            raise ConfigError("Baara refuses to start in production without: " + ", ".join(missing))
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
        simulate_gateways(settings)
    if settings["SIMULATOR"] is None:
        settings["SIMULATOR"] = not production

    check_sentinels(settings)
    check_gateways(settings)
    if settings["AT_BATCH_SIZE"] < 1:
        raise ConfigError("AT_BATCH_SIZE must be at least 1")
    for name in ("AT_MAX_TPS", "ORANGE_MAX_TPS"):
        if settings[name] < 0:
            raise ConfigError(f"{name} must not be negative (0: no limit)")
    if not 0 < settings["AT_REPLY_SHARE"] < 1:
        raise ConfigError("AT_REPLY_SHARE must be between 0 and 1")
    if settings["REPLY_SENDER"] not in ("pool", "job"):
        raise ConfigError("REPLY_SENDER must be 'pool' or 'job'")
    if not 1 <= settings["REPLY_CONCURRENCY"] <= 512:
        raise ConfigError("REPLY_CONCURRENCY must be between 1 and 512")
    for name in (
        "SMS_RATE_LIMIT",
        "SMS_COOLDOWN",
        "USSD_RATE_LIMIT",
        "USSD_COOLDOWN",
        "BAARA_PROXY_HOPS",
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
    _check_digest(settings["RELAY_DIGEST"], parse_quiet_hours(settings["QUIET_HOURS"]))
    try:
        ZoneInfo(settings["TIMEZONE"])
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(f"TIMEZONE is not a known time zone: {settings['TIMEZONE']!r}") from None
    return Settings(**{name.lower(): value for name, value in settings.items()})
