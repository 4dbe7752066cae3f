"""``pytest --bss-verify``: cassettes compared with the live tenant, nothing written (issue 14)."""

from __future__ import annotations

import json
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from vcr.request import Request

from pytest_bss.verify import CassetteDrift, Drift, compare, endpoint, render_html, shape_drift

SUITE = """
import pytest

def test_reads_an_account(bss_client):
    assert bss_client.get_json("api/accounts/1001")["id"] == 1001

def test_lists_invoices(bss_client):
    bss_client.get_json("api/invoices")

def test_reads_a_balance(bss_client):
    bss_client.get_json("api/accounts/1001/balance")

def test_reads_a_sync_option(bss_client):
    options = bss_client.get_json("api/accounts/1001/syncoptions")
    options = options["data"] if isinstance(options, dict) else options
    bss_client.get(f"api/accounts/1001/syncoptions/{options[0]['systemCode']}")

@pytest.mark.bss(verify_values=["name"])
def test_reads_a_name(bss_client):
    bss_client.get_json("api/accounts/1002")
"""
WRITES = """
def test_creates_an_account(bss_client):
    bss_client.post("api/accounts", json={"name": "Verify Ltd"})
"""


def response(
    body: Any, status: int = 200, content_type: str = "application/json"
) -> dict[str, Any]:
    text = body if isinstance(body, str) else json.dumps(body)
    return {
        "status": {"code": status, "message": "OK"},
        "headers": {"Content-Type": [content_type]},
        "body": {"string": text.encode()},
    }


def get(path: str, base: str = "https://bss.tenant.invalid/") -> Request:
    return Request("GET", base + path, None, {})


# -- the comparison ------------------------------------------------------------------------


def test_the_shape_of_json_is_compared_not_its_values() -> None:
    old = {"id": 1, "name": "A", "items": [{"n": 1}], "gone": True, "kind": 1}
    new = {"id": 2, "name": "B", "items": [{"n": "1"}], "kind": 1, "extra": None, "more": []}

    found = set(shape_drift(old, new))

    assert found == {
        ("field added", "$.extra", "null"),
        ("field added", "$.more", "array"),
        ("field removed", "$.gone", "boolean"),
        ("type changed", "$.items[*].n", "number → string"),
    }


def test_a_key_gone_and_one_of_its_type_come_is_a_rename() -> None:
    found = list(shape_drift({"data": [{"billingAccountId": 1}]}, {"data": [{"accountId": 1}]}))

    assert found == [("field renamed", "$.data[*].billingAccountId", "→ accountId (number)")]


def test_values_are_compared_under_the_keys_a_test_names() -> None:
    old, new = {"status": "ACTIVE", "name": "A"}, {"status": "SUSPENDED", "name": "B"}

    assert list(shape_drift(old, new, values=frozenset({"status"}))) == [
        ("value changed", "$.status", '"ACTIVE" → "SUSPENDED"')
    ]


def test_requests_pair_by_method_path_and_query_below_their_base_urls() -> None:
    recorded = [
        (get("api/accounts/1?x=1"), response({"id": 1})),
        (get("api/accounts/2"), response({"id": 2})),
    ]
    live = [
        (get("bss/api/accounts/2", "https://tenant.example/"), response({"id": 2}, status=404)),
        (get("bss/api/invoices", "https://tenant.example/"), response({})),
    ]

    found = compare(
        recorded,
        live,
        recorded_base="https://bss.tenant.invalid/",
        live_base="https://tenant.example/bss/",
    )

    assert found == [
        Drift("GET /api/accounts/{id}", "status", "", "200 → 404"),
        Drift("GET /api/invoices", "not recorded", "", "the cassette has no such request"),
        Drift("GET /api/accounts/{id}", "not requested", "", "recorded, not sent"),
    ]


def test_a_changed_content_type_is_drift_and_bodies_are_then_not_compared() -> None:
    recorded = [(get("api/x"), response({"a": 1}))]
    live = [(get("api/x"), response("<html>", content_type="text/html"))]

    found = compare(
        recorded,
        live,
        recorded_base="https://bss.tenant.invalid/",
        live_base="https://bss.tenant.invalid/",
    )

    assert found == [Drift("GET /api/x", "content type", "", "application/json → text/html")]


def test_ids_in_paths_group_into_one_endpoint() -> None:
    assert endpoint("get", "/api/accounts/1001/syncoptions") == "GET /api/accounts/{id}/syncoptions"
    assert endpoint("GET", "/api/subscriptions/0b6f2c5e-8a4f-4f7e-9d5e-2f1c3b4a5d6e") == (
        "GET /api/subscriptions/{id}"
    )


class _Balance(HTMLParser):
    """Checks that every element opened is closed, in order (void elements aside)."""

    VOID = frozenset({"meta", "rect", "br", "img", "link", "input", "hr"})

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str] = []
        self.tags: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        if tag not in self.VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)

    def handle_endtag(self, tag: str) -> None:
        assert self.stack[-1:] == [tag], f"</{tag}> closes {self.stack[-1:]}"
        self.stack.pop()


def test_the_html_report_is_well_formed_and_escapes_what_it_shows() -> None:
    results = [
        CassetteDrift(
            "cassettes/a.json",
            "t.py::test_a",
            2,
            [Drift("GET /api/<x>", "field added", "$.a&b", "string")],
        ),
        CassetteDrift("cassettes/b.json", "t.py::test_b", 1, []),
    ]

    page = render_html(results, tenant="https://t.example/")
    checker = _Balance()
    checker.feed(page)
    checker.close()

    assert checker.stack == []
    assert {"html", "svg", "rect", "table"} <= set(checker.tags)
    assert "GET /api/&lt;x&gt;" in page
    assert "$.a&amp;b" in page
    assert "<x>" not in page


# -- end to end, against the emulator and its revision 2 ------------------------------------


def snapshot(root: Path) -> dict[str, bytes]:
    folder = root / "cassettes"
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


@pytest.fixture
def recorded(pytester: pytest.Pytester) -> pytest.Pytester:
    pytester.makeini("[pytest]\n")
    pytester.makepyfile(test_verify_suite=SUITE)
    pytester.runpytest("--bss-record", "--bss-emulator").assert_outcomes(passed=5)
    return pytester


def test_verifying_against_the_same_tenant_finds_no_drift(recorded: pytest.Pytester) -> None:
    before = snapshot(recorded.path)

    result = recorded.runpytest("--bss-verify", "--bss-emulator")

    result.assert_outcomes(passed=5)
    assert result.ret == 0
    result.stdout.fnmatch_lines(
        ["pytest-bss verify: 5 cassettes checked against the tenant, 0 with drift; *"]
    )
    assert snapshot(recorded.path) == before


def test_verifying_against_a_drifted_tenant_names_each_change_and_writes_no_cassette(
    recorded: pytest.Pytester,
) -> None:
    before = snapshot(recorded.path)

    result = recorded.runpytest(
        "--bss-verify",
        "--bss-emulator",
        "--bss-emulator-revision",
        "2",
        "--bss-verify-report",
        "drift",
    )

    assert result.ret == pytest.ExitCode.TESTS_FAILED
    assert snapshot(recorded.path) == before
    output = result.stdout.str()
    for line in (
        "    GET /api/accounts/{id}: field added $.currencyCode: string",
        "    GET /api/invoices: field renamed $.data[*].billingAccountId: → accountId (number)",
        "    GET /api/accounts/{id}/balance: type changed $.balance: number → string",
    ):
        assert line in output.splitlines()
    assert any(
        line.startswith("    GET /api/accounts/{id}/syncoptions/")
        and line.endswith(": status: 200 → 404")
        for line in output.splitlines()
    )
    report = json.loads((recorded.path / "drift.json").read_text())
    kinds = {d["kind"] for r in report["results"] for d in r["drift"]}
    assert {"field added", "field renamed", "type changed", "status"} <= kinds
    page = (recorded.path / "drift.html").read_text()
    assert "<svg" in page
    assert "GET /api/accounts/{id}/balance" in page


def test_a_named_value_that_changed_is_drift(recorded: pytest.Pytester) -> None:
    path = recorded.path / "cassettes" / "test_verify_suite" / "test_reads_a_name.json"
    data = json.loads(path.read_text())
    body = json.loads(data["interactions"][0]["response"]["body"]["string"])
    body["name"] = "A name the tenant no longer has"
    data["interactions"][0]["response"]["body"]["string"] = json.dumps(body)
    path.write_text(json.dumps(data, indent=2))

    result = recorded.runpytest("--bss-verify", "--bss-emulator", "-k", "name")

    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(['*GET /api/accounts/{id}: value changed $.name: "A name the*'])


def test_a_test_that_writes_is_refused_unless_writes_are_allowed(
    pytester: pytest.Pytester,
) -> None:
    pytester.makeini("[pytest]\n")
    pytester.makepyfile(test_writes=WRITES)
    pytester.runpytest("--bss-record", "--bss-emulator").assert_outcomes(passed=1)

    refused = pytester.runpytest("--bss-verify", "--bss-emulator")
    allowed = pytester.runpytest("--bss-verify", "--bss-emulator", "--bss-verify-writes")

    refused.assert_outcomes(failed=1)
    refused.stdout.fnmatch_lines(["*VerifyWriteRefusedError: --bss-verify did not send POST*"])
    allowed.assert_outcomes(passed=1)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--bss-verify", "--bss-record"], "does not go with --bss-record"),
        (["--bss-verify-report", "x"], "only apply with --bss-verify"),
    ],
)
def test_verify_options_that_do_not_fit_are_usage_errors(
    pytester: pytest.Pytester, args: list[str], message: str
) -> None:
    pytester.makeini("[pytest]\n")

    result = pytester.runpytest(*args)

    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert message in result.stderr.str()


def test_a_method_override_header_counts_as_the_method(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\n")
    pytester.makepyfile(
        test_override="""
        def test_deletes_by_override(bss_client):
            bss_client.get("api/accounts/1001", headers={"X-HTTP-Method-Override": "DELETE"})
        """
    )
    pytester.runpytest("--bss-record", "--bss-emulator").assert_outcomes(passed=1)

    result = pytester.runpytest("--bss-verify", "--bss-emulator")

    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*VerifyWriteRefusedError: --bss-verify did not send DELETE*"])
