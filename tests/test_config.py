"""Configuration: defaults, then GEOAPP_* environment variables, then the test config."""

import pytest

from geoapp import create_app
from geoapp.config import DEFAULTS, ConfigError, from_environment


def test_environment_values_are_converted_to_the_default_types():
    env = {
        "GEOAPP_ONLINE_TILES": "yes",
        "GEOAPP_CACHE_MAX_AGE": "60",
        "GEOAPP_DEFAULT_TILES": "osm",
    }
    assert from_environment(env) == {
        "ONLINE_TILES": True,
        "CACHE_MAX_AGE": 60,
        "DEFAULT_TILES": "osm",
    }


@pytest.mark.parametrize(
    ("env", "message"),
    [({"GEOAPP_ONLINE_TILES": "maybe"}, "GEOAPP_ONLINE_TILES='maybe': use one of"),
     ({"GEOAPP_CACHE_MAX_AGE": "soon"}, "GEOAPP_CACHE_MAX_AGE='soon': must be a whole number")],
)  # fmt: skip
def test_bad_environment_values_are_one_clear_error(env, message):
    with pytest.raises(ConfigError, match=message):
        from_environment(env)


def test_test_config_wins_over_environment(monkeypatch):
    monkeypatch.setenv("GEOAPP_CACHE_MAX_AGE", "60")
    assert create_app().config["CACHE_MAX_AGE"] == 60
    assert create_app({"CACHE_MAX_AGE": 5}).config["CACHE_MAX_AGE"] == 5


def test_debug_is_off_unless_asked_for(monkeypatch):
    monkeypatch.delenv("GEOAPP_DEBUG", raising=False)
    assert DEFAULTS["DEBUG"] is False
    assert create_app().debug is False


@pytest.mark.parametrize(
    ("config", "message"),
    [({"DEFAULT_TILES": "bing"}, "geoapp: DEFAULT_TILES='bing': use one of '' (none), osm, esri"),
     ({"CACHE_MAX_AGE": -1}, "geoapp: CACHE_MAX_AGE=-1: must be a whole number >= 0"),
     ({"PAGE_CACHE_SIZE": "many"}, "geoapp: PAGE_CACHE_SIZE='many': must be a whole number >= 0")],
)  # fmt: skip
def test_a_bad_setting_stops_the_app_at_start_with_one_line(config, message, capsys):
    with pytest.raises(SystemExit) as stop:
        create_app(config)
    assert stop.value.code == 3
    err = capsys.readouterr().err.splitlines()
    assert err == [message, "geoapp: refusing to start: the configuration is invalid"]


def test_a_bad_environment_value_stops_the_app_too(monkeypatch, capsys):
    monkeypatch.setenv("GEOAPP_ONLINE_TILES", "maybe")
    with pytest.raises(SystemExit):
        create_app()
    assert capsys.readouterr().err.startswith("geoapp: GEOAPP_ONLINE_TILES='maybe'")
