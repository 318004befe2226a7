"""Settings: defaults, environment overrides, production refusals."""

import pytest

from config.settings import ConfigError, load_settings, parse_quiet_hours

PROD_OK = {
    "BAARA_ENV": "production",
    "SECRET_KEY": "s",
    "API_TOKEN": "a",
    "WEBHOOK_TOKEN": "w",
    "AT_USERNAME": "u",
    "AT_API_KEY": "k",
}


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
