"""Settings: defaults, environment overrides, production refusals."""

import dataclasses
import re

import pytest

from config.settings import (
    DEFAULTS,
    REQUIRED_IN_PRODUCTION,
    SETTINGS,
    ConfigError,
    Settings,
    load_settings,
    parse_quiet_hours,
)
from tests.conftest import PRODUCTION_SECRETS, ROOT

PROD_OK = {"BAARA_ENV": "production", **PRODUCTION_SECRETS}


def test_development_needs_nothing():
    s = load_settings(environ={})
    assert s["BAARA_ENV"] == "development"
    assert s["SECRET_KEY"] and s["API_TOKEN"]
    assert s["AT_API_URL"] == "http://127.0.0.1:5000/simulator/at/version1"
    assert s["SIMULATOR"] is True
    assert s["TIMEZONE"] == "Africa/Bamako"
    assert s["QUIET_HOURS_PARSED"] == ((21, 0), (7, 0))


def test_environment_overrides_defaults_and_overrides_win():
    s = load_settings({"AT_BATCH_SIZE": 7}, environ={"AT_BATCH_SIZE": "250", "SMS_PRICE": "30"})
    assert s["AT_BATCH_SIZE"] == 7
    assert s["SMS_PRICE"] == 30.0


def test_real_credentials_keep_the_real_gateway():
    s = load_settings(environ={"AT_USERNAME": "baara", "AT_API_KEY": "k"})
    assert s["AT_API_URL"] == ""


@pytest.mark.parametrize(
    "missing",
    ["SECRET_KEY", "API_TOKEN", "WEBHOOK_TOKEN", "AT_USERNAME", "AT_API_KEY"],
)
def test_production_refuses_to_start_naming_what_is_missing(missing):
    env = {k: v for k, v in PROD_OK.items() if k != missing}
    with pytest.raises(ConfigError, match=missing):
        load_settings(environ=env)


LONG = "x1y2z3w4-" * 4


@pytest.mark.parametrize(
    ("changes", "named"),
    [
        pytest.param(
            {"SECRET_KEY": "dev-only-secret-key"},
            ["SECRET_KEY: the public"],
            id="development-secret-key",
        ),
        pytest.param(
            {"API_TOKEN": "dev-api-token"}, ["API_TOKEN: the public"], id="development-api-token"
        ),
        pytest.param(
            {"AT_API_KEY": "simulated"}, ["AT_API_KEY: the public"], id="simulated-at-key"
        ),
        pytest.param(
            {"WEBHOOK_TOKEN": "w"},
            ["WEBHOOK_TOKEN: shorter than 32"],
            id="one-letter-webhook-token",
        ),
        pytest.param(
            {"SECRET_KEY": LONG[:31]},
            ["SECRET_KEY: shorter than 32"],
            id="secret-key-31-characters",
        ),
        pytest.param(
            {"API_TOKEN": "a" * 40},
            ["API_TOKEN: fewer than 8 different"],
            id="api-token-one-letter-repeated",
        ),
        pytest.param(
            {"WEBHOOK_TOKEN": PRODUCTION_SECRETS["API_TOKEN"]},
            ["WEBHOOK_TOKEN: the same value as API_TOKEN"],
            id="webhook-token-is-api-token",
        ),
        pytest.param(
            {"SECRET_KEY": "s", "API_TOKEN": "t", "WEBHOOK_TOKEN": "w"},
            ["SECRET_KEY: shorter", "API_TOKEN: shorter", "WEBHOOK_TOKEN: shorter"],
            id="all-three-short",
        ),
    ],
)
def test_production_refuses_weak_secrets_and_says_which(changes, named):
    with pytest.raises(ConfigError) as refused:
        load_settings(environ={**PROD_OK, **changes})
    message = str(refused.value)
    assert "weak secrets" in message
    for part in named:
        assert part in message
    for name in ("SECRET_KEY", "API_TOKEN", "WEBHOOK_TOKEN", "AT_API_KEY"):
        if not any(part.startswith(name) for part in named):
            assert f"{name}:" not in message  # only the guilty ones are named
    assert all(value not in message for value in changes.values() if len(value) > 2)


def test_development_keeps_its_defaults():
    s = load_settings(environ={"WEBHOOK_TOKEN": "w"})
    assert s["SECRET_KEY"] == "dev-only-secret-key" and s["WEBHOOK_TOKEN"] == "w"


def test_production_with_everything_starts_without_simulator():
    s = load_settings(environ=PROD_OK)
    assert s["SIMULATOR"] is False
    assert s["SESSION_COOKIE_SECURE"] is True


@pytest.mark.parametrize(
    "env,name",
    [
        ({"AT_BATCH_SIZE": "many"}, "AT_BATCH_SIZE"),
        ({"AT_BATCH_SIZE": "0"}, "AT_BATCH_SIZE"),
        ({"QUIET_HOURS": "9pm-7am"}, "QUIET_HOURS"),
        ({"TIMEZONE": "Mars/Olympus"}, "TIMEZONE"),
        ({"BAARA_ENV": "staging"}, "BAARA_ENV"),
        ({"SMS_PRICE": "-1"}, "SMS_PRICE"),
        ({"AT_MAX_TPS": "-5"}, "AT_MAX_TPS"),
        ({"ORANGE_MAX_TPS": "-1"}, "ORANGE_MAX_TPS"),
        ({"ORANGE_MAX_TPS": "fast"}, "ORANGE_MAX_TPS"),
        ({"ORANGE_MAX_TPS": "2.5"}, "ORANGE_MAX_TPS"),
    ],
    ids=[
        "batch-not-int",
        "batch-zero",
        "quiet-format",
        "tz",
        "env",
        "price",
        "at-tps-negative",
        "orange-tps-negative",
        "orange-tps-word",
        "orange-tps-fraction",
    ],
)
def test_malformed_settings_are_named(env, name):
    with pytest.raises(ConfigError, match=name):
        load_settings(environ=env)


@pytest.mark.parametrize(
    "text,expected",
    [
        ("21:00-07:00", ((21, 0), (7, 0))),
        ("", None),
        ("  ", None),
        ("6:30-18:05", ((6, 30), (18, 5))),
    ],
)
def test_quiet_hours(text, expected):
    assert parse_quiet_hours(text) == expected


# -- the typed, frozen object ---------------------------------------------------------------------

TYPES = {
    "baara_env": str,
    "port": int,
    "simulator": bool,
    "max_content_length": int,
    "redis_replica_wait_ms": int,
    "at_batch_size": int,
    "orange_max_tps": int,
    "sms_price": float,
    "timezone": str,
    "history_days": float,
    "seen_days": float,
    "sms_rate_limit": int,
    "testing": bool,
    "queues": tuple,
}


@pytest.mark.parametrize(("name", "kind"), TYPES.items(), ids=TYPES.keys())
def test_each_setting_has_its_type(name, kind):
    s = load_settings(
        {"HISTORY_DAYS": 2, "SMS_PRICE": "30"},
        environ={"PORT": "5001", "SEEN_DAYS": "0.5", "SIMULATOR": "off"},
    )
    assert type(getattr(s, name)) is kind


def test_the_settings_are_frozen():
    s = load_settings(environ={})
    with pytest.raises(dataclasses.FrozenInstanceError):
        s.timezone = "UTC"  # type: ignore[misc]


@pytest.mark.parametrize(
    "name",
    ["NOPE", "QUIET_HOURS_PARSED", "TIMEZONES", "TIMEZONE ", "timezone", "WTF_CSRF_ENABLED"],
    ids=["made-up", "derived", "misspelt", "trailing-space", "lower-case", "flask-extension-key"],
)
def test_an_unknown_setting_is_refused_by_name(name):
    with pytest.raises(ConfigError, match="unknown setting"):
        load_settings({name: "x"}, environ={})


@pytest.mark.parametrize(
    ("environ", "name", "expected"),
    [
        ({"SMS_COOLDOWN": "30"}, "sms_cooldown", 30),
        ({"HISTORY_DAYS": "0.5"}, "history_days", 0.5),
        ({"ORANGE_MAX_TPS": "20"}, "orange_max_tps", 20),
        ({"SIMULATOR": "0"}, "simulator", False),
        ({"SIMULATOR": "yes"}, "simulator", True),
        ({"TIMEZONE": "UTC"}, "timezone", "UTC"),
        ({"QUIET_HOURS": ""}, "quiet_hours_parsed", None),
        ({"USSD_CODE": "*123#"}, "ussd_code", "*123#"),
    ],
    ids=["int", "float", "orange-tps", "bool-off", "bool-on", "str", "derived-quiet", "ussd-code"],
)
def test_the_environment_overrides_a_default(environ, name, expected):
    assert getattr(load_settings(environ=environ), name) == expected


@pytest.mark.parametrize("name", ["TESTING", "RQ_SYNC", "QUEUES", "REFERENCE_DIR"])
def test_tool_settings_are_not_read_from_the_environment(name):
    assert name not in SETTINGS
    assert load_settings(environ={name: "1"})[name] == DEFAULTS[name]


def test_a_settings_dict_round_trips():
    s = load_settings({"SMS_PRICE": 30, "QUIET_HOURS": ""}, environ={})
    assert load_settings({**s}, environ={}) == s
    assert s["SMS_PRICE"] == s.sms_price == 30.0 and s.zone.key == "Africa/Bamako"


def test_one_default_each_and_no_secret_default():
    assert Settings().secret_key == Settings().api_token == Settings().webhook_token == ""
    assert Settings().timezone == "Africa/Bamako" and Settings().at_batch_size == 1000
    # The defaults live in config/settings.py only: no module repeats them as a fallback, and
    # none reads a Baara setting from a dict (app.config holds Flask's own keys only).
    flask_keys = set(Settings().flask_config())
    baara = "|".join(name for name in DEFAULTS if name not in flask_keys)
    from_dict = re.compile(rf"""config(\.get\(|\[)["']({baara})["']""")
    for path in [*(ROOT / "alerts").rglob("*.py"), ROOT / "app.py", ROOT / "worker.py"]:
        text = path.read_text(encoding="utf-8")
        assert "Africa/Bamako" not in text, path
        assert not from_dict.search(text), (path, from_dict.search(text))


@pytest.mark.parametrize("missing", REQUIRED_IN_PRODUCTION)
def test_production_has_no_default_for_a_secret(missing):
    env = {k: v for k, v in PROD_OK.items() if k != missing}
    with pytest.raises(ConfigError, match=missing):
        load_settings(environ=env)
    assert load_settings(environ=PROD_OK).production is True


def test_flask_gets_only_its_own_keys():
    flask = load_settings(environ=PROD_OK).flask_config()
    assert set(flask) == {
        "SECRET_KEY",
        "MAX_CONTENT_LENGTH",
        "TESTING",
        "SESSION_COOKIE_HTTPONLY",
        "SESSION_COOKIE_SAMESITE",
        "SESSION_COOKIE_SECURE",
    }
    assert flask["SESSION_COOKIE_SECURE"] is True
