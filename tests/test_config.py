"""BssConfig: built from arguments or BSS_* variables, never showing a credential."""

from __future__ import annotations

import pytest

from pytest_bss import BssConfig, BssConfigError

ENV = {
    "BSS_BASE_URL": "https://bss.example.com/bsssmapi",
    "BSS_CLIENT_KEY": "9c1f4d2e-key-synthetic",
    "BSS_CLIENT_SECRET": "c2VjcmV0LXN5bnRoZXRpYy12YWx1ZQ+/=",
    "BSS_USERNAME": "someone@example.com",
    "BSS_PASSWORD": "synthetic-Pa55!",
}


def test_it_reads_every_setting_from_the_environment() -> None:
    config = BssConfig.from_env({**ENV, "BSS_API_VERSION": "2.2", "BSS_TIMEOUT": "12.5"})

    assert config.base_url == "https://bss.example.com/bsssmapi/"
    assert config.client_key == ENV["BSS_CLIENT_KEY"]
    assert config.password == ENV["BSS_PASSWORD"]
    assert config.api_version == "2.2"
    assert config.timeout == 12.5


def test_it_defaults_to_the_latest_api_version_and_a_30_second_timeout() -> None:
    config = BssConfig.from_env(ENV)

    assert (config.api_version, config.timeout) == ("latest", 30.0)


def test_it_reports_every_missing_variable_at_once_by_name() -> None:
    with pytest.raises(BssConfigError) as caught:
        BssConfig.from_env({"BSS_BASE_URL": ENV["BSS_BASE_URL"], "BSS_USERNAME": "  "})

    assert caught.value.missing == (
        "BSS_CLIENT_KEY",
        "BSS_CLIENT_SECRET",
        "BSS_USERNAME",
        "BSS_PASSWORD",
    )
    assert "BSS_CLIENT_KEY, BSS_CLIENT_SECRET, BSS_USERNAME, BSS_PASSWORD" in str(caught.value)


def test_arguments_win_over_the_environment() -> None:
    config = BssConfig.from_env(ENV, base_url="http://127.0.0.1:8080/", timeout=3)

    assert config.base_url == "http://127.0.0.1:8080/"
    assert config.timeout == 3.0


def test_repr_and_str_show_no_credential() -> None:
    config = BssConfig.from_env(ENV)

    for text in (repr(config), str(config), f"{config}"):
        for name in ("BSS_CLIENT_KEY", "BSS_CLIENT_SECRET", "BSS_USERNAME", "BSS_PASSWORD"):
            assert ENV[name] not in text
        assert "https://bss.example.com/bsssmapi/" in text


def test_the_token_url_sits_under_the_base_url() -> None:
    assert BssConfig.from_env(ENV).token_url == "https://bss.example.com/bsssmapi/oauth/token"


def test_secrets_lists_the_four_credentials() -> None:
    assert set(BssConfig.from_env(ENV).secrets().values()) == {
        ENV[name]
        for name in ("BSS_CLIENT_KEY", "BSS_CLIENT_SECRET", "BSS_USERNAME", "BSS_PASSWORD")
    }


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"base_url": "bss.example.com"}, "BSS_BASE_URL must be an http"),
        ({"base_url": "ftp://bss.example.com/"}, "BSS_BASE_URL must be an http"),
        ({"base_url": "https://bss.example.com/?x=1"}, "must not have a query"),
        ({"api_version": "4"}, "BSS_API_VERSION must be one of"),
        ({"timeout": 0}, "BSS_TIMEOUT must be a positive"),
        ({"timeout": "soon"}, "BSS_TIMEOUT must be a number"),
    ],
)
def test_bad_values_name_the_variable_to_fix(overrides: dict[str, object], message: str) -> None:
    with pytest.raises(BssConfigError, match=message):
        BssConfig.from_env(ENV, **overrides)  # type: ignore[arg-type]


def test_a_base_url_with_credentials_in_it_is_refused_without_echoing_them() -> None:
    with pytest.raises(BssConfigError) as caught:
        BssConfig.from_env(ENV, base_url="https://admin:hunter2-secret@bss.example.com/")

    assert "hunter2-secret" not in str(caught.value)
    assert "BSS_USERNAME and BSS_PASSWORD" in str(caught.value)


def test_the_config_is_frozen() -> None:
    config = BssConfig.from_env(ENV)

    with pytest.raises(AttributeError):
        config.password = "other"  # type: ignore[misc]
