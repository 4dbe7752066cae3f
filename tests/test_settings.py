"""The layers of plugin settings merge in one documented order."""

from __future__ import annotations

import pytest

from pytest_bss.settings import DEFAULTS, merge_settings


def test_with_no_layers_the_defaults_replay_from_cassettes() -> None:
    settings = merge_settings()

    assert settings == DEFAULTS
    assert settings.record_mode == "none"
    assert not settings.recording
    assert settings.cassette_dir == "cassettes"
    assert settings.match_on == ("method", "path", "query")


def test_each_layer_beats_the_ones_below_it() -> None:
    settings = merge_settings(
        ini={"match_on": ["method", "path"], "record_mode": "once"},
        fixture={"match_on": ["method", "path", "query"]},
        marker={"match_on": ["method", "path", "query", "body"]},
        cli={"record_mode": "rewrite"},
    )

    assert settings.match_on == ("method", "path", "query", "body")
    assert settings.record_mode == "rewrite"


def test_the_fixture_beats_the_ini_when_no_marker_is_set() -> None:
    settings = merge_settings(ini={"match_on": "method path"}, fixture={"match_on": ["method"]})

    assert settings.match_on == ("method",)


def test_unset_values_in_a_layer_leave_the_lower_layer_alone() -> None:
    settings = merge_settings(ini={"cassette_dir": "recordings"}, cli={"cassette_dir": None})

    assert settings.cassette_dir == "recordings"


def test_a_layer_cannot_set_what_it_does_not_own() -> None:
    # The fixture (bss_vcr_config) can never switch the run to recording.
    settings = merge_settings(fixture={"record_mode": "all", "cassette": "x"})

    assert settings.record_mode == "none"
    assert settings.cassette is None


@pytest.mark.parametrize(
    ("value", "expected"), [("true", True), ("0", False), (True, True), ("no", False)]
)
def test_playback_repeats_reads_ini_strings_and_booleans(value: object, expected: bool) -> None:
    assert merge_settings(ini={"allow_playback_repeats": value}).allow_playback_repeats is expected


@pytest.mark.parametrize(
    ("layer", "message"),
    [
        ({"record_mode": "sometimes"}, "record mode must be one of"),
        ({"cassette_format": "xml"}, "bss_cassette_format must be one of"),
        ({"match_on": []}, "match_on must name at least one"),
    ],
)
def test_bad_values_are_refused_with_the_valid_choices(
    layer: dict[str, object], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        merge_settings(ini=layer)
