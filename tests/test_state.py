"""The end-of-run summary line: what it counts, end to end and from the counts."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest

from pytest_bss.config import BssConfig
from pytest_bss.fake import TenantEmulator
from pytest_bss.state import Stats

ONE_REQUEST = """
def test_reads_an_account(bss_client):
    assert bss_client.get_json("api/accounts/1001")["id"] == 1001
"""

TWO_TESTS = (
    ONE_REQUEST
    + """
def test_reads_another_account(bss_client):
    assert bss_client.get_json("api/accounts/1002")["id"] == 1002
"""
)


@pytest.fixture
def project(pytester: pytest.Pytester) -> pytest.Pytester:
    pytester.makeini("[pytest]\n")
    return pytester


def summary(result: pytest.RunResult) -> str:
    lines = [line for line in result.outlines if line.startswith("pytest-bss: ")]
    assert len(lines) == 1, result.stdout.str()
    return lines[0]


# ---------------------------------------------------------------------------
# From the counts


@pytest.mark.parametrize(
    ("stats", "line"),
    [
        (
            Stats(replayed=["a"], played_interactions=1, used=["a"]),
            "pytest-bss: 1 cassette replayed (1 interaction), 0 recorded (0 interactions), "
            "0 values scrubbed",
        ),
        (
            Stats(recorded=["a"], recorded_interactions=1, scrubbed=1, used=["a"]),
            "pytest-bss: 0 cassettes replayed (0 interactions), 1 recorded (1 interaction), "
            "1 value scrubbed",
        ),
        (
            Stats(replayed=["a", "b", "a"], played_interactions=3, used=["a", "b", "a"]),
            "pytest-bss: 2 cassettes replayed (3 interactions), 0 recorded (0 interactions), "
            "0 values scrubbed",
        ),
        (
            Stats(opened=1, unreadable=["a"]),
            "pytest-bss: 0 cassettes replayed (0 interactions), 0 recorded (0 interactions), "
            "0 values scrubbed, 1 unreadable",
        ),
    ],
    ids=["one-replayed", "one-recorded", "a-file-counts-once", "unreadable"],
)
def test_the_summary_counts_files_and_says_one_in_the_singular(stats: Stats, line: str) -> None:
    assert stats.summary() == line


def test_there_is_no_summary_when_no_test_used_a_cassette() -> None:
    assert Stats(deselected=3).summary() is None


def test_merged_worker_counts_add_up() -> None:
    stats = Stats()
    stats.merge(Stats(replayed=["a"], played_interactions=2, scrubbed=1, used=["a"]).as_dict())
    stats.merge(Stats(replayed=["a"], played_interactions=2, scrubbed=2, used=["a"]).as_dict())

    assert stats.summary() == (
        "pytest-bss: 1 cassette replayed (4 interactions), 0 recorded (0 interactions), "
        "3 values scrubbed"
    )


# ---------------------------------------------------------------------------
# End to end


def test_one_cassette_of_one_interaction_is_in_the_singular_recorded_and_replayed(
    project: pytest.Pytester, tenant_env: TenantEmulator
) -> None:
    project.makepyfile(test_one=ONE_REQUEST)

    recorded = project.runpytest("--bss-record")
    replayed = project.runpytest()

    assert re.fullmatch(
        r"pytest-bss: 0 cassettes replayed \(0 interactions\), 1 recorded \(1 interaction\), "
        r"\d+ values scrubbed",
        summary(recorded),
    )
    assert summary(replayed) == (
        "pytest-bss: 1 cassette replayed (1 interaction), 0 recorded (0 interactions), "
        "0 values scrubbed"
    )


@pytest.mark.parametrize(
    ("tests", "outcomes"),
    [
        (TWO_TESTS, {"errors": 2}),  # no auth cassette either: bss_token fails
        ("def test_no_request(bss_cassette):\n    pass\n", {"passed": 1}),
    ],
    ids=["requests", "no-request"],
)
def test_missing_cassettes_are_not_counted_as_replayed(
    project: pytest.Pytester, tests: str, outcomes: dict[str, int]
) -> None:
    project.makepyfile(test_missing=tests)

    result = project.runpytest()

    result.assert_outcomes(**outcomes)
    assert summary(result) == (
        "pytest-bss: 0 cassettes replayed (0 interactions), 0 recorded (0 interactions), "
        "0 values scrubbed"
    )


def test_record_mode_once_counts_the_cassettes_it_plays_as_replayed(
    project: pytest.Pytester, tenant_env: TenantEmulator
) -> None:
    project.makepyfile(test_one=ONE_REQUEST)
    project.runpytest("--bss-record").assert_outcomes(passed=1)

    result = project.runpytest("--bss-record-mode", "once")

    result.assert_outcomes(passed=1)
    assert summary(result).startswith(
        "pytest-bss: 1 cassette replayed (1 interaction), 0 recorded (0 interactions), "
    )
    assert tenant_env.api_requests == 1  # only the first run asked the tenant


def test_record_mode_new_episodes_counts_what_it_played_and_what_it_added(
    project: pytest.Pytester, tenant_env: TenantEmulator
) -> None:
    project.makepyfile(test_one=ONE_REQUEST)
    project.runpytest("--bss-record").assert_outcomes(passed=1)
    project.makepyfile(
        test_one=ONE_REQUEST + '    assert bss_client.get_json("api/accounts/1002")["id"] == 1002\n'
    )

    result = project.runpytest("--bss-record-mode", "new_episodes")

    result.assert_outcomes(passed=1)
    assert summary(result).startswith(
        "pytest-bss: 1 cassette replayed (1 interaction), 1 recorded (1 interaction), "
    )


def test_a_cassette_shared_by_two_tests_is_one_file_with_the_interactions_of_both(
    project: pytest.Pytester, tenant_env: TenantEmulator
) -> None:
    project.makepyfile(
        test_two='import pytest\npytestmark = pytest.mark.bss("shared")\n' + TWO_TESTS
    )

    recorded = project.runpytest("--bss-record")
    replayed = project.runpytest()

    assert summary(recorded).startswith(
        "pytest-bss: 0 cassettes replayed (0 interactions), 1 recorded (2 interactions), "
    )
    assert summary(replayed).startswith("pytest-bss: 1 cassette replayed (2 interactions), ")


def test_the_summary_is_printed_when_a_broken_cassette_stops_the_run(
    project: pytest.Pytester, tenant_env: TenantEmulator
) -> None:
    project.makepyfile(test_two=TWO_TESTS)
    project.runpytest("--bss-record").assert_outcomes(passed=2)
    broken = project.path / "cassettes" / "test_two" / "test_reads_an_account.json"
    broken.write_text("{ not json")

    result = project.runpytest("-x", "-p", "no:randomly")

    result.assert_outcomes(errors=1)
    assert summary(result) == (
        "pytest-bss: 0 cassettes replayed (0 interactions), 0 recorded (0 interactions), "
        "0 values scrubbed, 1 unreadable"
    )


def test_values_scrubbed_by_xdist_workers_reach_the_summary(
    project: pytest.Pytester, emulator: TenantEmulator, export_tenant: Callable[[BssConfig], None]
) -> None:
    pytest.importorskip("xdist")
    export_tenant(emulator.config())
    project.makepyfile(test_two=TWO_TESTS)

    result = project.runpytest_subprocess("--bss-record", "-n", "2")

    result.assert_outcomes(passed=2)
    line = summary(result)
    assert line.startswith(
        "pytest-bss: 0 cassettes replayed (0 interactions), 2 recorded (2 interactions), "
    )
    scrubbed = int(line.rsplit(", ", 1)[1].split()[0])
    in_test_cassettes = sum(
        path.read_text().count("<BSS_")
        for path in Path(project.path, "cassettes", "test_two").glob("*.json")
    )
    assert scrubbed >= in_test_cassettes > 0  # the auth cassette's placeholders count too
