"""Settings resolution with profiles: environment, then the active profile, then defaults."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from praefect import settings
from praefect.exceptions import ConfigurationError


def _write(home: Path, text: str) -> Path:
    path = home / "profiles.toml"
    path.write_text(text)
    return path


def _env(home: Path, **extra: str) -> dict[str, str]:
    return {"PRAEFECT_HOME": str(home), **extra}


def test_no_profiles_file_means_env_then_defaults(tmp_path):
    resolved = settings.Settings.from_environment(_env(tmp_path, PREFECT_LOGGING_LEVEL="DEBUG"))
    assert resolved.logging_level == "DEBUG"
    assert resolved.api_url is None and resolved.server_port == 4200


def test_the_active_profile_fills_in_what_the_environment_leaves_unset(tmp_path):
    _write(
        tmp_path,
        'active = "remote"\n\n[profiles.default]\nPRAEFECT_SERVER_PORT = 1\n\n'
        '[profiles.remote]\nPREFECT_API_URL = "http://h:1/api"\nPRAEFECT_SERVER_PORT = 4300\n'
        'PRAEFECT_LOGGING_CONSOLE = false\nPRAEFECT_LOGGING_LEVEL = "WARNING"\n',
    )
    resolved = settings.Settings.from_environment(_env(tmp_path, PRAEFECT_LOGGING_LEVEL="ERROR"))
    assert resolved.api_url == "http://h:1/api"
    assert resolved.server_port == 4300
    assert resolved.logging_console is False
    assert resolved.logging_level == "ERROR"  # the environment wins
    values, sources = settings.resolve(_env(tmp_path, PRAEFECT_LOGGING_LEVEL="ERROR"))
    assert sources["api_url"] == ("profile", "PREFECT_API_URL")
    assert sources["logging_level"] == ("env", "PRAEFECT_LOGGING_LEVEL")
    assert "database_url" not in values


def test_praefect_profile_selects_another_profile(tmp_path):
    _write(tmp_path, "[profiles.default]\n[profiles.other]\nPRAEFECT_SERVER_PORT = 9\n")
    assert settings.Settings.from_environment(_env(tmp_path)).server_port == 4200
    picked = settings.Settings.from_environment(_env(tmp_path, PREFECT_PROFILE="other"))
    assert picked.server_port == 9


def test_a_missing_selected_profile_is_a_clear_error(tmp_path):
    _write(tmp_path, "[profiles.default]\n[profiles.other]\n")
    with pytest.raises(ConfigurationError, match="Profile 'nope' not found.*default, other"):
        settings.Settings.from_environment(_env(tmp_path, PRAEFECT_PROFILE="nope"))


def test_a_bad_value_in_a_profile_names_the_setting_and_the_profile(tmp_path):
    _write(tmp_path, '[profiles.default]\nPRAEFECT_SERVER_PORT = "many"\n')
    with pytest.raises(ConfigurationError, match="PRAEFECT_SERVER_PORT.*profile 'default'.*int"):
        settings.Settings.from_environment(_env(tmp_path))
    _write(tmp_path, "[profiles.default]\nPRAEFECT_API_URL = true\n")
    with pytest.raises(ConfigurationError, match="PRAEFECT_API_URL"):
        settings.Settings.from_environment(_env(tmp_path))


def test_an_invalid_toml_file_is_a_clear_error(tmp_path):
    _write(tmp_path, "[profiles.default\n")
    with pytest.raises(ConfigurationError, match="not valid TOML"):
        settings.Settings.from_environment(_env(tmp_path))


def test_write_profiles_round_trips_through_tomllib(tmp_path):
    import tomllib

    data = {
        "active": "my profile",
        "profiles": {
            "default": {},
            "my profile": {
                "PRAEFECT_API_URL": 'http://x/"quoted"\\path\n',
                "PRAEFECT_SERVER_PORT": 4300,
                "PRAEFECT_DATABASE_TIMEOUT": 2.5,
                "PRAEFECT_LOGGING_CONSOLE": False,
                "PREFECT_SOMETHING_ELSE": ["a", 1],
                "UNICODE": "héllo ✓",
            },
        },
    }
    path = tmp_path / "profiles.toml"
    settings.write_profiles(path, data)
    assert tomllib.loads(path.read_text()) == data
    assert settings.read_profiles(path) == data


def test_field_for_knows_every_spelling():
    assert settings.field_for("PRAEFECT_API_URL") == "api_url"
    assert settings.field_for("prefect_api_url") == "api_url"
    assert settings.field_for("PREFECT_API_DATABASE_CONNECTION_URL") == "database_url"
    assert settings.field_for("PREFECT_NOT_A_SETTING") is None


def test_reading_settings_without_a_profiles_file_does_not_load_tomllib(tmp_path):
    code = (
        "import sys, json; from praefect.settings import get_current_settings as g; g(); "
        "print(json.dumps('tomllib' in sys.modules))"
    )
    env = {"PRAEFECT_HOME": str(tmp_path), "PATH": "/usr/bin:/bin"}
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    assert json.loads(out.stdout) is False


def test_docs_settings_page_lists_every_setting():
    import dataclasses

    page = (Path(__file__).resolve().parents[2] / "docs" / "settings.md").read_text()
    missing = [
        settings.setting_names(f.name)[0]
        for f in dataclasses.fields(settings.Settings)
        if f"| `{settings.setting_names(f.name)[0]}` |" not in page
    ]
    assert not missing, f"docs/settings.md lacks {missing}; regenerate its table"
