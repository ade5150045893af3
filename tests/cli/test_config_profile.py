"""``praefect config view|set|unset`` and ``praefect profile ls|create|use|delete|inspect``."""

from __future__ import annotations

import tomllib


def _profiles(home):
    return tomllib.loads((home / "profiles.toml").read_text())


# -- config ------------------------------------------------------------------------------------


def test_config_set_writes_the_default_profile_in_prefects_format(invoke_here, praefect_home):
    result = invoke_here(
        "config",
        "set",
        "PREFECT_API_URL=http://127.0.0.1:4200/api",
        "PRAEFECT_SERVER_PORT=4300",
        "PRAEFECT_LOGGING_CONSOLE=off",
    )
    assert result.code == 0, result.output
    assert "Set 'PREFECT_API_URL' to 'http://127.0.0.1:4200/api'." in result.stdout
    assert "Updated profile 'default'." in result.stdout
    assert _profiles(praefect_home) == {
        "active": "default",
        "profiles": {
            "default": {
                "PREFECT_API_URL": "http://127.0.0.1:4200/api",
                "PRAEFECT_SERVER_PORT": 4300,
                "PRAEFECT_LOGGING_CONSOLE": False,
            }
        },
    }
    # another spelling of the same setting replaces it
    assert invoke_here("config", "set", "PRAEFECT_API_URL=https://x/api").code == 0
    table = _profiles(praefect_home)["profiles"]["default"]
    assert table["PRAEFECT_API_URL"] == "https://x/api" and "PREFECT_API_URL" not in table


def test_config_set_rejects_an_unknown_key_with_close_matches(invoke_here, praefect_home):
    result = invoke_here("config", "set", "PRAEFECT_API_ULR=http://x")
    assert result.code == 1
    assert "Unknown setting 'PRAEFECT_API_ULR'" in result.stderr
    assert "PRAEFECT_API_URL" in result.stderr
    assert not (praefect_home / "profiles.toml").exists()


def test_config_set_rejects_values_of_the_wrong_type(invoke_here, praefect_home):
    for item, expected in [
        ("PRAEFECT_SERVER_PORT=many", "expected a value of type int"),
        ("PRAEFECT_LOGGING_CONSOLE=maybe", "expected a value of type bool"),
        ("PRAEFECT_API_URL=localhost:4200", "http:// or https://"),
        ("PRAEFECT_LOGGING_LEVEL=LOUD", "DEBUG, INFO"),
        ("PRAEFECT_API_URL", "Expected KEY=VALUE"),
    ]:
        result = invoke_here("config", "set", "PRAEFECT_SERVER_PORT=1", item)
        assert result.code == 1, item
        assert expected in result.stderr, (item, result.stderr)
    assert not (praefect_home / "profiles.toml").exists()  # nothing half-written


def test_config_view_shows_values_and_their_sources(invoke_here, monkeypatch):
    invoke_here("config", "set", "PRAEFECT_API_URL=http://h:1/api", "PRAEFECT_LOGGING_LEVEL=INFO")
    monkeypatch.setenv("PREFECT_LOGGING_LEVEL", "DEBUG")
    result = invoke_here("config", "view")
    assert result.code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == "PRAEFECT_PROFILE='default'"
    assert "PRAEFECT_API_URL='http://h:1/api' (from profile)" in lines
    assert "PRAEFECT_LOGGING_LEVEL='DEBUG' (from env PREFECT_LOGGING_LEVEL)" in lines
    assert not any("PRAEFECT_SERVER_PORT" in line for line in lines)

    hidden = invoke_here("config", "view", "--show-defaults", "--hide-sources").stdout
    assert "PRAEFECT_SERVER_PORT=4200\n" in hidden and "(from" not in hidden

    data = invoke_here("config", "view", "--show-defaults", "-o", "json").json()
    assert data["profile"] == "default"
    assert data["settings"]["PRAEFECT_API_URL"] == "http://h:1/api"
    assert data["sources"]["PRAEFECT_API_URL"] == "profile"
    assert data["sources"]["PRAEFECT_SERVER_PORT"] == "defaults"
    assert data["settings"]["PRAEFECT_SERVER_PORT"] == 4200


def test_config_view_hides_secrets_unless_asked(invoke_here):
    invoke_here("config", "set", "PRAEFECT_API_KEY=sk-123")
    assert "PRAEFECT_API_KEY='********'" in invoke_here("config", "view").stdout
    shown = invoke_here("config", "view", "--show-secrets").stdout
    assert "PRAEFECT_API_KEY='sk-123'" in shown


def test_config_unset(invoke_here, praefect_home):
    invoke_here("config", "set", "PREFECT_API_URL=http://h/api", "PRAEFECT_SERVER_PORT=1")
    result = invoke_here("config", "unset", "PRAEFECT_API_URL")  # either spelling finds it
    assert result.code == 0, result.output
    assert "Unset 'PRAEFECT_API_URL'." in result.stdout
    assert _profiles(praefect_home)["profiles"]["default"] == {"PRAEFECT_SERVER_PORT": 1}
    missing = invoke_here("config", "unset", "PRAEFECT_API_URL")
    assert missing.code == 1 and "is not set in profile 'default'" in missing.stderr
    unknown = invoke_here("config", "unset", "PRAEFECT_NOPE")
    assert unknown.code == 1 and "Unknown setting" in unknown.stderr


# -- profile -----------------------------------------------------------------------------------


def test_profile_lifecycle(invoke_here, praefect_home):
    listed = invoke_here("profile", "ls")
    assert listed.code == 0 and listed.stdout == "* default\n"

    invoke_here("config", "set", "PRAEFECT_SERVER_PORT=4300")
    created = invoke_here("profile", "create", "remote", "--from", "default")
    assert created.code == 0, created.output
    assert "praefect profile use remote" in created.stdout
    assert invoke_here("profile", "create", "remote").code == 1

    assert invoke_here("profile", "ls", "-o", "json").json() == [
        {"name": "default", "active": True},
        {"name": "remote", "active": False},
    ]
    used = invoke_here("profile", "use", "remote")
    assert used.code == 0 and "Now using profile 'remote'." in used.stdout
    assert _profiles(praefect_home)["active"] == "remote"
    assert invoke_here("profile", "ls").stdout == "  default\n* remote\n"

    # config set now writes to the active profile
    invoke_here("config", "set", "PRAEFECT_API_URL=http://127.0.0.1:9/api")
    inspected = invoke_here("profile", "inspect")
    assert inspected.stdout == (
        "PRAEFECT_SERVER_PORT=4300\nPRAEFECT_API_URL='http://127.0.0.1:9/api'\n"
    )
    assert invoke_here("profile", "inspect", "default", "-o", "json").json() == {
        "PRAEFECT_SERVER_PORT": 4300
    }

    refused = invoke_here("profile", "delete", "remote", "-y")
    assert refused.code == 1 and "is the active profile" in refused.stderr
    invoke_here("profile", "use", "default")
    kept = invoke_here("profile", "delete", "remote", input="n\n")
    assert kept.code == 1 and "remote" in _profiles(praefect_home)["profiles"]
    deleted = invoke_here("profile", "delete", "remote", input="y\n")
    assert deleted.code == 0, deleted.output
    assert "remote" not in _profiles(praefect_home)["profiles"]


def test_profile_errors_are_clear(invoke_here):
    invoke_here("profile", "create", "remote")
    for args, expected in [
        (("profile", "use", "remot"), "Profile 'remot' not found. Did you mean 'remote'?"),
        (("profile", "inspect", "nope"), "Profile 'nope' not found."),
        (("profile", "delete", "nope", "-y"), "Profile 'nope' not found."),
        (("profile", "create", "--from", "nope", "other"), "Profile 'nope' not found."),
        (("profile", "create", "two words"), "Invalid profile name"),
        (("--profile", "nope", "config", "view"), "Profile 'nope' not found."),
    ]:
        result = invoke_here(*args)
        assert result.code == 1, args
        assert expected in result.stderr, (args, result.stderr)


def test_profile_use_warns_when_the_server_does_not_answer(invoke_here):
    invoke_here("profile", "create", "remote")
    invoke_here("--profile", "remote", "config", "set", "PRAEFECT_API_URL=http://127.0.0.1:9/api")
    used = invoke_here("profile", "use", "remote")
    assert used.code == 0
    assert "did not answer" in used.stderr


def test_the_profile_env_var_and_option_pick_the_profile(invoke_here):
    invoke_here("profile", "create", "other")
    invoke_here("--profile", "other", "config", "set", "PRAEFECT_SERVER_PORT=5")
    viewed = invoke_here("--profile", "other", "config", "view", "-o", "json").json()
    assert viewed["profile"] == "other"
    assert viewed["settings"]["PRAEFECT_SERVER_PORT"] == 5
    by_env = invoke_here("config", "view", "-o", "json", PRAEFECT_PROFILE="other").json()
    assert by_env["settings"]["PRAEFECT_SERVER_PORT"] == 5
    assert invoke_here("config", "view", "-o", "json").json()["profile"] == "default"
