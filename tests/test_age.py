"""Cassettes say when they were recorded; replay lists (or fails on) stale ones (issue 14)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from pytest_bss.age import is_stale, oldest_recording, parse_duration, today
from pytest_bss.fake import TenantEmulator

ONE_TEST = """
def test_reads_an_account(bss_client):
    assert bss_client.get_json("api/accounts/1001")["id"] == 1001
"""
CASSETTE = Path("cassettes") / "test_age_suite" / "test_reads_an_account.json"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("90d", dt.timedelta(days=90)),
        ("12h", dt.timedelta(hours=12)),
        ("30m", dt.timedelta(minutes=30)),
        (" 45s ", dt.timedelta(seconds=45)),
    ],
)
def test_a_duration_takes_days_hours_minutes_or_seconds(text: str, expected: dt.timedelta) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize("text", ["90", "3w", "d90", "1.5d", ""])
def test_a_malformed_duration_names_the_accepted_forms(text: str) -> None:
    with pytest.raises(ValueError, match="90d, 12h, 30m or 45s"):
        parse_duration(text)


def test_age_counts_from_the_start_of_the_recording_day() -> None:
    now = dt.datetime(2026, 12, 2, 10, 0, tzinfo=dt.UTC)
    recorded = dt.date(2026, 12, 1)

    assert is_stale(recorded, dt.timedelta(hours=33), now)
    assert not is_stale(recorded, dt.timedelta(hours=34), now)
    assert is_stale(None, dt.timedelta(days=10_000), now)  # unknown age is stale


def test_the_oldest_interaction_dates_the_cassette() -> None:
    interactions = [{"recorded_at": "2026-11-30"}, {"recorded_at": "2026-10-01"}]

    assert oldest_recording(interactions) == dt.date(2026, 10, 1)
    assert oldest_recording([*interactions, {}]) is None


@pytest.fixture
def recorded(pytester: pytest.Pytester, emulator: TenantEmulator) -> pytest.Pytester:
    pytester.makeini("[pytest]\n")
    pytester.makepyfile(test_age_suite=ONE_TEST)
    pytester.runpytest("--bss-record", "--bss-emulator").assert_outcomes(passed=1)
    return pytester


def date_cassette(project: pytest.Pytester, recorded_at: str | None) -> None:
    path = project.path / CASSETTE
    data = json.loads(path.read_text())
    for interaction in data["interactions"]:
        if recorded_at is None:
            interaction.pop("recorded_at")
        else:
            interaction["recorded_at"] = recorded_at
    path.write_text(json.dumps(data, indent=2))


def test_a_recording_stamps_each_interaction_with_its_date_and_api_version(
    recorded: pytest.Pytester,
) -> None:
    (interaction,) = json.loads((recorded.path / CASSETTE).read_text())["interactions"]

    assert interaction["recorded_at"] == today()
    assert interaction["api_version"] == {"sent": "latest"}


def test_new_episodes_keep_the_dates_of_the_interactions_read_from_the_file(
    recorded: pytest.Pytester,
) -> None:
    date_cassette(recorded, "2026-01-05")
    recorded.makepyfile(test_age_suite=ONE_TEST + '    bss_client.get_json("api/accounts/1002")\n')

    recorded.runpytest("--bss-record-mode=new_episodes", "--bss-emulator").assert_outcomes(passed=1)

    interactions = json.loads((recorded.path / CASSETTE).read_text())["interactions"]
    assert [i["recorded_at"] for i in interactions] == ["2026-01-05", today()]


def test_fresh_cassettes_add_no_output(recorded: pytest.Pytester) -> None:
    recorded.makeini("[pytest]\nbss_max_age = 90d\nbss_on_stale = fail\n")

    result = recorded.runpytest()

    result.assert_outcomes(passed=1)
    assert result.ret == 0
    assert "stale" not in result.stdout.str()


def test_a_stale_cassette_is_listed_once_with_the_command_that_re_records_it(
    recorded: pytest.Pytester,
) -> None:
    recorded.makeini("[pytest]\nbss_max_age = 90d\n")
    date_cassette(recorded, "2020-01-01")

    result = recorded.runpytest("-n", "2", "-p", "xdist")

    result.assert_outcomes(passed=1)
    assert result.ret == 0
    result.stdout.fnmatch_lines(
        [
            "pytest-bss: 1 stale cassette, recorded longer ago than bss_max_age (90d; they are "
            "listed, bss_on_stale = warn):",
            f"  {CASSETTE}: recorded 2020-01-01 (* days ago); re-record: "
            "pytest --bss-record 'test_age_suite.py::test_reads_an_account'",
        ]
    )
    assert result.stdout.str().count("stale cassette") == 1


@pytest.mark.parametrize("recorded_at", ["2020-01-01", None], ids=["old", "undated"])
def test_with_on_stale_fail_a_stale_cassette_fails_the_run(
    recorded: pytest.Pytester, recorded_at: str | None
) -> None:
    recorded.makeini("[pytest]\nbss_max_age = 90d\nbss_on_stale = fail\n")
    date_cassette(recorded, recorded_at)

    result = recorded.runpytest()

    result.assert_outcomes(passed=1)
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    assert f"{CASSETTE}: " in result.stdout.str()


@pytest.mark.parametrize(
    ("ini", "message"),
    [("bss_max_age = 3w", "90d, 12h, 30m or 45s"), ("bss_on_stale = ignore", "warn or fail")],
)
def test_bad_age_settings_are_usage_errors(
    pytester: pytest.Pytester, ini: str, message: str
) -> None:
    pytester.makeini(f"[pytest]\n{ini}\n")

    result = pytester.runpytest()

    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert message in result.stderr.str()
