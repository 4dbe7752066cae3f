"""The same traffic recorded twice gives the same files (docs/cassettes.md)."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
import requests

from pytest_bss.fake import TenantEmulator
from pytest_bss.scrub import SecretSet
from pytest_bss.settings import DEFAULT_VOLATILE_HEADERS, merge_settings
from pytest_bss.write import WriteContext, write_cassette
from pytest_bss.write.atomic import dump_cassette
from pytest_bss.write.normalise import normalise_response
from pytest_bss.write.volatile import VolatileRule, keep_recorded_values, parse_rules, volatile

RULES = parse_rules(DEFAULT_VOLATILE_HEADERS)
#: a time long past, given to every file before a second recording: a rewrite changes it
PAST_NS = 1_000_000_000 * 1_000_000_000


def exchange(
    path: str = "api/accounts/1001",
    body: str = '{"id":1001}',
    *,
    date: str = "Tue, 01 Dec 2026 10:00:00 GMT",
    request_id: str = "id-1",
    **extra: list[str],
) -> dict[str, Any]:
    return {
        "request": {
            "method": "GET",
            "uri": f"https://bss.tenant.invalid/{path}",
            "body": None,
            "headers": {"Accept": ["application/json"]},
        },
        "response": {
            "status": {"code": 200, "message": "OK"},
            "headers": {"Date": [date], "X-Request-Id": [request_id], **extra},
            "body": {"string": body},
        },
    }


def response_headers(interaction: dict[str, Any]) -> dict[str, list[str]]:
    headers: dict[str, list[str]] = interaction["response"]["headers"]
    return headers


# -- the rule ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("entry", "rule"),
    [
        ("Date", VolatileRule("date")),
        ("X-Request-Id", VolatileRule("x-request-id")),
        ("Set-Cookie:Expires", VolatileRule("set-cookie", "expires")),
        (" set-cookie : max-age ", VolatileRule("set-cookie", "max-age")),
    ],
)
def test_an_entry_names_a_header_or_one_attribute_of_it(entry: str, rule: VolatileRule) -> None:
    assert VolatileRule.parse(entry) == rule


def test_an_unchanged_interaction_keeps_the_recorded_volatile_values() -> None:
    recorded = exchange(date="Mon, 30 Nov 2026 09:00:00 GMT", request_id="old")
    new = exchange(date="Tue, 01 Dec 2026 10:00:00 GMT", request_id="new")

    (out,) = keep_recorded_values([new], [recorded], RULES)

    assert out == recorded


def test_a_changed_interaction_keeps_its_new_values() -> None:
    recorded = exchange(body='{"id":1001,"name":"Old"}', request_id="old")
    new = exchange(body='{"id":1001,"name":"New"}', request_id="new")

    (out,) = keep_recorded_values([new], [recorded], RULES)

    assert out == new


def test_a_header_outside_the_rule_is_a_real_change() -> None:
    recorded = exchange(request_id="old", ETag=['"v1"'])
    new = exchange(request_id="new", ETag=['"v2"'])

    (out,) = keep_recorded_values([new], [recorded], RULES)

    assert response_headers(out)["X-Request-Id"] == ["new"]


def test_equal_interactions_pair_in_order_and_an_added_one_disturbs_none() -> None:
    recorded = [
        exchange(request_id="first"),
        exchange(request_id="second"),
        exchange("api/accounts/1002", request_id="other"),
    ]
    new = [
        exchange("api/accounts/1003", request_id="added"),
        exchange(request_id="a"),
        exchange("api/accounts/1002", request_id="b"),
        exchange(request_id="c"),
    ]

    out = keep_recorded_values(new, recorded, RULES)

    assert [response_headers(i)["X-Request-Id"] for i in out] == [
        ["added"],
        ["first"],
        ["other"],
        ["second"],
    ]


def test_a_cookies_expiry_is_volatile_but_its_value_is_not() -> None:
    def cookie(value: str, expires: str) -> dict[str, Any]:
        return exchange(**{"Set-Cookie": [f"s={value}; Expires={expires}; Path=/"]})

    recorded = cookie("<BSS_COOKIE_1>", "Wed, 02 Dec 2026 10:00:00 GMT")

    (same,) = keep_recorded_values(
        [cookie("<BSS_COOKIE_1>", "Thu, 03 Dec 2026 11:00:00 GMT")], [recorded], RULES
    )
    (changed,) = keep_recorded_values(
        [cookie("<BSS_COOKIE_2>", "Thu, 03 Dec 2026 11:00:00 GMT")], [recorded], RULES
    )

    assert same == recorded
    assert response_headers(changed)["Set-Cookie"] == [
        "s=<BSS_COOKIE_2>; Expires=Thu, 03 Dec 2026 11:00:00 GMT; Path=/"
    ]


def test_header_names_match_the_rule_in_any_case() -> None:
    recorded = exchange(**{"x-correlation-id": ["old"]})
    new = exchange(**{"x-correlation-id": ["new"]})

    (out,) = keep_recorded_values([new], [recorded], parse_rules(["X-Correlation-Id", "Date"]))

    assert response_headers(out)["x-correlation-id"] == ["old"]


def test_request_headers_follow_the_rule_too() -> None:
    recorded, new = exchange(), exchange()
    recorded["request"]["headers"]["traceparent"] = ["00-aaaa-01"]
    new["request"]["headers"]["traceparent"] = ["00-bbbb-01"]

    (out,) = keep_recorded_values([new], [recorded], RULES)

    assert out == recorded


def test_with_no_rules_every_new_value_is_kept() -> None:
    new = exchange(request_id="new")

    assert keep_recorded_values([new], [exchange(request_id="old")], ()) == [new]


def test_a_recorded_body_stored_as_text_matches_the_same_bytes() -> None:
    recorded = exchange(request_id="old")
    new = exchange(request_id="new")
    new["response"]["body"]["string"] = b'{"id":1001}'

    (out,) = keep_recorded_values([new], [recorded], RULES)

    assert response_headers(out)["X-Request-Id"] == ["old"]


# -- the stage and the write -------------------------------------------------------------


def write(path: Path, *interactions: dict[str, Any], **context: Any) -> str:
    data = {"version": 1, "interactions": list(interactions)}
    return write_cassette(data, WriteContext(path, SecretSet(), **context))


@pytest.mark.parametrize("name", ["c.json", "c.yaml"])
def test_rewriting_unchanged_traffic_leaves_the_file_and_its_mtime_alone(
    tmp_path: Path, name: str
) -> None:
    path = tmp_path / name
    write(path, exchange(request_id="old"), exchange("api/x", date="Sun, 29 Nov 2026 1:0:0 GMT"))
    before = path.read_bytes()
    os.utime(path, ns=(PAST_NS, PAST_NS))

    write(path, exchange(request_id="new"), exchange("api/x", date="Fri, 04 Dec 2026 2:0:0 GMT"))

    assert path.read_bytes() == before
    assert path.stat().st_mtime_ns == PAST_NS


def test_a_real_change_is_written_and_only_it_shows_new_values(tmp_path: Path) -> None:
    path = tmp_path / "c.json"
    write(path, exchange(request_id="old-1"), exchange("api/x", request_id="old-2"))

    write(path, exchange(request_id="new-1"), exchange("api/x", "{}", request_id="new-2"))

    ids = [
        i["response"]["headers"]["X-Request-Id"]
        for i in json.loads(path.read_text())["interactions"]
    ]
    assert ids == [["old-1"], ["new-2"]]


def test_the_stage_compares_with_the_baseline_when_there_is_one(tmp_path: Path) -> None:
    baseline, path = tmp_path / "baseline.json", tmp_path / "c.json"
    write(baseline, exchange(request_id="before the run"))
    write(path, exchange(request_id="written earlier in the run"))
    data = {"version": 1, "interactions": [exchange(request_id="new")]}

    out = volatile(data, WriteContext(path, SecretSet(), baseline=baseline))

    assert response_headers(out["interactions"][0])["X-Request-Id"] == ["before the run"]


@pytest.mark.parametrize("content", [None, "", "{not json", '{"version": 1}'])
def test_a_missing_or_broken_file_keeps_the_new_values(tmp_path: Path, content: str | None) -> None:
    path = tmp_path / "c.json"
    if content is not None:
        path.write_text(content)
    data = {"version": 1, "interactions": [exchange(request_id="new")]}

    out = volatile(data, WriteContext(path, SecretSet()))

    assert response_headers(out["interactions"][0])["X-Request-Id"] == ["new"]


def test_an_empty_rule_list_switches_the_stage_off(tmp_path: Path) -> None:
    path = tmp_path / "c.json"
    write(path, exchange(request_id="old"))

    write(path, exchange(request_id="new"), volatile_headers=())

    assert (
        "new"
        in json.loads(path.read_text())["interactions"][0]["response"]["headers"]["X-Request-Id"]
    )


def test_headers_are_sorted_case_insensitively() -> None:
    out = normalise_response(
        {
            "status": {"code": 200, "message": "OK"},
            "headers": {"x-b": ["1"], "Server": ["s"], "X-A": ["2"], "date": ["d"], "Age": ["0"]},
            "body": {"string": ""},
        }
    )
    assert list(out["headers"]) == ["Age", "date", "Server", "X-A", "x-b"]


@pytest.mark.parametrize(
    ("body", "stored"),
    [(b'{"name":"Caf\xc3\xa9"}', '{"name":"Café"}'), (b"\xff\xfe", {"base64": "//4="})],
)
def test_a_utf8_body_is_stored_as_text_and_other_bytes_as_base64(
    tmp_path: Path, body: bytes, stored: object
) -> None:
    interaction = exchange()
    interaction["response"]["body"]["string"] = body

    text = dump_cassette(tmp_path / "c.json", {"version": 1, "interactions": [interaction]})

    assert json.loads(text)["interactions"][0]["response"]["body"]["string"] == stored


# -- the ini option ----------------------------------------------------------------------


def test_the_defaults_name_date_ids_and_a_cookies_expiry() -> None:
    names = merge_settings().volatile_headers
    assert {"Date", "X-Request-Id", "X-Correlation-Id", "traceparent", "Set-Cookie:Expires"} <= set(
        names
    )


@pytest.mark.parametrize(
    ("ini", "expected"),
    [(["Date", "X-Trace"], ("Date", "X-Trace")), ([], ()), (None, DEFAULT_VOLATILE_HEADERS)],
)
def test_the_ini_list_replaces_the_defaults(
    ini: list[str] | None, expected: tuple[str, ...]
) -> None:
    assert merge_settings(ini={"volatile_headers": ini}).volatile_headers == expected


def test_a_malformed_entry_is_a_usage_error(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\nbss_volatile_headers =\n    Date\n    X Request Id\n")
    pytester.makepyfile("def test_nothing():\n    pass\n")

    result = pytester.runpytest()

    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["ERROR: bss_volatile_headers takes one header name a line*"])


# -- end to end against the emulator -----------------------------------------------------

SUITE = """
import pytest

def test_reads_an_account(bss_client):
    assert bss_client.get_json("api/accounts/1001")["id"] == 1001

def test_pages_accounts(bss_client):
    assert len(list(bss_client.paginate("api/accounts", page_size=25))) > 25

@pytest.mark.parametrize("account_id", [1002, 1003, 1004])
def test_reads_more_accounts(bss_client, account_id):
    assert bss_client.get_json(f"api/accounts/{account_id}")["id"] == account_id

@pytest.mark.bss(cassette="shared/balance")
def test_shares_a_cassette(bss_client):
    assert bss_client.get_json("api/accounts/1001/balance")["accountId"] == 1001

@pytest.mark.bss(cassette="shared/balance")
def test_shares_it_too(bss_client):
    assert bss_client.get_json("api/accounts/1001/balance")["accountId"] == 1001
"""


def snapshot(root: Path) -> dict[str, bytes]:
    folder = root / "cassettes"
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def age_every_cassette(root: Path) -> None:
    for path in (root / "cassettes").rglob("*"):
        if path.is_file():
            os.utime(path, ns=(PAST_NS, PAST_NS))


def rewritten(root: Path) -> list[str]:
    folder = root / "cassettes"
    return sorted(
        str(p.relative_to(folder))
        for p in folder.rglob("*")
        if p.is_file() and p.stat().st_mtime_ns != PAST_NS
    )


@pytest.mark.parametrize("fmt", ["json", "yaml"])
def test_two_recordings_in_a_row_leave_every_cassette_byte_identical(
    pytester: pytest.Pytester, fmt: str
) -> None:
    pytester.makeini(f"[pytest]\nbss_cassette_format = {fmt}\n")
    pytester.makepyfile(test_suite=SUITE)
    pytester.runpytest("--bss-record", "--bss-emulator").assert_outcomes(passed=7)
    first = snapshot(pytester.path)
    age_every_cassette(pytester.path)

    pytester.runpytest("--bss-record", "--bss-emulator").assert_outcomes(passed=7)

    assert f"bss_auth.{fmt}" in first
    assert len(first) == 7  # the auth cassette, five tests' own, one shared
    assert snapshot(pytester.path) == first
    assert rewritten(pytester.path) == []


def test_two_recordings_under_xdist_leave_every_cassette_byte_identical(
    pytester: pytest.Pytester,
) -> None:
    pytester.makeini("[pytest]\n")
    pytester.makepyfile(test_suite=SUITE)
    args = ("-n", "2", "--bss-record", "--bss-emulator")
    pytester.runpytest_subprocess(*args, timeout=60).assert_outcomes(passed=7)
    first = snapshot(pytester.path)
    age_every_cassette(pytester.path)

    pytester.runpytest_subprocess(*args, timeout=60).assert_outcomes(passed=7)

    assert snapshot(pytester.path) == first
    assert rewritten(pytester.path) == []


ORDERED = """
def test_create(bss_client):
    created = bss_client.json("POST", "api/accounts", json={"name": "Order Test Ltd"})
    assert created > 1000

def test_count(bss_client):
    assert bss_client.get_json("api/accounts", params={"pageSize": 5})["totalCount"] == 57
"""


@pytest.mark.parametrize("order", [("test_create", "test_count"), ("test_count", "test_create")])
def test_each_recorded_test_starts_from_the_emulators_seeded_data(
    pytester: pytest.Pytester, order: tuple[str, str]
) -> None:
    # What one test creates is not what the next one sees: a recording is the same in any
    # order and on any xdist worker.
    pytester.makeini("[pytest]\n")
    pytester.makepyfile(test_suite=ORDERED)
    ids = [f"test_suite.py::{name}" for name in order]
    result = pytester.runpytest("--bss-record", "--bss-emulator", "-p", "no:randomly", *ids)
    result.assert_outcomes(passed=2)


SHARING = """
import pytest

@pytest.mark.bss(cassette="shared/accounts")
def test_first(bss_client):
    bss_client.get_json("api/accounts/1001")

@pytest.mark.bss(cassette="shared/accounts")
def test_second(bss_client):
    bss_client.get_json("api/accounts/1002")
"""


def test_rerecording_some_tests_of_a_shared_cassette_says_what_the_others_lost(
    pytester: pytest.Pytester,
) -> None:
    pytester.makeini("[pytest]\n")
    pytester.makepyfile(test_sharing=SHARING)
    everything = pytester.runpytest("--bss-record", "--bss-emulator", "-p", "no:randomly")
    everything.assert_outcomes(passed=2)
    assert "shared cassette" not in everything.stdout.str()

    subset = pytester.runpytest("--bss-record", "--bss-emulator", "-k", "test_second")

    subset.assert_outcomes(passed=1, deselected=1)
    subset.stdout.fnmatch_lines(
        [
            "pytest-bss: shared cassette *shared*accounts.json lost 1 interaction(s) no test "
            "re-recorded in this run (GET /api/accounts/1001): record every test that shares "
            "it in one run*"
        ]
    )
    again = pytester.runpytest("--bss-record", "--bss-emulator")
    again.assert_outcomes(passed=2)
    assert "shared cassette" not in again.stdout.str()


def test_without_the_rule_every_recording_differs(pytester: pytest.Pytester) -> None:
    # The emulator really sends values that change: the test above is not vacuous.
    pytester.makeini("[pytest]\nbss_volatile_headers =\n")
    pytester.makepyfile(test_suite=SUITE)
    pytester.runpytest("--bss-record", "--bss-emulator").assert_outcomes(passed=7)
    first = snapshot(pytester.path)

    pytester.runpytest("--bss-record", "--bss-emulator").assert_outcomes(passed=7)

    second = snapshot(pytester.path)
    assert [name for name in first if first[name] == second[name]] == []


def test_the_emulator_stamps_every_answer_with_a_new_request_id(emulator: TenantEmulator) -> None:
    answers = [requests.get(f"{emulator.url}api/accounts", timeout=5) for _ in range(2)]

    ids = {answer.headers["X-Request-Id"] for answer in answers}
    assert len(ids) == 2
    assert all(answer.headers["Date"] for answer in answers)
