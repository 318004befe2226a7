"""Settings: defaults, environment overrides, production refusals."""

import pytest

from config.settings import ConfigError, load_settings, parse_quiet_hours
from tests.conftest import PRODUCTION_SECRETS

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
        pytest.param({"SECRET_KEY": "dev-only-secret-key"}, ["SECRET_KEY: the public"],
                     id="development-secret-key"),
        pytest.param({"API_TOKEN": "dev-api-token"}, ["API_TOKEN: the public"],
                     id="development-api-token"),
        pytest.param({"AT_API_KEY": "simulated"}, ["AT_API_KEY: the public"],
                     id="simulated-at-key"),
        pytest.param({"WEBHOOK_TOKEN": "w"}, ["WEBHOOK_TOKEN: shorter than 32"],
                     id="one-letter-webhook-token"),
        pytest.param({"SECRET_KEY": LONG[:31]}, ["SECRET_KEY: shorter than 32"],
                     id="secret-key-31-characters"),
        pytest.param({"API_TOKEN": "a" * 40}, ["API_TOKEN: fewer than 8 different"],
                     id="api-token-one-letter-repeated"),
        pytest.param({"WEBHOOK_TOKEN": PRODUCTION_SECRETS["API_TOKEN"]},
                     ["WEBHOOK_TOKEN: the same value as API_TOKEN"],
                     id="webhook-token-is-api-token"),
        pytest.param({"SECRET_KEY": "s", "API_TOKEN": "t", "WEBHOOK_TOKEN": "w"},
                     ["SECRET_KEY: shorter", "API_TOKEN: shorter", "WEBHOOK_TOKEN: shorter"],
                     id="all-three-short"),
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
    ],
    ids=["batch-not-int", "batch-zero", "quiet-format", "tz", "env", "price"],
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
